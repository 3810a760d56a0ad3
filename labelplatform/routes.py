"""Seed paths are served as documented, and with or without the trailing slash, never redirected."""

from __future__ import annotations

from django.urls import path


def seed_path(route: str, view_class, name: str) -> list:
    """`route` as documented plus its slash twin; only the documented one appears in the OpenAPI schema."""
    twin = route[:-1] if route.endswith("/") else f"{route}/"
    alias = view_class.as_view()
    alias.schema_alias = True
    return [path(route, view_class.as_view(), name=name), path(twin, alias)]


def drop_alias_endpoints(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: leave the slash twins out of the schema."""
    return [endpoint for endpoint in endpoints if not getattr(endpoint[3], "schema_alias", False)]
