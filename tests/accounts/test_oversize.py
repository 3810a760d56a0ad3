"""Oversize bodies are refused with 413 in each family's words, before anything is read or written."""

import json

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db

LIMIT = 4096


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.API_MAX_BODY_BYTES = LIMIT


def big_json(**fields) -> str:
    return json.dumps({**fields, "padding": "x" * (LIMIT + 10)})


def test_seed_000_login(client):
    response = client.post("/api/v1/login", big_json(client_id="abc"), content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"message": f"Request body is larger than {LIMIT} bytes."}
    assert not User.objects.exists()


def test_seed_001_register(client, manager):
    before = User.objects.count()
    body = big_json(new_user={"username": "x", "password": "p", "role": "Full", "email": "x@example.org"})
    response = client.post("/api/v1/user/register/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert response.json()["status_code"] == "Payload Too Large"
    assert User.objects.count() == before


def test_seed_001_login_checks_size_before_throttle_reads_username(client):
    response = client.post("/api/v1/user/login/", big_json(username="a", password="b"), content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/user/register", "/user/login"])
def test_seed_002(client, path):
    body = big_json(username="newexpert", password="a-long-enough-password", user_area="law")
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"response": "上传数据过大"}
    assert not User.objects.filter(username="newexpert").exists()


def test_form_bodies_are_bounded_too(client):
    response = client.post(
        "/user/register",
        "username=u&password=p&user_area=" + "x" * (LIMIT + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_standard_token_endpoint(client):
    response = client.post("/api/token/", big_json(username="a", password="b"), content_type="application/json")
    assert response.status_code == 413


def test_a_body_within_the_limit_is_read(client):
    response = client.post("/api/v1/login", json.dumps({"client_id": "abc"}), content_type="application/json")
    assert response.status_code == 200
