"""Seed 000 `POST /api/v1/login` (videos.md §3.1-3.2, §4, §5.1)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from accounts import services
from accounts.models import ClientType, Connection, Role, User
from tests.accounts.conftest import GOOGLE_CLIENT_ID, decode
from tests.accounts.factories import LabelerFactory
from videos.models import LabelerProfile

pytestmark = pytest.mark.django_db

URL = "/api/v1/login"
MISSING = {"message": "Missing field: google_id_token or client_id"}
INVALID_CLIENT_ID = {"message": "Invalid field: client_id"}


def login(client, body, **kwargs):
    return client.post(URL, body, format="json", **kwargs)


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Connection.objects.count(), LabelerProfile.objects.count()


# --- client_id ---------------------------------------------------------------------------------------


def test_first_login_creates_a_layperson_citizen_with_empty_scores(api_client):
    response = login(api_client, {"client_id": "uuid.1700000000000.abc"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"user_token", "user_token_for_other_app"}
    user = User.objects.get(client_id="uuid.1700000000000.abc")
    assert user.client_type == ClientType.LAYPERSON == 3
    assert user.role == Role.CITIZEN
    assert not user.is_staff
    assert not user.has_usable_password()
    assert user.username  # generated
    profile = LabelerProfile.objects.get(user=user)
    assert (profile.score, profile.raw_score) == (0, 0)
    assert decode(body["user_token"])["user_id"] == user.pk


def test_later_logins_reuse_the_labeler_and_each_writes_a_connection(api_client):
    first = login(api_client, {"client_id": "ga.123.456"}).json()
    users_after_first = User.objects.count()
    second = login(api_client, {"client_id": "ga.123.456"}).json()

    assert User.objects.count() == users_after_first
    user = User.objects.get(client_id="ga.123.456")
    assert LabelerProfile.objects.filter(user=user).count() == 1
    connections = list(Connection.objects.filter(user=user).order_by("id"))
    assert len(connections) == 2
    first_claims, second_claims = decode(first["user_token"]), decode(second["user_token"])
    assert first_claims["user_id"] == second_claims["user_id"] == user.pk
    assert [first_claims["connection_id"], second_claims["connection_id"]] == [c.pk for c in connections]


def test_distinct_client_ids_are_distinct_labelers(api_client):
    a = decode(login(api_client, {"client_id": "uuid.a"}).json()["user_token"])
    b = decode(login(api_client, {"client_id": "uuid.b"}).json()["user_token"])
    assert a["user_id"] != b["user_id"]


def test_connection_records_the_current_client_type(api_client):
    labeler = LabelerFactory(client_id="uuid.expert", client_type=ClientType.EXPERT)
    before = Connection.objects.filter(user=labeler).count()

    response = login(api_client, {"client_id": "uuid.expert"})

    assert response.status_code == 200
    connection = Connection.objects.filter(user=labeler).latest("id")
    assert Connection.objects.filter(user=labeler).count() == before + 1
    assert connection.client_type == ClientType.EXPERT
    claims = decode(response.json()["user_token"])
    assert claims["client_type"] == ClientType.EXPERT
    assert claims["connection_id"] == connection.pk


def test_researcher_labeler_gets_client_type_zero_in_token(api_client):
    labeler = LabelerFactory(client_id="uuid.sci", client_type=ClientType.RESEARCHER)
    response = login(api_client, {"client_id": "uuid.sci"})
    assert response.status_code == 200
    assert decode(response.json()["user_token"])["client_type"] == 0
    assert decode(response.json()["user_token_for_other_app"])["client_type"] == 0
    assert Connection.objects.filter(user=labeler).latest("id").client_type == 0


def test_blacklisted_labeler_is_refused_but_the_connection_is_recorded(api_client):
    labeler = LabelerFactory(client_id="uuid.banned", client_type=ClientType.BLACKLISTED)
    users, connections, profiles = counts()

    response = login(api_client, {"client_id": "uuid.banned"})

    assert response.status_code == 403
    assert response.json() == {"message": "Permission denied"}
    assert counts() == (users, connections + 1, profiles)
    connection = Connection.objects.filter(user=labeler).latest("id")
    assert connection.client_type == ClientType.BLACKLISTED


def test_login_accepts_form_encoded_client_id(api_client):
    response = api_client.post(URL, {"client_id": "uuid.form"})
    assert response.status_code == 200
    assert User.objects.filter(client_id="uuid.form").exists()


def test_client_id_of_255_characters_is_accepted(api_client):
    client_id = "u" * 255
    response = login(api_client, {"client_id": client_id})
    assert response.status_code == 200
    assert User.objects.filter(client_id=client_id).exists()


# --- tokens ------------------------------------------------------------------------------------------


def test_user_token_claims(api_client):
    labeler = LabelerFactory(client_id="uuid.scored")
    LabelerProfile.objects.filter(user=labeler).update(score=24, raw_score=36)

    response = login(api_client, {"client_id": "uuid.scored"})

    connection = Connection.objects.filter(user=labeler).latest("id")
    claims = decode(response.json()["user_token"])
    assert set(claims) == {
        "token_type",
        "exp",
        "iat",
        "jti",
        "user_id",
        "client_type",
        "connection_id",
        "user_score",
        "user_raw_score",
    }
    assert claims["token_type"] == "access"
    assert claims["iat"] == int(connection.time.timestamp())
    assert claims["exp"] - claims["iat"] == int(timedelta(days=7).total_seconds())
    assert claims["user_id"] == labeler.pk
    assert claims["client_type"] == 3
    assert claims["connection_id"] == connection.pk
    assert claims["user_score"] == 24
    assert claims["user_raw_score"] == 36
    assert isinstance(claims["jti"], str) and claims["jti"]


def test_token_for_other_app_claims(api_client):
    response = login(api_client, {"client_id": "uuid.other"})

    body = response.json()
    user_claims = decode(body["user_token"])
    other = decode(body["user_token_for_other_app"])
    assert set(other) == {"token_type", "exp", "iat", "jti", "user_id", "client_type", "connection_id"}
    assert other["connection_id"] == -1
    assert "user_score" not in other and "user_raw_score" not in other
    assert other["token_type"] == "access"
    assert other["user_id"] == user_claims["user_id"]
    assert other["client_type"] == user_claims["client_type"]
    assert other["iat"] == user_claims["iat"]
    assert other["exp"] == user_claims["exp"]
    assert other["jti"] != user_claims["jti"]


def test_iat_is_the_connection_time_not_a_later_clock(api_client):
    before = int(time.time())
    claims = decode(login(api_client, {"client_id": "uuid.clock"}).json()["user_token"])
    after = int(time.time())
    connection = Connection.objects.get(pk=claims["connection_id"])
    assert before <= claims["iat"] <= after
    assert claims["iat"] == int(connection.time.timestamp())


def test_token_lifetime_follows_user_token_lifetime(api_client, settings):
    settings.USER_TOKEN_LIFETIME = timedelta(hours=3)
    body = login(api_client, {"client_id": "uuid.short"}).json()
    for name in ("user_token", "user_token_for_other_app"):
        claims = decode(body[name])
        assert claims["exp"] - claims["iat"] == 3 * 3600


@pytest.mark.parametrize("name", ["user_token", "user_token_for_other_app"])
def test_issued_tokens_are_accepted_as_platform_user_tokens(api_client, name):
    body = login(api_client, {"client_id": "uuid.me"}).json()
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body[name]}")
    assert response.status_code == 200
    assert response.json()["id"] == User.objects.get(client_id="uuid.me").pk


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (None, None),
        ("", "application/json"),
        ("{not json", "application/json"),
        ('{"client_id": "uuid.x"', "application/json"),
        ("{}", "application/json"),
        ('{"clientid": "uuid.x"}', "application/json"),
        ('{"client_id": null}', "application/json"),
        ("[]", "application/json"),
        ('["uuid.x"]', "application/json"),
        ('"uuid.x"', "application/json"),
        ("client_id", "text/plain"),
    ],
    ids=[
        "no-body",
        "empty-json-body",
        "malformed",
        "truncated",
        "empty-object",
        "misspelt-field",
        "null-client-id",
        "empty-array",
        "array",
        "string",
        "not-json",
    ],
)
def test_missing_field(api_client, data, content_type):
    before = counts()
    if data is None:
        response = api_client.post(URL)
    else:
        response = api_client.generic("POST", URL, data, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == MISSING
    assert counts() == before


@pytest.mark.parametrize(
    "client_id",
    [123, 1.5, True, [], ["uuid.x"], {"id": "uuid.x"}, "", "x" * 256],
    ids=["int", "float", "bool", "empty-list", "list", "object", "empty", "too-long"],
)
def test_invalid_client_id_writes_nothing(api_client, client_id):
    before = counts()
    response = login(api_client, {"client_id": client_id})
    assert response.status_code == 400
    assert response.json() == INVALID_CLIENT_ID
    assert counts() == before


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_not_allowed(api_client, method):
    before = counts()
    response = getattr(api_client, method)(URL)
    assert response.status_code == 405
    assert response.json() == {"message": "Method not allowed"}
    assert counts() == before


def test_trailing_slash_is_served_without_redirect(api_client):
    response = api_client.post(URL + "/", {"client_id": "uuid.slash"}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"user_token", "user_token_for_other_app"}
    assert User.objects.filter(client_id="uuid.slash").exists()


def test_throttle(api_client, settings):
    settings.LABELER_LOGIN_RATE = "3/min"
    for n in range(3):
        assert login(api_client, {"client_id": f"uuid.t{n}"}).status_code == 200
    before = counts()

    response = login(api_client, {"client_id": "uuid.t3"})

    assert response.status_code == 429
    assert response.json() == {"message": "Too many requests"}
    assert int(response["Retry-After"]) > 0
    assert counts() == before


def test_throttle_is_per_client_ip(api_client, settings):
    settings.LABELER_LOGIN_RATE = "1/min"
    assert login(api_client, {"client_id": "uuid.ip1"}, REMOTE_ADDR="10.0.0.1").status_code == 200
    assert login(api_client, {"client_id": "uuid.ip1"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert login(api_client, {"client_id": "uuid.ip1"}, REMOTE_ADDR="10.0.0.2").status_code == 200


# --- google_id_token ---------------------------------------------------------------------------------


def test_google_login_creates_the_google_labeler(api_client, google_token):
    response = login(api_client, {"google_id_token": google_token(sub="4242")})

    assert response.status_code == 200, response.content
    user = User.objects.get(client_id="google.4242")
    assert user.client_type == 3
    assert user.role == Role.CITIZEN
    assert LabelerProfile.objects.filter(user=user, score=0, raw_score=0).exists()
    assert Connection.objects.filter(user=user).count() == 1
    assert decode(response.json()["user_token"])["user_id"] == user.pk

    again = login(api_client, {"google_id_token": google_token(sub="4242")})
    assert again.status_code == 200
    assert User.objects.filter(client_id__startswith="google.").count() == 1
    assert Connection.objects.filter(user=user).count() == 2


@pytest.mark.parametrize("issuer", ["accounts.google.com", "https://accounts.google.com"])
def test_google_login_accepts_both_google_issuers(api_client, google_token, issuer):
    response = login(api_client, {"google_id_token": google_token(iss=issuer, sub="77")})
    assert response.status_code == 200
    assert User.objects.filter(client_id="google.77").exists()


def test_google_wins_when_both_fields_are_sent(api_client, google_token):
    response = login(api_client, {"google_id_token": google_token(sub="99"), "client_id": "uuid.ignored"})
    assert response.status_code == 200
    assert User.objects.filter(client_id="google.99").exists()
    assert not User.objects.filter(client_id="uuid.ignored").exists()


def test_a_failing_google_token_is_not_rescued_by_client_id(api_client, google_token):
    before = counts()
    response = login(api_client, {"google_id_token": google_token(aud="someone-else"), "client_id": "uuid.fallback"})
    assert response.status_code == 418
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "another-app.apps.googleusercontent.com"}, "Audience doesn't match"),
        ({"aud": None}, 'Token is missing the "aud" claim'),
        ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "Signature has expired"),
    ],
    ids=["wrong-audience", "no-audience", "expired"],
)
def test_google_token_failing_verification_is_418(api_client, google_token, overrides, message):
    before = counts()
    response = login(api_client, {"google_id_token": google_token(**overrides)})
    assert response.status_code == 418
    assert response.json() == {"message": message}
    assert counts() == before


def test_google_token_without_subject_is_418(api_client, google_token):
    before = counts()
    response = login(api_client, {"google_id_token": google_token(sub=None)})
    assert response.status_code == 418
    assert response.json()["message"]
    assert counts() == before


def test_google_token_with_bad_signature_is_418(api_client, google_token, other_private_key):
    before = counts()
    response = login(api_client, {"google_id_token": google_token(signing_key=other_private_key)})
    assert response.status_code == 418
    assert response.json() == {"message": "Signature verification failed"}
    assert counts() == before


@pytest.mark.parametrize("token", ["not-a-jwt", "", 12345], ids=["garbage", "empty", "number"])
def test_undecodable_google_token_is_418(api_client, google_keys, token):
    before = counts()
    response = login(api_client, {"google_id_token": token})
    assert response.status_code == 418
    assert isinstance(response.json()["message"], str) and response.json()["message"]
    assert counts() == before


def test_google_token_signed_with_hs256_is_refused(api_client, google_keys):
    import jwt

    now = int(time.time())
    forged = jwt.encode(
        {"iss": "accounts.google.com", "aud": GOOGLE_CLIENT_ID, "sub": "1", "iat": now, "exp": now + 60},
        "guessable-secret-guessable-secret-guessable",
        algorithm="HS256",
    )
    before = counts()
    response = login(api_client, {"google_id_token": forged})
    assert response.status_code == 418
    assert counts() == before


@pytest.mark.parametrize("client_id", [None, ""], ids=["unset", "empty"])
def test_google_login_not_configured_is_418(api_client, google_token, settings, client_id):
    token = google_token()
    settings.GOOGLE_CLIENT_ID = client_id
    before = counts()
    response = login(api_client, {"google_id_token": token})
    assert response.status_code == 418
    assert response.json()["message"]
    assert counts() == before


@pytest.mark.parametrize("issuer", ["https://evil.example.com", "accounts.google.com.evil", None])
def test_google_token_from_another_issuer_is_401(api_client, google_token, issuer):
    before = counts()
    response = login(api_client, {"google_id_token": google_token(iss=issuer)})
    assert response.status_code == 401
    assert response.json() == {"message": "Wrong token issuer"}
    assert counts() == before


def test_google_login_of_a_blacklisted_google_labeler(api_client, google_token):
    login(api_client, {"google_id_token": google_token(sub="555")})
    user = User.objects.get(client_id="google.555")
    services.set_client_type(user=user, client_type=ClientType.BLACKLISTED)

    response = login(api_client, {"google_id_token": google_token(sub="555")})

    assert response.status_code == 403
    assert response.json() == {"message": "Permission denied"}
    assert Connection.objects.filter(user=user).count() == 2


# --- authorization -----------------------------------------------------------------------------------


@pytest.fixture
def labeler_kind(request, db):
    kind = request.param
    if kind == "new":
        return kind, None
    labeler = LabelerFactory(client_id="uuid.kind")
    if kind == "blacklisted":
        services.set_client_type(user=labeler, client_type=ClientType.BLACKLISTED)
    elif kind == "inactive":
        services.set_active(user=labeler, active=False)
    return kind, User.objects.get(pk=labeler.pk)


@pytest.mark.parametrize(
    ("labeler_kind", "statuses"),
    [("new", {200}), ("existing", {200}), ("blacklisted", {403}), ("inactive", {401, 403})],
    indirect=["labeler_kind"],
)
def test_login_authorization(api_client, labeler_kind, statuses):
    kind, labeler = labeler_kind
    users = User.objects.count()
    connections = Connection.objects.count()

    response = login(api_client, {"client_id": "uuid.kind"})

    assert response.status_code in statuses
    user = User.objects.get(client_id="uuid.kind")
    assert User.objects.count() == users + (1 if kind == "new" else 0)
    assert Connection.objects.count() == connections + 1  # every attempt is recorded
    if response.status_code == 200:
        assert decode(response.json()["user_token"])["user_id"] == user.pk
    else:
        assert "user_token" not in response.json()
        assert (user.client_type, user.is_active, user.role) == (labeler.client_type, labeler.is_active, labeler.role)
