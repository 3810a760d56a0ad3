"""The monitor page and its token endpoint: who may open them, what the page carries, the token it gets."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ClientType, Role, User
from accounts.services import set_active, set_client_type
from accounts.tokens import authenticate_user_token, decode_token
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

MONITOR = "/alerts/monitor/"
TOKEN = "/alerts/monitor/token/"


def signed_in(user, *, csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(user)
    return client


def superuser():
    user = UserFactory(role=Role.CITIZEN)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    return User.objects.get(pk=user.pk)


def page_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="monitor-config" type="application/json">') + len(
        '<script id="monitor-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_url_names():
    assert reverse("alerts:monitor") == MONITOR
    assert reverse("alerts:monitor-token") == TOKEN


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get(MONITOR)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/alerts/monitor/")


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.EXPERT, Role.RESEARCHER])
def test_users_who_are_not_watchers_are_refused(role):
    user = UserFactory(role=role)
    assert signed_in(user).get(MONITOR).status_code == 403
    assert signed_in(user).post(TOKEN).status_code == 403


@pytest.mark.parametrize("who", ["manager", "watcher", "superuser"])
def test_watchers_get_the_page_with_local_assets_and_its_configuration(who, watcher):
    user = {
        "manager": lambda: UserFactory(role=Role.MANAGER),
        "watcher": lambda: watcher,
        "superuser": lambda: superuser(),
    }[who]()
    response = signed_in(user).get(MONITOR)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/alerts/monitor.js" in html and "/static/alerts/monitor.css" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html  # no CDN
    config = page_config(response)
    assert config["tokenUrl"] == TOKEN
    assert config["alertsUrl"] == "/api/v1/alert/" and config["socketPath"] == "/ws/alert/"
    assert config["username"] == user.username
    assert config["behaviors"] == ["Safe", "Unsafe", "Eating/Drinking", "Single Hand", "Tamper"]
    assert "csrfmiddlewaretoken" in html


def test_the_page_speaks_simplified_chinese(watcher):
    response = signed_in(watcher).get(MONITOR, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    html = response.content.decode()
    assert "<h1>告警监控</h1>" in html
    assert '<option value="">全部卡车</option>' in html
    assert '<option value="true">进行中</option>' in html
    text = page_config(response)["text"]
    assert text["connecting"] == "正在连接…"
    assert text["pageOf"] == "第 {page} 页,共 {pages} 页"
    assert text["alertTitle"] == "告警 #{id}"
    english = signed_in(watcher).get(MONITOR, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Alert monitor</h1>" in english


@pytest.mark.parametrize("change", ["deactivated", "blacklisted"])
def test_a_deactivated_or_blacklisted_watcher_is_refused(change, watcher):
    client = signed_in(watcher)
    if change == "deactivated":
        set_active(user=watcher, active=False)
    else:
        set_client_type(user=watcher, client_type=ClientType.BLACKLISTED)
    assert client.get(MONITOR).status_code in {302, 403}
    assert client.post(TOKEN).status_code == 403


def test_the_token_endpoint_needs_the_csrf_token(watcher):
    client = signed_in(watcher, csrf_checks=True)
    assert client.post(TOKEN).status_code == 403  # another site cannot mint tokens with the cookie
    page = client.get(MONITOR)
    csrf = page.context["csrf_token"]
    response = client.post(TOKEN, HTTP_X_CSRFTOKEN=str(csrf))
    assert response.status_code == 200, response.content


def test_the_token_is_a_short_lived_user_token_of_the_session_user(watcher, settings):
    settings.ALERTS_MONITOR_TOKEN_LIFETIME = timedelta(minutes=3)
    response = signed_in(watcher).post(TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 180
    claims = decode_token(body["token"])
    assert claims["exp"] - claims["iat"] == 180
    assert authenticate_user_token(body["token"]).user == watcher


def test_the_token_endpoint_takes_only_post(watcher):
    assert signed_in(watcher).get(TOKEN).status_code == 405


def test_the_token_opens_the_watcher_endpoints(watcher):
    token = signed_in(watcher).post(TOKEN).json()["token"]
    response = Client().get("/api/v1/alert/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["alerts"] == []


def test_home_page_links_the_monitor_for_watchers_and_managers_only(watcher):
    assert MONITOR in signed_in(watcher).get("/").content.decode()
    assert MONITOR in signed_in(UserFactory(role=Role.MANAGER)).get("/").content.decode()
    assert MONITOR not in signed_in(UserFactory(role=Role.CITIZEN)).get("/").content.decode()
    assert MONITOR not in Client().get("/").content.decode()


def test_password_sign_in_then_the_page(watcher):
    client = Client()
    assert client.login(username=watcher.username, password=PASSWORD)
    assert client.get(MONITOR).status_code == 200
