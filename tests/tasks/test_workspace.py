"""The expert workspace page (tasks/pages.py): who may open it, what it tells its script, both languages,
and the seed 002 calls its script makes (the same requests, through the Django test client)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClientType, Role, User
from datasets.services import upload_dataset
from tasks import services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


URL = "/workspace/"


def client_for(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def config_of(response) -> dict:
    match = re.search(
        r'<script id="workspace-config" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert match, "the page carries its configuration"
    return json.loads(match.group(1))


def test_the_url_name_is_tasks_workspace():
    assert reverse("tasks:workspace") == URL


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/workspace/")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RESEARCHER, Role.CITIZEN])
def test_other_roles_are_refused(role):
    response = client_for(UserFactory(role=role)).get(URL)
    assert response.status_code == 403


def test_a_blacklisted_expert_is_refused():
    expert = UserFactory(role=Role.EXPERT)
    expert.client_type = ClientType.BLACKLISTED
    expert.save(update_fields=["client_type"])
    assert client_for(expert).get(URL).status_code in (302, 403)


def test_an_expert_gets_the_page_with_its_configuration_and_local_assets():
    expert = UserFactory(role=Role.EXPERT)
    response = client_for(expert).get(URL)
    assert response.status_code == 200
    config = config_of(response)
    assert config["taskListUrl"] == "/task/list"
    assert config["dataListUrl"] == "/data/list"
    assert config["labelUrl"] == "/data/label"
    assert config["socketPath"] == "/ws/notifications/"
    assert config["userId"] == expert.pk
    assert config["text"]["urged"] == "Urged"
    body = response.content.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', body)
    assert "/static/tasks/workspace.js" in assets and "/static/tasks/workspace.css" in assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "http://" not in body and "https://" not in body


def test_the_page_speaks_simplified_chinese():
    expert = UserFactory(role=Role.EXPERT)
    response = client_for(expert, HTTP_ACCEPT_LANGUAGE="zh-Hans").get(URL)
    body = response.content.decode()
    assert "<h1>专家工作台</h1>" in body
    assert "我的任务" in body
    config = config_of(response)
    assert config["text"]["urged"] == "已催促"
    assert config["text"]["status_超时"] == "超时"
    assert config["text"]["item"] == "第 {index} 条,共 {total} 条"


def test_home_links_experts_to_the_workspace():
    expert = UserFactory(role=Role.EXPERT)
    assert f'href="{URL}"' in client_for(expert).get("/").content.decode()


def test_the_calls_the_script_makes_label_an_item_end_to_end():
    """The page's script is a seed 002 client: list tasks, read items, save with ranks 1..n and unknown
    answer keys kept; then the list shows the progress."""
    manager = UserFactory(role=Role.MANAGER)
    expert = UserFactory(role=Role.EXPERT)
    rows = [
        {
            "data_question": f"Q{i}?",
            "data_answer": [{"answer": "a", "ranking_number": 0, "reserve": 1, "source": "web"}, {"answer": "b"}],
            "data_area": "medicine",
        }
        for i in range(2)
    ]
    dataset = upload_dataset(name="d", task_type="qa", source="s", rows=rows, uploaded_by=manager)
    services.assign_area(
        dataset=dataset,
        area="medicine",
        experts=[expert],
        notice="Best first.",
        due_time=timezone.now() + timedelta(days=1),
        by=manager,
    )
    client = client_for(expert)
    tasks = client.get("/task/list").json()["response"]
    assert len(tasks) == 1 and tasks[0]["total_count"] == 2
    listing = client.get("/data/list", {"mission_id": tasks[0]["task_id"]}).json()
    assert listing["notice"] == "Best first."
    item = listing["response"][0]
    # what workspace.js sends (payloadOf): answers in the shown order, ranks 1..n, other keys untouched
    answers = [
        {**item["answer"][1], "ranking_number": 1, "reserve": 1},
        {**item["answer"][0], "ranking_number": 2, "reserve": 0},
    ]
    answer = client.put(
        "/data/label",
        data=json.dumps(
            {"data_id": item["data_id"], "data_question": "Q0 edited?", "data_answer": answers, "data_reserve": 1}
        ),
        content_type="application/json",
        HTTP_ORIGIN="http://testserver",
    )
    assert answer.json() == {"response": "success"}
    saved = client.get("/data/list", {"mission_id": tasks[0]["task_id"]}).json()["response"][0]
    assert saved["is_labeled"] == 1
    assert saved["question"] == "Q0 edited?"
    assert [a["answer"] for a in saved["answer"]] == ["b", "a"]
    assert saved["answer"][1]["source"] == "web"
    assert saved["answer"][1]["reserve"] == 0
    assert client.get("/task/list").json()["response"][0]["finished_count"] == 1


# ---------------------------------------------------------------- the live socket's token
TOKEN_URL = "/workspace/token/"


def test_an_expert_gets_a_short_lived_socket_token_with_the_csrf_token():
    from accounts.tokens import authenticate_user_token

    expert = UserFactory(role=Role.EXPERT)
    client = Client(enforce_csrf_checks=True)
    client.force_login(expert)
    page = client.get(URL)
    csrf = page.cookies["csrftoken"].value
    assert client.post(TOKEN_URL).status_code == 403  # no CSRF token: another site cannot get one
    answer = client.post(TOKEN_URL, HTTP_X_CSRFTOKEN=csrf)
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == 900
    assert authenticate_user_token(answer.json()["token"]).user == expert
    assert config_of(page)["socketTokenUrl"] == TOKEN_URL


def blacklisted(role):
    user = UserFactory(role=role)
    user.client_type = ClientType.BLACKLISTED
    user.save(update_fields=["client_type"])
    return user


@pytest.mark.parametrize(
    "make_user, expected",
    [
        (None, 403),  # anonymous
        (lambda: UserFactory(role=Role.EXPERT), 200),  # the workspace
        (lambda: UserFactory(role=Role.MANAGER), 200),  # the admin cockpit (live progress)
        (lambda: User.objects.create_superuser("root", "root@example.org", "x-Root-pass-2026"), 200),
        (lambda: UserFactory(role=Role.CITIZEN), 403),
        (lambda: UserFactory(role=Role.RESEARCHER), 403),  # staff, but for the videos admin only
        (lambda: blacklisted(Role.MANAGER), 403),
        (lambda: blacklisted(Role.EXPERT), 403),
    ],
    ids=["anonymous", "expert", "manager", "superuser", "citizen", "researcher", "blacklisted-manager",
         "blacklisted-expert"],
)  # fmt: skip
def test_who_gets_a_socket_token(make_user, expected):
    from accounts.tokens import authenticate_user_token

    client = Client()
    user = make_user() if make_user else None
    if user:
        client.force_login(user)
    answer = client.post(TOKEN_URL)
    assert answer.status_code == expected
    if expected == 200:
        assert authenticate_user_token(answer.json()["token"]).user == user


def test_a_manager_gets_a_socket_token_only_with_the_csrf_token():
    manager = UserFactory(role=Role.MANAGER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get("/admin/tasks/task/")
    assert client.post(TOKEN_URL).status_code == 403  # another site cannot get one
    csrf = re.search(r'data-csrf="([^"]+)"', page.content.decode()).group(1)
    answer = client.post(TOKEN_URL, HTTP_X_CSRFTOKEN=csrf)
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == 900
