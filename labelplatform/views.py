"""The web shell: a home page that sends each role to its place, and a health check."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role

EVERYONE = frozenset({"anonymous", *Role.values})


@dataclass(frozen=True)
class Destination:
    title: object
    url_name: str
    description: object
    audience: frozenset[str]
    permission: str | None = None  # also shown to anyone holding it (e.g. alert watchers)


# Pages of apps that are not installed yet are left out until their URL exists.
DESTINATIONS = (
    Destination(
        _("Admin"),
        "admin:index",
        _("Upload datasets, assign areas to experts, urge and hand over tasks, review, manage users."),
        frozenset({Role.MANAGER, Role.RESEARCHER}),
    ),
    Destination(
        _("Expert workspace"),
        "tasks:workspace",
        _("Your Q&A tasks: edit questions, rank answers."),
        frozenset({Role.EXPERT}),
    ),
    Destination(_("Labeling"), "videos:label", _("Label batches of smoke clips."), EVERYONE),
    Destination(_("Gallery"), "videos:gallery", _("Browse labeled clips."), EVERYONE),
    Destination(
        _("Alert monitor"),
        "alerts:monitor",
        _("Live truck alerts and their frames."),
        frozenset({Role.MANAGER}),
        permission="alerts.view_alert",
    ),
    Destination(
        _("API documentation"), "api-docs", _("Every endpoint, with its request and response shapes."), EVERYONE
    ),
)


def _audience(user) -> str:
    if not user.is_authenticated:
        return "anonymous"
    return Role.MANAGER if user.is_superuser else user.role


def destinations_for(user) -> list[dict]:
    audience = _audience(user)
    found = []
    for destination in DESTINATIONS:
        granted = destination.permission and user.is_authenticated and user.has_perm(destination.permission)
        if audience not in destination.audience and not granted:
            continue
        try:
            url = reverse(destination.url_name)
        except NoReverseMatch:
            continue
        found.append({"title": destination.title, "url": url, "description": destination.description})
    return found


def home(request):
    return render(request, "home.html", {"destinations": destinations_for(request.user)})


def healthz(request):
    """Liveness and database reachability, for load balancers and the CI scripts."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
