"""Which browser origins may write to the platform (seed 002 writes, websockets, CORS)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host


def is_allowed_origin(origin: str | None) -> bool:
    """No Origin (devices, scripts) is allowed; otherwise the platform's own hosts or CORS_ALLOWED_ORIGINS.

    In development (DEBUG with no CORS_ALLOWED_ORIGINS) any origin is allowed, as DESIGN.md says.
    """
    if not origin:
        return True
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False):
        return True
    if origin in settings.CORS_ALLOWED_ORIGINS:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return validate_host(parts.hostname, settings.ALLOWED_HOSTS) or validate_host(host, settings.ALLOWED_HOSTS)
