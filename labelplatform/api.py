"""The one DRF exception handler.

Domain errors become 400/403/404/409/413 naming the field; `Http404` and Django's `PermissionDenied`
become DRF's. A view of a seed family translates every error into its seed's body through
`seed_error(exc)` (returning a `SeedAnswer`), so documented error bodies stay verbatim.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labelplatform.errors import DomainError


class SeedAnswer(exceptions.APIException):
    """An answer whose status and body a seed fixes; raised to stop a view early."""

    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        super().__init__(detail=str(body))
        self.status_code = status
        self.body = body
        self.headers = headers or {}


def _normalise(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _normalise(exc)
    view = context.get("view")
    translate = getattr(view, "seed_error", None)
    if translate is not None and not isinstance(exc, SeedAnswer):
        exc = translate(exc) or exc
    if isinstance(exc, SeedAnswer):
        return Response(exc.body, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status)
    return drf_exception_handler(exc, context)


def retry_after_headers(exc: Exception) -> dict:
    wait = getattr(exc, "wait", None)
    return {"Retry-After": str(int(wait))} if wait else {}


class ScopedQuerysetMixin:
    """Non-seed REST views read only what the caller may see (CONVENTIONS.md, Layers 2-3).

    Subclasses implement `scoped_queryset(user)` by calling a selector; a class-level `queryset` is
    refused, so an unscoped list cannot be written by accident. "Not yours" and "does not exist" are
    both 404 because lookups run inside the scoped queryset.
    """

    queryset = None

    def scoped_queryset(self, user) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must implement scoped_queryset(user)")

    def get_queryset(self) -> QuerySet:
        if type(self).queryset is not None:
            raise ImproperlyConfigured(f"{type(self).__name__} sets `queryset`; implement scoped_queryset(user)")
        return self.scoped_queryset(self.request.user)


class ScopedGenericAPIView(ScopedQuerysetMixin, GenericAPIView):
    """Base of every non-seed REST view that reads model rows."""
