import pytest

pytestmark = pytest.mark.django_db


def test_schema_answers(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200


def test_labeler_login(api_client):
    response = api_client.post("/api/v1/login", {"client_id": "uuid_for_testing"}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"user_token", "user_token_for_other_app"}
