"""Streamed answers that stay streamed under ASGI as well as WSGI.

Under ASGI, Django reads a *sync* iterator given to StreamingHttpResponse into one list before sending
it (StreamingHttpResponse.__aiter__), so a big export would sit whole in memory. ASGI requests therefore
get an async iterator that pulls the sync one piece by piece, each step in Django's sync thread (where
the pieces' queries run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse


async def _pulled(pieces: Iterator) -> AsyncIterator:
    end = object()
    step = sync_to_async(next, thread_sensitive=True)
    while (piece := await step(pieces, end)) is not end:
        yield piece


def streaming_response(request: HttpRequest | None, pieces: Iterator, *, content_type: str) -> StreamingHttpResponse:
    """A StreamingHttpResponse of `pieces`, pulled lazily under ASGI (see the module docstring)."""
    django_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if isinstance(django_request, ASGIRequest):
        pieces = _pulled(pieces)
    return StreamingHttpResponse(pieces, content_type=content_type)
