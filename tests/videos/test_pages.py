"""The labeling page, the gallery and the page token endpoint (videos/pages.py)."""

from __future__ import annotations

import json

import jwt
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Connection, Role
from tests.accounts.factories import PASSWORD, UserFactory
from tests.videos.factories import VideoFactory, gold_videos
from tests.videos.helpers import post

pytestmark = pytest.mark.django_db


def page_config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="videos-config" type="application/json">') + len(
        '<script id="videos-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def claims_of(token: str) -> dict:
    return jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])


def csrf_client(user=None) -> tuple[Client, str]:
    """A browser-like client (CSRF enforced) that loaded the labeling page; returns it and its CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    if user is not None:
        browser.force_login(user)
    response = browser.get(reverse("videos:label"))
    assert response.status_code == 200
    return browser, response.cookies["csrftoken"].value


def test_urls_are_the_names_the_home_page_links():
    assert reverse("videos:label") == "/videos/label/"
    assert reverse("videos:gallery") == "/videos/gallery/"


def test_home_page_links_labeling_and_gallery_for_everyone(client):
    html = client.get("/").content.decode()
    assert 'href="/videos/label/"' in html
    assert 'href="/videos/gallery/"' in html


def test_labeling_page_for_an_anonymous_visitor_logs_in_with_a_client_id(client):
    response = client.get(reverse("videos:label"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/videos/label.js" in html and "/static/videos/common.js" in html
    assert "/static/videos/videos.css" in html
    assert 'data-testid="submit" disabled' in html
    config = page_config(response)
    assert config["signedIn"] is False
    assert config["api"]["login"] == "/api/v1/login"
    assert config["waitSeconds"] == 5
    assert config["playSize"] == 320
    # the pages call the documented seed 000 paths, which exist
    for path in config["api"].values():
        assert client.options(path).status_code in (200, 204, 405)


def test_labeling_page_of_a_signed_in_user_uses_the_page_token(client):
    user = UserFactory(role=Role.CITIZEN)
    client.force_login(user)
    config = page_config(client.get(reverse("videos:label")))
    assert config["signedIn"] is True
    assert config["tokenUrl"] == reverse("videos:page-token")


def test_pages_follow_the_browser_language(client):
    response = client.get(reverse("videos:gallery"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.content.decode().count('<html lang="zh-hans"') == 1


def test_the_pages_speak_simplified_chinese(client):
    label = client.get(reverse("videos:label"), HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert "<h1>标注烟雾视频片段</h1>" in label.content.decode()
    assert ">提交</button>" in label.content.decode()
    text = page_config(label)["text"]
    assert text["waitSeconds"] == "请观看视频片段:{seconds} 秒后可以提交"
    assert text["states"]["47"] == "金标准:有烟" and text["states"]["-2"] == "无效数据"
    gallery = client.get(reverse("videos:gallery"), HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert "<h1>视频库</h1>" in gallery.content.decode()
    config = page_config(gallery)
    titles = {listing["key"]: listing["title"] for listing in config["listings"]}
    assert titles["gold_pos"] == "金标准:有烟" and titles["mine"] == "我的贡献"
    assert config["text"]["pageOf"] == "第 {page} 页,共 {pages} 页"
    english = client.get(reverse("videos:label"), HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Label smoke clips</h1>" in english.content.decode()
    assert page_config(english)["text"]["states"]["47"] == "Gold Pos"


def test_gallery_offers_every_listing_with_its_documented_endpoint(client):
    config = page_config(client.get(reverse("videos:gallery")))
    urls = {listing["key"]: listing["url"] for listing in config["listings"]}
    assert urls["pos"] == "/api/v1/get_pos_labels"
    assert urls["gold_pos"] == "/api/v1/get_pos_gold_labels"
    assert urls["bad"] == "/api/v1/get_bad_labels"
    assert urls["mine"] == "/api/v1/get_pos_labels"
    dashboard = {listing["key"] for listing in config["listings"] if listing["dashboard"]}
    assert dashboard == {
        "gold_pos",
        "gold_neg",
        "researcher_pos",
        "researcher_neg",
        "citizen_pos",
        "citizen_neg",
        "bad",
    }
    assert len(config["listings"]) == 13
    for listing in config["listings"]:
        response = post(client, listing["url"], {"pageSize": 1}, form=True)
        assert response.status_code in (204, 400), listing  # 400: dashboard listing without a token
    codes = [choice["code"] for choice in config["researcherChoices"]]
    assert codes == [47, 32, 23, 16, 19, 20, -2, -1]
    assert config["text"]["states"]["47"] == "Gold Pos"


def test_page_token_refused_to_anonymous_visitors():
    browser, csrf = csrf_client()
    response = browser.post(reverse("videos:page-token"), HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 403
    assert Connection.objects.count() == 0


def test_page_token_needs_the_csrf_token():
    user = UserFactory(role=Role.CITIZEN)
    browser, _ = csrf_client(user)
    response = browser.post(reverse("videos:page-token"))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Connection.objects.filter(user=user).count() == 0


def test_page_token_is_a_seed_000_login_for_the_session_user(client):
    gold_videos(3, 3)
    VideoFactory.create_batch(12)
    user = UserFactory(role=Role.CITIZEN)
    browser, csrf = csrf_client(user)

    response = browser.post(reverse("videos:page-token"), HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200
    connection = Connection.objects.get(user=user)
    claims = claims_of(response.json()["user_token"])
    assert claims["user_id"] == user.pk
    assert claims["connection_id"] == connection.pk
    assert claims["client_type"] == 3
    assert (claims["user_score"], claims["user_raw_score"]) == (0, 0)
    assert claims["exp"] - claims["iat"] == 12 * 3600 == response.json()["expires_in"]
    assert "user_token_for_other_app" not in response.json()
    # the token works on the seed 000 API exactly like a login's
    batch = post(client, "/api/v1/get_batch", {"user_token": response.json()["user_token"]})
    assert batch.status_code == 200
    assert len(batch.json()["data"]) == 16


def test_page_token_dies_with_a_password_change(client):
    user = UserFactory(role=Role.MANAGER)
    browser, csrf = csrf_client(user)
    token = browser.post(reverse("videos:page-token"), HTTP_X_CSRFTOKEN=csrf).json()["user_token"]
    assert post(client, "/api/v1/get_pos_labels", {"user_token": token}, form=True).status_code == 204
    account_services.update_user(user=user, password="another-Password-2026")
    response = post(client, "/api/v1/get_pos_labels", {"user_token": token}, form=True)
    assert response.status_code == 401


def test_page_token_of_a_researcher_carries_client_type_0():
    researcher = UserFactory(role=Role.RESEARCHER)
    browser, csrf = csrf_client(researcher)
    token = browser.post(reverse("videos:page-token"), HTTP_X_CSRFTOKEN=csrf).json()["user_token"]
    assert claims_of(token)["client_type"] == 0


def test_page_token_refused_to_a_blacklisted_user():
    user = UserFactory(role=Role.CITIZEN)
    browser, csrf = csrf_client(user)
    account_services.set_client_type(user=user, client_type=-1)
    response = browser.post(reverse("videos:page-token"), HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 403
    assert Connection.objects.filter(user=user).count() == 0


def test_page_token_only_answers_post():
    user = UserFactory(role=Role.CITIZEN, password=PASSWORD)
    browser, _ = csrf_client(user)
    assert browser.get(reverse("videos:page-token")).status_code == 405
