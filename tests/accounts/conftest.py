"""Fixtures shared by the accounts tests: a fast password hasher, token helpers and a Google signing key."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings

from accounts import google
from accounts.models import ALERT_WATCHERS_GROUP

GOOGLE_CLIENT_ID = "test-client.apps.googleusercontent.com"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Hashing still happens (the stored value is never the raw password), only with a cheap algorithm.

    The test that asserts the production hasher is used restores `PASSWORD_HASHERS` itself.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def decode(raw: str, *, verify_exp: bool = True) -> dict:
    """A platform JWT's claims, checked with the platform's signing key (HS256)."""
    return jwt.decode(
        raw,
        django_settings.SIMPLE_JWT["SIGNING_KEY"],
        algorithms=["HS256"],
        options={"verify_exp": verify_exp, "verify_aud": False},
    )


def sign_platform_jwt(claims: dict, *, key: str | None = None) -> str:
    """Any HS256 JWT signed like the platform signs (or with `key`), e.g. a device or video token."""
    return jwt.encode(claims, key or django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def is_watcher(user) -> bool:
    return user.groups.filter(name=ALERT_WATCHERS_GROUP).exists()


@pytest.fixture(scope="session")
def google_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_private_key():
    """A key Google never used: tokens signed with it fail signature verification."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def google_keys(google_private_key, settings):
    """Google sign-in configured for GOOGLE_CLIENT_ID, with our own public key instead of Google's JWKS."""
    settings.GOOGLE_CLIENT_ID = GOOGLE_CLIENT_ID
    public_key = google_private_key.public_key()
    google.use_key_resolver(lambda token: public_key)
    return google_private_key


@pytest.fixture
def google_token(google_keys):
    """Build a Google-like ID token; keyword arguments override or (with None) remove claims."""

    def build(*, signing_key=None, **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": "https://accounts.google.com",
            "aud": GOOGLE_CLIENT_ID,
            "sub": "110169484474386276334",
            "email": "labeler@example.org",
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, signing_key or google_keys, algorithm="RS256", headers={"kid": "test-key"})

    return build
