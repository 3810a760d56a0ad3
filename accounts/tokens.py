"""User JWTs: issue them and turn one back into a user (DESIGN.md, Identity).

All platform JWTs are simplejwt tokens signed HS256 with `SECRET_KEY`. A user token is an access
token (`token_type` "access"); device tokens and seed 000's video tokens have other types and are
never accepted as a user token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.backends import user_may_authenticate


class TokenRejected(Exception):
    """The token cannot identify an allowed user. `reason` is the JWT library's wording where it has one."""

    def __init__(self, reason: str, *, code: str = "token_invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class UserBlacklisted(Exception):
    """The token is valid but its user is blacklisted (client type -1)."""


@dataclass(frozen=True)
class TokenUser:
    user: object
    claims: dict


def issue_user_token(
    user,
    *,
    lifetime: timedelta | None = None,
    issued_at: datetime | None = None,
    bound_to_password: bool = True,
    **claims,
) -> str:
    """An access token for `user` living `lifetime` (default `USER_TOKEN_LIFETIME`), with extra claims.

    A token bound to the password stops working when the password changes; seed 000's labeler tokens
    are not (labelers have no password, and their claim set is part of the contract).
    """
    token = AccessToken.for_user(user)
    token["user_id"] = user.pk
    if not bound_to_password:
        token.payload.pop(settings.SIMPLE_JWT.get("REVOKE_TOKEN_CLAIM", "hash_password"), None)
    if issued_at is not None:
        token.current_time = issued_at
        token.set_iat(at_time=issued_at)
    token.set_exp(from_time=issued_at, lifetime=settings.USER_TOKEN_LIFETIME if lifetime is None else lifetime)
    for name, value in claims.items():
        token[name] = value
    return str(token)


def decode_token(raw: str) -> dict:
    """Verify signature and expiry; the reason on failure is PyJWT's (e.g. "Signature has expired")."""
    try:
        return jwt.decode(raw, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected(str(exc), code="token_expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected(str(exc)) from exc


def authenticate_user_token(raw: str) -> TokenUser:
    """The active user a user token names, read from the database now (so demotions apply at once)."""
    claims = decode_token(raw)
    if claims.get("token_type") != "access":
        raise TokenRejected("Token has wrong type", code="token_wrong_type")
    user_id = claims.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
    valid_id = isinstance(user_id, int) or (isinstance(user_id, str) and user_id.isdigit())
    user = get_user_model().objects.filter(pk=int(user_id)).first() if valid_id else None
    if user is None or not user.is_active:
        raise TokenRejected("User not found", code="user_not_found")
    revoke_claim = settings.SIMPLE_JWT.get("REVOKE_TOKEN_CLAIM", "hash_password")
    if revoke_claim in claims and claims[revoke_claim] != get_md5_hash_password(user.password):
        raise TokenRejected("The user's password has been changed.", code="password_changed")
    if not user_may_authenticate(user):
        raise UserBlacklisted()
    return TokenUser(user=user, claims=claims)
