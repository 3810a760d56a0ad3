"""Body parsers that refuse oversize bodies with 413 before reading them into memory.

A view may raise or lower its limit with `max_body_bytes`; the default is `API_MAX_BODY_BYTES`.
Each seed family words the 413 in its own body (accounts/families.py).
"""

from __future__ import annotations

import io

from django.conf import settings
from rest_framework import exceptions, parsers


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def body_limit(parser_context: dict | None) -> int:
    view = (parser_context or {}).get("view")
    return getattr(view, "max_body_bytes", None) or settings.API_MAX_BODY_BYTES


def _declared_length(parser_context: dict | None) -> int | None:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else None
    except ValueError:
        return None


def read_bounded(stream, parser_context: dict | None) -> io.BytesIO:
    """The body, at most the view's limit (also when no Content-Length was sent)."""
    limit = body_limit(parser_context)
    declared = _declared_length(parser_context)
    if declared is not None and declared > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    return io.BytesIO(data)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(read_bounded(stream, parser_context), media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(read_bounded(stream, parser_context), media_type, parser_context)


class MultiPartParser(parsers.MultiPartParser):
    """Files stream to disk; the declared length is still capped by the view's limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = body_limit(parser_context)
        declared = _declared_length(parser_context)
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        return super().parse(stream, media_type, parser_context)
