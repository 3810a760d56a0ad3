"""The datasets admin as the managers' cockpit: who gets in, upload (JSON / JSON Lines / CSV, bad rows
refused whole), the dataset list and per-area progress, "assign area to experts", end / reopen, streamed
downloads, the review queue and the item history."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from datasets.models import DataItem, Dataset
from datasets.services import upload_dataset
from tasks import services
from tasks.models import ItemRevision, Task
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CHANGELIST = "/admin/datasets/dataset/"
ADD = "/admin/datasets/dataset/add/"


def row(i: int, area: str = "medicine", **extra) -> dict:
    return {
        "data_background": f"background {i}",
        "data_question": f"question {i}?",
        "data_answer": [{"answer": f"answer {i}", "ranking_number": 1, "reserve": 1}],
        "data_area": area,
        "data_keyword": "kw",
        "other": "",
        **extra,
    }


@pytest.fixture
def manager():
    return UserFactory(role=Role.MANAGER)


@pytest.fixture
def admin_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def dataset(manager):
    rows = [row(i) for i in range(5)] + [row(i, "law") for i in range(5, 8)]
    return upload_dataset(name="clinic", task_type="qa", source="hospital", rows=rows, uploaded_by=manager)


def future(days: int = 3) -> str:
    return (timezone.localtime() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- who may use the cockpit
@pytest.mark.parametrize("role", [Role.EXPERT, Role.CITIZEN, Role.RESEARCHER])
def test_only_managers_reach_the_dataset_pages(role, dataset):
    client = Client()
    client.force_login(UserFactory(role=role))
    for url in (CHANGELIST, ADD, f"{CHANGELIST}{dataset.pk}/assign/", f"{CHANGELIST}{dataset.pk}/download/json/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/login/" in response["Location"]


def test_a_superuser_reaches_them(dataset):
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "pw-Root-2026-long"))
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(f"{CHANGELIST}{dataset.pk}/assign/").status_code == 200


# ---------------------------------------------------------------- upload
def upload(client, content: bytes, filename: str, **fields):
    data = {"name": "uploaded", "task_type": "qa", "source": "file", "format": "", **fields}
    data["file"] = SimpleUploadedFile(filename, content)
    return client.post(ADD, data)


def test_upload_a_json_file(admin_client):
    response = upload(admin_client, json.dumps([row(0), row(1, "law")], ensure_ascii=False).encode(), "d.json")
    dataset = Dataset.objects.get(name="uploaded")
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{dataset.pk}/change/"
    assert list(dataset.items.order_by("position").values_list("area", flat=True)) == ["medicine", "law"]


def test_upload_a_json_lines_file(admin_client):
    content = "\n".join(json.dumps(row(i)) for i in range(3)).encode()
    assert upload(admin_client, content, "d.jsonl").status_code == 302
    assert Dataset.objects.get(name="uploaded").items.count() == 3


def test_upload_a_csv_file(admin_client):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row(0)))
    writer.writeheader()
    for i in range(2):
        writer.writerow({**row(i), "data_answer": json.dumps(row(i)["data_answer"])})
    assert upload(admin_client, out.getvalue().encode(), "d.csv").status_code == 302
    item = Dataset.objects.get(name="uploaded").items.get(position=1)
    assert item.answer[0]["answer"] == "answer 1"


def test_a_bad_row_is_refused_with_its_index_and_field_and_nothing_is_written(admin_client):
    rows = [row(0), row(1), row(2, data_answer=[{"answer": "x", "reserve": 5}])]
    response = upload(admin_client, json.dumps(rows).encode(), "bad.json")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Row 2" in body
    assert "data_answer[0].reserve" in body
    assert not Dataset.objects.filter(name="uploaded").exists()
    assert DataItem.objects.count() == 0


def test_a_malformed_file_is_refused(admin_client):
    response = upload(admin_client, b"[{", "bad.json")
    assert response.status_code == 200
    assert 'class="errornote"' in response.content.decode()
    assert not Dataset.objects.exists()


def test_the_upload_form_needs_every_field(admin_client):
    response = admin_client.post(ADD, {"name": " ", "task_type": "qa", "source": "s"})
    assert response.status_code == 200
    assert not Dataset.objects.exists()


# ---------------------------------------------------------------- list and detail
def test_the_list_shows_status_counts_and_progress(admin_client, dataset, manager):
    response = admin_client.get(CHANGELIST)
    body = response.content.decode()
    assert "clinic" in body and "未分配" in body
    assert '<progress max="8" value="0"' in body
    assert "未分配" in admin_client.get(CHANGELIST, {"status": "未分配"}).content.decode()
    assert "clinic" not in admin_client.get(CHANGELIST, {"status": "已分配"}).content.decode().split("result_list")[-1]


def test_the_detail_page_shows_progress_per_area(admin_client, dataset, manager):
    expert = UserFactory(role=Role.EXPERT, username="dr-li")
    services.assign_area(
        dataset=dataset,
        area="law",
        experts=[expert],
        notice="",
        due_time=timezone.now() + timedelta(days=1),
        by=manager,
    )
    body = admin_client.get(f"{CHANGELIST}{dataset.pk}/change/").content.decode()
    assert 'data-testid="area-progress"' in body
    assert '<tr data-area="medicine">' in body and '<tr data-area="law">' in body
    assert "dr-li" in body


# ---------------------------------------------------------------- assign area to experts
def test_assign_offers_the_experts_of_the_area_and_splits_in_the_ticked_order(admin_client, dataset):
    first = UserFactory(role=Role.EXPERT, area="medicine", username="first")
    second = UserFactory(role=Role.EXPERT, area="medicine", username="second")
    UserFactory(role=Role.EXPERT, area="law", username="lawyer")
    url = f"{CHANGELIST}{dataset.pk}/assign/"
    page = admin_client.get(url, {"area": "medicine"}).content.decode()
    assert "first" in page and "second" in page and "lawyer" not in page
    assert "lawyer" in admin_client.get(url, {"area": "medicine", "all_experts": "1"}).content.decode()

    response = admin_client.post(
        url + "?area=medicine",
        {
            "area": "medicine",
            "experts": [first.pk, second.pk],
            "expert_order": f"{second.pk},{first.pk}",
            "notice": "Rank carefully.",
            "due_time": future(),
        },
    )
    assert response.status_code == 302
    tasks = list(Task.objects.order_by("id"))
    assert [(t.expert, t.items.count(), t.notice) for t in tasks] == [
        (second, 3, "Rank carefully."),
        (first, 2, "Rank carefully."),
    ]


def test_assign_refuses_a_past_due_time_and_writes_nothing(admin_client, dataset):
    expert = UserFactory(role=Role.EXPERT)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = admin_client.post(
        f"{CHANGELIST}{dataset.pk}/assign/", {"area": "medicine", "experts": [expert.pk], "due_time": past}
    )
    assert response.status_code == 200
    assert "later than now" in response.content.decode()
    assert not Task.objects.exists()


def test_assign_on_a_closed_dataset_is_refused(admin_client, dataset, manager):
    from datasets.services import end_dataset

    end_dataset(dataset=dataset, by=manager)
    expert = UserFactory(role=Role.EXPERT)
    response = admin_client.post(
        f"{CHANGELIST}{dataset.pk}/assign/", {"area": "medicine", "experts": [expert.pk], "due_time": future()}
    )
    assert response.status_code == 302
    assert not Task.objects.exists()


# ---------------------------------------------------------------- actions
def test_end_and_reopen_dataset(admin_client, dataset):
    admin_client.post(CHANGELIST, {"action": "end_dataset", "_selected_action": [dataset.pk]})
    dataset.refresh_from_db()
    assert dataset.closed_at is not None
    assert "已结束" in admin_client.get(CHANGELIST).content.decode()
    admin_client.post(CHANGELIST, {"action": "reopen_dataset", "_selected_action": [dataset.pk]})
    dataset.refresh_from_db()
    assert dataset.closed_at is None


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_downloads_are_streamed_in_three_formats(admin_client, dataset, fmt):
    response = admin_client.get(f"{CHANGELIST}{dataset.pk}/download/{fmt}/")
    assert response.status_code == 200
    assert response.streaming
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    if fmt == "json":
        items = json.loads(text)["response"]
    elif fmt == "jsonl":
        items = [json.loads(line) for line in text.splitlines() if line]
    else:
        items = list(csv.DictReader(io.StringIO(text)))
    assert len(items) == 8
    assert items[0]["data_question"] == "question 0?"
    assert items[0]["expert_name"] == "-"


def test_the_download_action_redirects_to_the_stream(admin_client, dataset):
    response = admin_client.post(CHANGELIST, {"action": "download_csv", "_selected_action": [dataset.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}{dataset.pk}/download/csv/"


# ---------------------------------------------------------------- review queue and history
@pytest.fixture
def labeled_item(dataset, manager):
    expert = UserFactory(role=Role.EXPERT)
    (task,) = services.assign_area(
        dataset=dataset,
        area="law",
        experts=[expert],
        notice="",
        due_time=timezone.now() + timedelta(days=1),
        by=manager,
    )
    item = task.items.order_by("position").first()
    services.label_item(
        item_id=item.pk,
        question="edited?",
        answers=[{"answer": "better", "ranking_number": 1, "reserve": 1}],
        data_reserve=1,
        by=expert,
    )
    item.refresh_from_db()
    return item


def test_the_review_queue_lists_labeled_unreviewed_items(admin_client, labeled_item):
    body = admin_client.get("/admin/datasets/dataitem/", {"review": "queue"}).content.decode()
    assert f'href="/admin/datasets/dataitem/{labeled_item.pk}/change/' in body
    assert body.count("/admin/datasets/dataitem/") >= 1


def test_review_reject_with_comment_and_score_sends_the_item_back(admin_client, labeled_item):
    url = "/admin/datasets/dataitem/"
    form = admin_client.post(url, {"action": "review_reject", "_selected_action": [labeled_item.pk]})
    assert form.status_code == 200 and "comment" in form.content.decode()
    admin_client.post(
        url,
        {
            "action": "review_reject",
            "_selected_action": [labeled_item.pk],
            "apply": "1",
            "comment": "Wrong order",
            "score": "C",
        },
    )
    labeled_item.refresh_from_db()
    assert labeled_item.review_accept is False
    assert labeled_item.review_comment == "Wrong order"
    assert labeled_item.review_score == "C"
    assert labeled_item.returned is True and labeled_item.is_labeled is False


def test_the_item_page_shows_its_history(admin_client, labeled_item):
    body = admin_client.get(f"/admin/datasets/dataitem/{labeled_item.pk}/change/").content.decode()
    assert ItemRevision.objects.filter(item=labeled_item).count() == 1
    assert "History" in body
    assert "edited?" in body


def test_the_cockpit_speaks_simplified_chinese(dataset, manager):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    client.force_login(manager)
    body = client.get(f"{CHANGELIST}{dataset.pk}/change/").content.decode()
    assert "按领域分配给专家" in body and "各领域进度" in body
    assert "上传数据集" in client.get(ADD).content.decode()


def test_an_oversize_file_is_refused_before_reading(admin_client, settings):
    settings.QA_UPLOAD_MAX_BYTES = 1024 * 1024
    response = upload(admin_client, b"[" + b" " * (1024 * 1024) + b"]", "big.json")
    assert response.status_code == 200
    assert "larger than 1 MiB" in response.content.decode()
    assert not Dataset.objects.exists()


def test_datasets_are_ended_not_deleted(admin_client, dataset):
    assert admin_client.get(f"{CHANGELIST}{dataset.pk}/delete/").status_code in (302, 403)
    assert Dataset.objects.filter(pk=dataset.pk).exists()
