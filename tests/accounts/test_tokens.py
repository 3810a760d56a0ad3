"""`/api/token/`, `/api/token/refresh/`, `/api/token/blacklist/`, `/api/v1/me/` and user-token revocation
by the database (DESIGN.md, Identity)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from freezegun import freeze_time
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts import services
from accounts.models import ClientType, Role, User
from accounts.tokens import (
    TokenRejected,
    UserBlacklisted,
    authenticate_user_token,
    decode_token,
    issue_user_token,
)
from tests.accounts.conftest import decode
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OBTAIN = "/api/token/"
REFRESH = "/api/token/refresh/"
BLACKLIST = "/api/token/blacklist/"
ME = "/api/v1/me/"
REGISTER = "/api/v1/user/register/"


def obtain(client, username="joe", password=PASSWORD, **kwargs):
    return client.post(OBTAIN, {"username": username, "password": password}, format="json", **kwargs)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def user_state(user) -> tuple:
    fresh = User.objects.get(pk=user.pk)
    return (fresh.password, fresh.email, fresh.role, fresh.client_type, fresh.is_active, fresh.is_staff)


# --- /api/token/ -------------------------------------------------------------------------------------


def test_obtain_pair(api_client, citizen, settings):
    response = obtain(api_client)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh"}
    access, refresh = decode(body["access"]), decode(body["refresh"])
    assert access["token_type"] == "access"
    assert refresh["token_type"] == "refresh"
    assert int(access["user_id"]) == int(refresh["user_id"]) == citizen.pk
    assert access["exp"] - access["iat"] == int(settings.ACCESS_TOKEN_LIFETIME.total_seconds())
    assert refresh["exp"] - refresh["iat"] == int(settings.REFRESH_TOKEN_LIFETIME.total_seconds())
    assert me_of(api_client, body["access"]).json()["id"] == citizen.pk


def test_access_tokens_are_shorter_lived_than_user_tokens(settings):
    """The seed endpoints' clients cannot refresh, so their tokens live USER_TOKEN_LIFETIME instead."""
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == settings.ACCESS_TOKEN_LIFETIME
    assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] == settings.REFRESH_TOKEN_LIFETIME
    assert settings.ACCESS_TOKEN_LIFETIME < settings.USER_TOKEN_LIFETIME


def test_obtain_updates_last_login(api_client, citizen):
    assert User.objects.get(pk=citizen.pk).last_login is None
    obtain(api_client)
    assert User.objects.get(pk=citizen.pk).last_login is not None


@pytest.mark.parametrize(
    ("username", "password"),
    [("joe", "wrong"), ("nobody", PASSWORD), ("joe", "")],
    ids=["wrong-password", "unknown", "empty-password"],
)
def test_obtain_refused(api_client, citizen, username, password):
    response = obtain(api_client, username, password)
    assert response.status_code in (400, 401)
    assert "access" not in response.json()
    assert User.objects.get(pk=citizen.pk).last_login is None


def test_obtain_throttled(api_client, citizen, settings):
    settings.LOGIN_RATE = "2/min"
    obtain(api_client, password="wrong")
    obtain(api_client, password="wrong")
    response = obtain(api_client)
    assert response.status_code == 429
    assert "access" not in response.json()


def test_obtain_refuses_a_user_without_password(api_client):
    labeler = services.log_in_labeler(client_id="uuid.nopass").user
    response = obtain(api_client, labeler.username, "!")
    assert response.status_code == 401


# --- refresh and blacklist ---------------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, citizen):
    pair = obtain(api_client).json()

    response = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 200, response.content
    rotated = response.json()
    assert set(rotated) == {"access", "refresh"}
    assert rotated["refresh"] != pair["refresh"]
    assert decode(rotated["refresh"])["jti"] != decode(pair["refresh"])["jti"]
    assert me_of(api_client, rotated["access"]).json()["id"] == citizen.pk

    again = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 401
    assert "blacklisted" in again.json()["detail"].lower()

    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}, format="json").status_code == 200


def test_blacklist_endpoint_revokes_a_refresh_token(api_client, citizen):
    pair = obtain(api_client).json()

    response = api_client.post(BLACKLIST, {"refresh": pair["refresh"]}, format="json")

    assert response.status_code == 200
    assert BlacklistedToken.objects.filter(token__jti=decode(pair["refresh"])["jti"]).exists()
    refused = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refused.status_code == 401
    assert api_client.post(BLACKLIST, {"refresh": pair["refresh"]}, format="json").status_code == 401


@pytest.mark.parametrize("url", [REFRESH, BLACKLIST])
def test_refresh_endpoints_refuse_access_tokens_and_garbage(api_client, citizen, url):
    access = obtain(api_client).json()["access"]
    for token in (access, issue_user_token(citizen), "garbage"):
        response = api_client.post(url, {"refresh": token}, format="json")
        assert response.status_code == 401, token
    assert not BlacklistedToken.objects.exists()


# --- expiry ------------------------------------------------------------------------------------------


def test_expired_user_token_is_401(api_client, citizen):
    token = issue_user_token(citizen, lifetime=timedelta(seconds=-1))
    response = me_of(api_client, token)
    assert response.status_code == 401
    assert response.json()["detail"] == "Signature has expired"


def test_user_token_expires_after_its_lifetime(api_client, citizen, settings):
    settings.USER_TOKEN_LIFETIME = timedelta(hours=1)
    with freeze_time("2030-01-01 12:00:00") as frozen:
        token = issue_user_token(citizen)
        assert decode(token)["exp"] - decode(token)["iat"] == 3600
        frozen.tick(timedelta(minutes=59))
        assert me_of(api_client, token).status_code == 200
        frozen.tick(timedelta(minutes=2))
        response = me_of(api_client, token)
    assert response.status_code == 401
    assert response.json()["detail"] == "Signature has expired"


def test_access_token_from_the_pair_expires_after_access_token_lifetime(api_client, citizen, settings):
    with freeze_time("2030-01-01 12:00:00") as frozen:
        access = obtain(api_client).json()["access"]
        frozen.tick(settings.ACCESS_TOKEN_LIFETIME - timedelta(seconds=5))
        assert me_of(api_client, access).status_code == 200
        frozen.tick(timedelta(seconds=10))
        assert me_of(api_client, access).status_code == 401


def test_user_token_lifetime_follows_settings(citizen, settings):
    default = decode(issue_user_token(citizen))
    assert default["exp"] - default["iat"] == int(settings.USER_TOKEN_LIFETIME.total_seconds())
    settings.USER_TOKEN_LIFETIME = timedelta(days=2)
    claims = decode(issue_user_token(citizen))
    assert claims["exp"] - claims["iat"] == 2 * 86400


def test_explicit_lifetime_wins_even_when_zero(citizen):
    claims = decode(issue_user_token(citizen, lifetime=timedelta(0)), verify_exp=False)
    assert claims["exp"] == claims["iat"]
    claims = decode(issue_user_token(citizen, lifetime=timedelta(minutes=10)))
    assert claims["exp"] - claims["iat"] == 600


def test_decode_token_reasons(citizen):
    with pytest.raises(TokenRejected) as expired:
        decode_token(issue_user_token(citizen, lifetime=timedelta(seconds=-5)))
    assert (expired.value.reason, expired.value.code) == ("Signature has expired", "token_expired")
    with pytest.raises(TokenRejected) as segments:
        decode_token("abc")
    assert segments.value.reason == "Not enough segments"
    token = issue_user_token(citizen)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(TokenRejected) as bad_signature:
        decode_token(tampered)
    assert bad_signature.value.reason == "Signature verification failed"


# --- the database decides, at once ------------------------------------------------------------------


def test_blacklisted_users_tokens_stop_working_at_once(api_client, citizen):
    pair = obtain(api_client).json()
    user_token = issue_user_token(citizen)
    assert me_of(api_client, user_token).status_code == 200

    services.set_client_type(user=citizen, client_type=ClientType.BLACKLISTED)

    for token in (user_token, pair["access"]):
        response = me_of(api_client, token)
        assert response.status_code == 403
    assert obtain(api_client).status_code == 401
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    with pytest.raises(UserBlacklisted):
        authenticate_user_token(user_token)


def test_unblacklisted_users_tokens_work_again(api_client, citizen):
    token = issue_user_token(citizen)
    services.set_client_type(user=citizen, client_type=ClientType.BLACKLISTED)
    assert me_of(api_client, token).status_code == 403
    services.set_client_type(user=citizen, client_type=ClientType.AMATEUR)
    assert me_of(api_client, token).status_code == 200


def test_deactivated_users_tokens_are_401(api_client, citizen):
    pair = obtain(api_client).json()
    user_token = issue_user_token(citizen)

    services.set_active(user=citizen, active=False)

    for token in (user_token, pair["access"]):
        assert me_of(api_client, token).status_code == 401
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert obtain(api_client).status_code == 401
    with pytest.raises(TokenRejected) as rejected:
        authenticate_user_token(user_token)
    assert rejected.value.reason == "User not found"


def test_deleted_users_token_is_401(api_client, citizen):
    token = issue_user_token(citizen)
    User.objects.filter(pk=citizen.pk).delete()
    assert me_of(api_client, token).status_code == 401


def test_demoted_manager_can_no_longer_register_users(api_client, manager):
    token = issue_user_token(manager)
    body = {
        "cur_user": {"username": manager.username, "token": token},
        "new_user": {"username": "newbie", "password": "pw", "role": "Full", "email": "newbie@example.org"},
    }
    services.set_role(user=manager, role=Role.CITIZEN)
    users = User.objects.count()

    response = api_client.post(REGISTER, body, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == "Current user don't has permission"
    assert User.objects.count() == users


def test_promoted_user_may_register_with_an_old_token(api_client, citizen):
    token = issue_user_token(citizen)
    services.set_role(user=citizen, role=Role.MANAGER)
    body = {
        "token": token,
        "new_user": {"username": "newbie", "password": "pw", "role": "Full", "email": "newbie@example.org"},
    }
    assert api_client.post(REGISTER, body, format="json").status_code == 200


# --- /api/v1/me/ -------------------------------------------------------------------------------------


def me_of(client, token):
    return client.get(ME, **bearer(token))


def test_me_shows_the_callers_account(api_client, expert):
    response = me_of(api_client, issue_user_token(expert))
    assert response.status_code == 200
    assert response.json() == {
        "id": expert.pk,
        "username": "doc",
        "email": "doc@example.org",
        "role": "expert",
        "area": "medicine",
        "client_type": 3,
        "is_staff": False,
    }


def test_me_with_a_session(client, citizen):
    client.force_login(citizen)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == citizen.pk


def test_me_is_read_only(api_client, citizen):
    before = user_state(citizen)
    for method in ("put", "patch", "delete", "post"):
        response = getattr(api_client, method)(
            ME, {"role": "manager"}, format="json", **bearer(issue_user_token(citizen))
        )
        assert response.status_code == 405
    assert user_state(citizen) == before


# --- authorization, one parametrised test per endpoint -----------------------------------------------


@pytest.fixture
def caller(request, db):
    """`anonymous`, a user who may not act (`blacklisted`, `inactive`) or the `owner` of the account."""
    kind = request.param
    owner = UserFactory(username="owner", role=Role.CITIZEN)
    if kind == "blacklisted":
        services.set_client_type(user=owner, client_type=ClientType.BLACKLISTED)
    elif kind == "inactive":
        services.set_active(user=owner, active=False)
    return kind, owner


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 401), ("blacklisted", 403), ("inactive", 401), ("owner", 200)],
    indirect=["caller"],
)
def test_me_authorization(api_client, caller, status):
    kind, owner = caller
    token = issue_user_token(owner)  # issued before the refusal took effect
    before = user_state(owner)
    response = api_client.get(ME) if kind == "anonymous" else me_of(api_client, token)
    assert response.status_code == status
    if status == 200:
        assert response.json()["id"] == owner.pk
    else:
        assert "username" not in response.json()
    assert user_state(owner) == before


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 400), ("blacklisted", 401), ("inactive", 401), ("owner", 200)],
    indirect=["caller"],
)
def test_obtain_authorization(api_client, caller, status):
    kind, owner = caller
    before = user_state(owner)
    response = api_client.post(OBTAIN, {}, format="json") if kind == "anonymous" else obtain(api_client, "owner")
    assert response.status_code == status
    assert ("access" in response.json()) is (status == 200)
    assert user_state(owner) == before


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 400), ("blacklisted", 401), ("inactive", 401), ("owner", 200)],
    indirect=["caller"],
)
def test_refresh_authorization(api_client, caller, status):
    kind, owner = caller
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(owner))
    body = {} if kind == "anonymous" else {"refresh": refresh}
    response = api_client.post(REFRESH, body, format="json")
    assert response.status_code == status
    assert ("access" in response.json()) is (status == 200)
    assert BlacklistedToken.objects.count() == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 400), ("owner", 200)],
    indirect=["caller"],
)
def test_blacklist_authorization(api_client, caller, status):
    """Holding the refresh token is the authority to revoke it; without one nothing is revoked."""
    kind, owner = caller
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(owner))
    body = {} if kind == "anonymous" else {"refresh": refresh}
    response = api_client.post(BLACKLIST, body, format="json")
    assert response.status_code == status
    assert BlacklistedToken.objects.count() == (1 if status == 200 else 0)


@pytest.fixture
def register_caller(request, db):
    kind = request.param
    if kind == "anonymous":
        return None
    role = {"citizen": Role.CITIZEN, "watcher": Role.CITIZEN, "expert": Role.EXPERT, "researcher": Role.RESEARCHER}
    return UserFactory(username=f"caller-{kind}", role=role.get(kind, Role.MANAGER), watcher=kind == "watcher")


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    ("register_caller", "status"),
    [
        ("anonymous", 400),
        ("citizen", 403),
        ("watcher", 403),
        ("expert", 403),
        ("researcher", 403),
        ("manager", 200),
    ],
    indirect=["register_caller"],
)
def test_register_authorization(api_client, register_caller, status, method):
    target = UserFactory(username="target", email="target@example.org")
    new_user = {"username": "target" if method == "put" else "fresh", "password": "New-pass-1", "role": "Admin"}
    new_user["email"] = "changed@example.org" if method == "put" else "fresh@example.org"
    body = {"new_user": new_user}
    if register_caller is not None:
        body["token"] = issue_user_token(register_caller)
    users = User.objects.count()
    before = user_state(target)
    groups = sorted(Group.objects.filter(user=target).values_list("name", flat=True))

    response = getattr(api_client, method)(REGISTER, body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == status
    if status != 200:
        assert User.objects.count() == users
        assert user_state(target) == before
        assert sorted(Group.objects.filter(user=target).values_list("name", flat=True)) == groups
    elif method == "post":
        assert User.objects.count() == users + 1
    else:
        assert User.objects.get(pk=target.pk).email == "changed@example.org"


class TestPasswordChangeRevokesTokens:
    """A new password signs out every token issued before it (simplejwt CHECK_REVOKE_TOKEN)."""

    def test_seed_001_password_change_refuses_old_tokens(self, client, manager, citizen):
        old_token = issue_user_token(citizen)
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code == 200
        response = client.put(
            "/api/v1/user/register/",
            {
                "token": issue_user_token(manager),
                "new_user": {"username": citizen.username, "password": "fresh-pass-77"},
            },
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        refused = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {old_token}")
        assert refused.status_code == 401
        assert "password has been changed" in refused.json()["detail"]
        fresh = response.json()["data"]["token"]
        assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {fresh}").status_code == 200

    def test_seed_000_labeler_tokens_survive_logins(self, client):
        first = client.post("/api/v1/login", {"client_id": "stable"}, content_type="application/json").json()
        client.post("/api/v1/login", {"client_id": "stable"}, content_type="application/json")
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {first['user_token']}")
        assert me.status_code == 200
