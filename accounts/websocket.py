"""ASGI middleware for websockets: origin check and JWT identity (DESIGN.md; CONVENTIONS.md §8)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.contrib.auth.models import AnonymousUser

from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token
from labelplatform.origins import is_allowed_origin


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def scope_token(scope) -> str | None:
    """The JWT of a websocket: `?token=` in the URL, else `Authorization: Bearer`."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token") and query["token"][0]:
        return query["token"][0]
    scheme, _, value = (_header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


class OriginValidatorMiddleware:
    """Refuse a browser websocket from a foreign origin; clients without Origin (devices) pass."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not is_allowed_origin(_header(scope, b"origin")):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


@database_sync_to_async
def _user_for(raw: str):
    try:
        return authenticate_user_token(raw).user
    except (TokenRejected, UserBlacklisted):
        return AnonymousUser()


class JWTAuthMiddleware:
    """Put the token's user (or AnonymousUser) in `scope["user"]`; the raw token in `scope["token"]`.

    Consumers decide what an anonymous connection may do; other token kinds (devices) are read by
    their own consumers from `scope["token"]`.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            raw = scope_token(scope)
            scope = dict(scope, token=raw, user=await _user_for(raw) if raw else AnonymousUser())
        return await self.app(scope, receive, send)
