"""Roles, groups and permissions (DESIGN.md, Identity; accounts/backends.py)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts import services
from accounts.backends import PlatformBackend
from accounts.models import ALERT_WATCHERS_GROUP, MANAGERS_GROUP, RESEARCHERS_GROUP, ClientType, Role, User
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ANY_PERMS = ["accounts.change_user", "accounts.delete_user", "auth.add_group", "videos.view_video", "made.up_perm"]


def fresh(user) -> User:
    """Permissions are cached on the instance; a fresh read is what the next request sees."""
    return User.objects.get(pk=user.pk)


# --- groups from the data migration ----------------------------------------------------------------


def test_role_groups_exist():
    names = set(Group.objects.values_list("name", flat=True))
    assert {MANAGERS_GROUP, RESEARCHERS_GROUP, ALERT_WATCHERS_GROUP} <= names
    assert (MANAGERS_GROUP, RESEARCHERS_GROUP, ALERT_WATCHERS_GROUP) == ("Managers", "Researchers", "Alert watchers")


@pytest.mark.parametrize(
    "role, groups, staff",
    [
        (Role.MANAGER, {"Managers"}, True),
        (Role.RESEARCHER, {"Researchers"}, True),
        (Role.EXPERT, set(), False),
        (Role.CITIZEN, set(), False),
    ],
)
def test_groups_and_staff_follow_role(role, groups, staff):
    user = UserFactory(username="someone", role=role)
    assert set(user.groups.values_list("name", flat=True)) == groups
    assert user.is_staff is staff


def test_role_change_moves_groups(citizen):
    services.set_role(user=citizen, role=Role.MANAGER)
    assert set(fresh(citizen).groups.values_list("name", flat=True)) == {"Managers"}
    services.set_role(user=citizen, role=Role.RESEARCHER)
    user = fresh(citizen)
    assert set(user.groups.values_list("name", flat=True)) == {"Researchers"}
    assert user.client_type == ClientType.RESEARCHER
    services.set_role(user=citizen, role=Role.CITIZEN)
    user = fresh(citizen)
    assert set(user.groups.values_list("name", flat=True)) == set()
    assert user.client_type == ClientType.LAYPERSON
    assert not user.is_staff


# --- permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("perm", ANY_PERMS)
def test_manager_has_every_permission(manager, perm):
    assert fresh(manager).has_perm(perm)


def test_manager_has_every_module(manager):
    user = fresh(manager)
    for app in ("accounts", "auth", "videos", "datasets", "tasks", "alerts"):
        assert user.has_module_perms(app)


@pytest.mark.parametrize("perm", ["videos.view_video", "videos.change_video", "videos.add_label"])
def test_researcher_has_videos_permissions(researcher, perm):
    assert fresh(researcher).has_perm(perm)


@pytest.mark.parametrize(
    "perm", ["accounts.view_user", "accounts.change_user", "auth.change_group", "datasets.view_dataset"]
)
def test_researcher_has_nothing_outside_videos(researcher, perm):
    assert not fresh(researcher).has_perm(perm)


def test_researcher_modules(researcher):
    user = fresh(researcher)
    assert user.has_module_perms("videos")
    assert not user.has_module_perms("accounts")
    assert not user.has_module_perms("datasets")


@pytest.mark.parametrize("who", ["expert", "citizen"])
@pytest.mark.parametrize("perm", ["videos.view_video", "accounts.view_user", "alerts.view_alert"])
def test_expert_and_citizen_have_no_permissions(request, who, perm):
    assert not fresh(request.getfixturevalue(who)).has_perm(perm)


def test_alert_watcher_group_grants_view_alert():
    watcher = UserFactory(username="eyes", role=Role.CITIZEN, watcher=True)
    assert fresh(watcher).has_perm("alerts.view_alert")
    assert not fresh(watcher).has_perm("alerts.change_alert")
    services.set_watcher(user=watcher, watcher=False)
    assert not fresh(watcher).has_perm("alerts.view_alert")


@pytest.mark.parametrize("who", ["manager", "researcher"])
def test_blacklisted_have_no_permissions(request, who):
    user = request.getfixturevalue(who)
    services.set_client_type(user=user, client_type=ClientType.BLACKLISTED)
    user = fresh(user)
    for perm in ANY_PERMS:
        assert not user.has_perm(perm), perm
    assert not user.has_module_perms("videos")
    assert not user.has_module_perms("accounts")


def test_blacklisted_watcher_loses_view_alert():
    watcher = UserFactory(username="eyes", role=Role.CITIZEN, watcher=True)
    services.set_client_type(user=watcher, client_type=ClientType.BLACKLISTED)
    assert not fresh(watcher).has_perm("alerts.view_alert")


@pytest.mark.parametrize("who", ["manager", "researcher"])
def test_inactive_have_no_permissions(request, who):
    user = request.getfixturevalue(who)
    services.set_active(user=user, active=False)
    user = fresh(user)
    for perm in ANY_PERMS:
        assert not user.has_perm(perm), perm
    assert not user.has_module_perms("videos")


def test_backend_refuses_blacklisted_superuser_directly():
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    services.set_client_type(user=root, client_type=ClientType.BLACKLISTED)
    assert not PlatformBackend().has_perm(fresh(root), "accounts.view_user")


def test_backend_refuses_blacklisted_and_inactive_sign_in(client, expert, citizen):
    services.set_client_type(user=expert, client_type=ClientType.BLACKLISTED)
    services.set_active(user=citizen, active=False)
    backend = PlatformBackend()
    assert backend.authenticate(None, username=expert.username, password=PASSWORD) is None
    assert backend.authenticate(None, username=citizen.username, password=PASSWORD) is None


def test_demotion_takes_effect_on_next_read(manager):
    services.set_role(user=manager, role=Role.CITIZEN)
    assert not fresh(manager).has_perm("accounts.view_user")


# --- createsuperuser -------------------------------------------------------------------------------


def test_createsuperuser_makes_a_manager(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org", stdout=io.StringIO())
    user = User.objects.get(username="root")
    assert user.is_superuser
    assert user.is_staff
    assert user.role == Role.MANAGER
    assert user.is_manager
    assert MANAGERS_GROUP in set(user.groups.values_list("name", flat=True))
    assert user.check_password(PASSWORD)


def test_create_superuser_api_makes_a_manager():
    user = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    assert user.role == Role.MANAGER
    assert user.is_manager
