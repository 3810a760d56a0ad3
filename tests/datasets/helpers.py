"""Clients and calls as the seed 002 front-end makes them (session cookie, no CSRF token)."""

from __future__ import annotations

import json

from django.test import Client

from accounts.models import Role
from tests.accounts.factories import UserFactory


def client_for(user=None) -> Client:
    """A front-end client signed in as `user` (anonymous when None); CSRF enforced like a browser."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def send(client: Client, method: str, path: str, data=None, **extra):
    """A JSON body for POST/PUT, the query string for GET."""
    if method == "get":
        return client.get(path, data or {}, **extra)
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json", **extra)


def make(role: str, **kwargs):
    return UserFactory(role=role, **kwargs)


def manager(**kwargs):
    return make(Role.MANAGER, **kwargs)


def expert(area: str = "medicine", **kwargs):
    return make(Role.EXPERT, area=area, **kwargs)
