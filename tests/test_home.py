"""The web shell (labelplatform/views.py, templates/home.html): home destinations, health check, API docs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from accounts.models import User
from labelplatform.views import DESTINATIONS, destinations_for
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db


class _Collector(HTMLParser):
    """Links of the destinations list, and every asset URL of script/link/img tags."""

    def __init__(self):
        super().__init__()
        self.in_destinations = 0
        self.destinations: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("data-testid") == "destinations":
            self.in_destinations = 1
        elif tag == "ul" and self.in_destinations:
            self.in_destinations += 1
        if tag == "a" and self.in_destinations:
            self.destinations.append(attrs.get("href"))
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.assets.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "ul" and self.in_destinations:
            self.in_destinations -= 1


def parse(response) -> _Collector:
    collector = _Collector()
    collector.feed(response.content.decode())
    return collector


def home_links(client) -> list[str]:
    response = client.get("/")
    assert response.status_code == 200
    return parse(response).destinations


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_all_reachable(client, links):
    assert links, "the home page lists at least one destination"
    for link in links:
        assert link.startswith("/"), link
        response = client.get(link)
        assert response.status_code in (200, 302), (link, response.status_code)


# --- home page -------------------------------------------------------------------------------------


def test_home_anonymous():
    client = Client()
    links = home_links(client)
    assert "/admin/" not in links
    assert "/api/docs/" in links
    assert_all_reachable(client, links)
    page = client.get("/").content.decode()
    assert "sign in" in page.lower()


def test_home_manager_has_admin_link(manager):
    client = logged_in(manager)
    links = home_links(client)
    assert "/admin/" in links
    assert "/api/docs/" in links
    assert_all_reachable(client, links)
    assert client.get("/admin/").status_code == 200
    assert "Welcome, boss" in client.get("/").content.decode()


def test_home_superuser_has_admin_link():
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    assert "/admin/" in home_links(logged_in(root))


def test_home_researcher_has_admin_link(researcher):
    client = logged_in(researcher)
    links = home_links(client)
    assert "/admin/" in links
    assert_all_reachable(client, links)


@pytest.mark.parametrize("who", ["expert", "citizen"])
def test_home_expert_and_citizen_have_no_admin_link(request, who):
    client = logged_in(request.getfixturevalue(who))
    links = home_links(client)
    assert "/admin/" not in links
    assert "/api/docs/" in links
    assert_all_reachable(client, links)


@pytest.mark.parametrize("who", ["anonymous", "manager", "expert", "researcher", "citizen"])
def test_home_lists_only_destinations_whose_url_exists(request, who):
    from django.urls import NoReverseMatch, reverse

    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    listed = {entry["title"] for entry in destinations_for(user)}
    for destination in DESTINATIONS:
        try:
            reverse(destination.url_name)
        except NoReverseMatch:
            assert destination.title not in listed, destination.title


def test_home_shows_role(expert):
    page = logged_in(expert).get("/").content.decode()
    assert "doc" in page
    assert "Expert" in page


def test_home_assets_are_local():
    for url in parse(Client().get("/")).assets:
        assert not re.match(r"^(https?:)?//", url), url


# --- health check ----------------------------------------------------------------------------------


def test_healthz():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]


# --- API docs --------------------------------------------------------------------------------------


def test_api_schema_answers():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "/user/login" in content
    assert "/user/register-manager" in content


def test_api_schema_json():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/user/get-current", "/user/list", "/user/login", "/user/logout", "/user/register"):
        assert path in paths
    assert "/user/login/" not in paths  # the slash twins stay out of the schema


def test_api_docs_answer_with_local_assets_only():
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    collector = parse(response)
    assert collector.assets, "the docs page loads its assets"
    for url in collector.assets:
        assert not re.match(r"^(https?:)?//", url), f"external asset {url}"
        assert client.get(url).status_code == 200, url
    content = response.content.decode()
    for match in re.findall(r"https?://[^\s\"'<>]+", content):
        assert match.startswith(("http://testserver", "https://testserver")), match


def test_the_shell_speaks_simplified_chinese_on_request(client, manager):
    client.force_login(manager)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "欢迎,boss" in page
    assert "管理后台" in page
    assert "退出登录" in page
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Welcome, boss" in english


def test_language_switcher_remembers_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "API 文档" in page
