"""Fixtures of the alerts tests: fast password hashing, files in a temporary media folder, a device,
a watcher, and clients that send requests the way the seed's example code does."""

from __future__ import annotations

import pytest

from accounts.models import Role
from accounts.tokens import issue_user_token
from alerts.tokens import issue_device_token
from tests.accounts.factories import UserFactory
from tests.alerts.factories import DeviceFactory


@pytest.fixture(autouse=True)
def _alerts_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.ALERTS_TIME_ZONE = "UTC"


@pytest.fixture
def device(db):
    return DeviceFactory(truck__name="Truck-A")


@pytest.fixture
def other_device(db):
    return DeviceFactory(truck__name="Truck-B")


@pytest.fixture
def device_token(device):
    return issue_device_token(device)


@pytest.fixture
def watcher(db):
    return UserFactory(username="eyes", role=Role.CITIZEN, watcher=True)


@pytest.fixture
def watcher_token(watcher):
    return issue_user_token(watcher)


@pytest.fixture
def citizen_token(citizen):
    return issue_user_token(citizen)


def grant_watchers_permission() -> None:
    """What migration alerts/0002 does. Transactional tests flush the database after each test, which
    drops the group's permissions that migration made; tests using `transaction=True` call this."""
    from django.contrib.auth.models import Group, Permission

    from accounts.models import ALERT_WATCHERS_GROUP

    group, _ = Group.objects.get_or_create(name=ALERT_WATCHERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="alerts", codename="view_alert"))
