"""The one authentication class for tokens, wherever a seed puts them.

A view lists where its token may come from in `token_sources`, first match wins:
`"header"` (Authorization: Bearer), `"body:<field>"` / `"body:<object>.<field>"` (JSON or form body),
`"query:<param>"`. The default is the header only. Query strings are never logged (settings.LOGGING).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token

DEFAULT_TOKEN_SOURCES = ("header",)


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _lookup(container, dotted: str):
    value = container
    for part in dotted.split("."):
        if not hasattr(value, "get"):
            return None
        value = value.get(part)
    return value


def find_token(request, sources=DEFAULT_TOKEN_SOURCES) -> str | None:
    """The first token present among `sources`; a non-string value counts as absent."""
    for source in sources:
        kind, _, name = source.partition(":")
        if kind == "header":
            value = bearer_token(request)
        elif kind == "body":
            value = _lookup(request.data, name)
        elif kind == "query":
            value = request.query_params.get(name)
        else:
            raise ValueError(f"unknown token source {source!r}")
        if isinstance(value, str) and value:
            return value
    return None


class PlatformTokenAuthentication(BaseAuthentication):
    """Any valid access JWT of an active user; blacklisted users get 403, bad tokens 401 with the reason."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        view = request.parser_context.get("view") if request.parser_context else None
        sources = getattr(view, "token_sources", DEFAULT_TOKEN_SOURCES)
        raw = find_token(request, sources)
        if raw is None:
            return None
        try:
            token_user = authenticate_user_token(raw)
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(exc.reason, code=exc.code) from exc
        except UserBlacklisted as exc:
            raise exceptions.PermissionDenied("Permission denied", code="blacklisted") from exc
        return token_user.user, token_user.claims

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
