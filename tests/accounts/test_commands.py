"""Admin commands (qa-tasks.md §8, alerts.md §7, videos.md §7.1): create_user, set_client_type, seed_demo."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import services
from accounts.models import ALERT_WATCHERS_GROUP, MANAGERS_GROUP, RESEARCHERS_GROUP, ClientType, Role, User
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db

STRONG = "amber-falcon-orchard-31"


def run(*args, stdin: str | None = None) -> str:
    out = io.StringIO()
    if stdin is None:
        call_command(*args, stdout=out, stderr=io.StringIO())
    else:
        with mock.patch("sys.stdin", io.StringIO(stdin)):
            call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def groups_of(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


# --- create_user -----------------------------------------------------------------------------------


def test_create_user_password_stdin_prints_id_and_hashes():
    out = run("create_user", "first", "--role", "manager", "--password-stdin", stdin=f"{STRONG}\n")
    user = User.objects.get(username="first")
    assert out.strip() == str(user.pk)
    assert user.role == Role.MANAGER
    assert user.is_staff
    assert MANAGERS_GROUP in groups_of(user)
    assert user.password != STRONG
    assert "$" in user.password  # algorithm$salt$hash, whatever hasher the settings name
    assert user.check_password(STRONG)


def test_create_user_first_manager_can_use_seed_002(client):
    run("create_user", "first", "--role", "manager", "--password-stdin", stdin=f"{STRONG}\r\n")
    answer = client.post("/user/login", {"username": "first", "password": STRONG}).json()
    assert answer["response"] == "登录成功"
    assert client.get("/user/list").json() == {"response": []}


def test_create_user_expert_with_area_and_email():
    run(
        "create_user",
        "doc",
        "--role",
        "expert",
        "--area",
        "medicine",
        "--email",
        "doc@example.org",
        "--password-stdin",
        stdin=STRONG,
    )
    user = User.objects.get(username="doc")
    assert (user.role, user.area, user.email) == (Role.EXPERT, "medicine", "doc@example.org")
    assert not user.is_staff


def test_create_user_researcher_gets_client_type_zero():
    run("create_user", "sci", "--role", "researcher", "--password-stdin", stdin=STRONG)
    user = User.objects.get(username="sci")
    assert user.client_type == ClientType.RESEARCHER
    assert user.is_staff
    assert RESEARCHERS_GROUP in groups_of(user)


def test_create_user_watcher():
    run("create_user", "eyes", "--role", "citizen", "--watcher", "--password-stdin", stdin=STRONG)
    user = User.objects.get(username="eyes")
    assert groups_of(user) == {ALERT_WATCHERS_GROUP}
    assert user.role == Role.CITIZEN


def test_create_user_without_watcher_is_not_in_group():
    run("create_user", "plain", "--role", "citizen", "--password-stdin", stdin=STRONG)
    assert groups_of(User.objects.get(username="plain")) == set()


def test_create_user_expert_needs_area():
    with pytest.raises(CommandError, match="area"):
        run("create_user", "doc", "--role", "expert", "--password-stdin", stdin=STRONG)
    assert User.objects.count() == 0


def test_create_user_unknown_role():
    with pytest.raises(CommandError):
        run("create_user", "x", "--role", "king", "--password-stdin", stdin=STRONG)
    assert User.objects.count() == 0


def test_create_user_role_required():
    with pytest.raises(CommandError):
        run("create_user", "x", "--password-stdin", stdin=STRONG)
    assert User.objects.count() == 0


@pytest.mark.parametrize("stdin", ["", "\n"])
def test_create_user_empty_password(stdin):
    with pytest.raises(CommandError, match="password"):
        run("create_user", "x", "--role", "citizen", "--password-stdin", stdin=stdin)
    assert User.objects.count() == 0


def test_create_user_weak_password_refused():
    with pytest.raises(CommandError, match="password"):
        run("create_user", "x", "--role", "citizen", "--password-stdin", stdin="123\n")
    assert User.objects.count() == 0


@pytest.mark.parametrize("username", ["bad name!", "x" * 151])
def test_create_user_bad_username(username):
    with pytest.raises(CommandError, match="username"):
        run("create_user", username, "--role", "citizen", "--password-stdin", stdin=STRONG)
    assert User.objects.count() == 0


def test_create_user_bad_email():
    with pytest.raises(CommandError, match="email"):
        run("create_user", "x", "--role", "citizen", "--email", "not-an-address", "--password-stdin", stdin=STRONG)
    assert User.objects.count() == 0


def test_create_user_email_taken_by_someone_else(citizen):
    with pytest.raises(CommandError, match="email"):
        run("create_user", "x", "--role", "citizen", "--email", citizen.email, "--password-stdin", stdin=STRONG)
    assert not User.objects.filter(username="x").exists()


def test_create_user_interactive_prompt():
    with mock.patch("getpass.getpass", side_effect=[STRONG, STRONG]) as prompt:
        out = run("create_user", "asked", "--role", "citizen")
    assert prompt.call_count == 2
    user = User.objects.get(username="asked")
    assert out.strip() == str(user.pk)
    assert user.check_password(STRONG)


def test_create_user_interactive_mismatch():
    with (
        mock.patch("getpass.getpass", side_effect=[STRONG, STRONG + "x"]),
        pytest.raises(CommandError, match="match"),
    ):
        run("create_user", "asked", "--role", "citizen")
    assert User.objects.count() == 0


def test_create_user_updates_existing_user(expert):
    """The spec says "creates or updates a user" (qa-tasks.md §8): the same name updates, same id."""
    count = User.objects.count()
    out = run(
        "create_user",
        expert.username,
        "--role",
        "manager",
        "--email",
        "new@example.org",
        "--watcher",
        "--password-stdin",
        stdin=STRONG,
    )
    assert out.strip() == str(expert.pk)
    assert User.objects.count() == count
    user = User.objects.get(pk=expert.pk)
    assert user.role == Role.MANAGER
    assert user.is_staff
    assert user.email == "new@example.org"
    assert user.area == "medicine"
    assert user.check_password(STRONG)
    assert groups_of(user) == {MANAGERS_GROUP, ALERT_WATCHERS_GROUP}


def test_create_user_update_keeps_unspecified_options(expert):
    run("create_user", expert.username, "--role", "expert", "--area", "law", "--password-stdin", stdin=STRONG)
    user = User.objects.get(pk=expert.pk)
    assert (user.role, user.area, user.email) == (Role.EXPERT, "law", "doc@example.org")


def test_create_user_update_refuses_weak_password(expert):
    with pytest.raises(CommandError, match="password"):
        run("create_user", expert.username, "--role", "manager", "--password-stdin", stdin="123")
    user = User.objects.get(pk=expert.pk)
    assert user.role == Role.EXPERT
    assert user.check_password(PASSWORD)


def test_create_user_update_refuses_email_of_another_user(expert, citizen):
    with pytest.raises(CommandError, match="email"):
        run(
            "create_user",
            expert.username,
            "--role",
            "manager",
            "--email",
            citizen.email,
            "--password-stdin",
            stdin=STRONG,
        )
    user = User.objects.get(pk=expert.pk)
    assert user.role == Role.EXPERT
    assert user.check_password(PASSWORD)


# --- set_client_type -------------------------------------------------------------------------------


def test_set_client_type_valid(citizen):
    out = run("set_client_type", str(citizen.pk), "2")
    user = User.objects.get(pk=citizen.pk)
    assert user.client_type == ClientType.AMATEUR
    assert user.role == Role.CITIZEN
    assert str(citizen.pk) in out


def test_set_client_type_zero_makes_citizen_researcher(citizen):
    out = run("set_client_type", str(citizen.pk), "0")
    user = User.objects.get(pk=citizen.pk)
    assert user.client_type == ClientType.RESEARCHER
    assert user.role == Role.RESEARCHER
    assert user.is_staff
    assert RESEARCHERS_GROUP in groups_of(user)
    assert "researcher" in out


@pytest.mark.parametrize("client_type", [-1, 1, 2, 3])
def test_set_client_type_other_makes_researcher_citizen(researcher, client_type):
    run("set_client_type", str(researcher.pk), str(client_type))
    user = User.objects.get(pk=researcher.pk)
    assert user.client_type == client_type
    assert user.role == Role.CITIZEN
    assert not user.is_staff
    assert RESEARCHERS_GROUP not in groups_of(user)


@pytest.mark.parametrize("who", ["manager", "expert"])
@pytest.mark.parametrize("client_type", [-1, 0, 2])
def test_set_client_type_keeps_manager_and_expert_roles(request, who, client_type):
    user = request.getfixturevalue(who)
    run("set_client_type", str(user.pk), str(client_type))
    reloaded = User.objects.get(pk=user.pk)
    assert reloaded.client_type == client_type
    assert reloaded.role == user.role


def test_set_client_type_blacklist_takes_effect_on_next_request(client, expert):
    client.post("/user/login", {"username": expert.username, "password": PASSWORD})
    assert client.get("/user/get-current").json()["response"] == "已登录"
    run("set_client_type", str(expert.pk), "-1")
    assert client.get("/user/get-current").json() == {"response": "未登录"}


@pytest.mark.parametrize("client_type", ["4", "-2", "99"])
def test_set_client_type_invalid_type(citizen, client_type):
    with pytest.raises(CommandError, match="client type"):
        run("set_client_type", str(citizen.pk), client_type)
    assert User.objects.get(pk=citizen.pk).client_type == ClientType.LAYPERSON


def test_set_client_type_not_a_number(citizen):
    with pytest.raises(CommandError):
        run("set_client_type", str(citizen.pk), "researcher")
    assert User.objects.get(pk=citizen.pk).client_type == ClientType.LAYPERSON


def test_set_client_type_unknown_user(db):
    with pytest.raises(CommandError, match="no user"):
        run("set_client_type", "987654", "0")


def test_set_client_type_exit_status_non_zero(citizen):
    """Run as a script, an unknown user exits non-zero."""
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "set_client_type", "987654", "0"]).execute()
    assert exited.value.code != 0


# --- seed_demo -------------------------------------------------------------------------------------


def test_seed_demo_creates_one_user_per_role():
    out = run("seed_demo")
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {Role.MANAGER, Role.EXPERT, Role.RESEARCHER, Role.CITIZEN}
    expert = User.objects.get(role=Role.EXPERT)
    assert expert.area
    researcher = User.objects.get(role=Role.RESEARCHER)
    assert researcher.client_type == ClientType.RESEARCHER
    assert researcher.is_staff
    manager = User.objects.get(role=Role.MANAGER)
    assert MANAGERS_GROUP in groups_of(manager)
    assert User.objects.filter(groups__name=ALERT_WATCHERS_GROUP).exists()
    assert "created" in out


def test_seed_demo_prints_logins_that_work(client):
    out = run("seed_demo")
    lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    # Every account that has a password; the videos demo's labelers sign in by client id only.
    assert len(lines) == User.objects.exclude(password__startswith="!").count()
    for username, password, *_ in lines:
        user = User.objects.get(username=username)
        assert user.check_password(password)
        assert password in out
    manager_line = next(line for line in lines if line[2].rstrip(",") == "manager")
    answer = client.post("/user/login", {"username": manager_line[0], "password": manager_line[1]}).json()
    assert answer["response"] == "登录成功"


def test_seed_demo_is_idempotent():
    run("seed_demo")
    count = User.objects.count()
    hashes = dict(User.objects.values_list("username", "password"))
    out = run("seed_demo")
    assert User.objects.count() == count
    assert dict(User.objects.values_list("username", "password")) == hashes
    assert "0 created" in out


def test_seed_demo_keeps_changed_demo_users():
    run("seed_demo")
    manager = User.objects.get(username="manager")
    services.update_user(user=manager, password=STRONG)
    run("seed_demo")
    assert User.objects.get(username="manager").check_password(STRONG)


def test_seed_demo_if_empty_skips_when_users_exist(citizen):
    out = run("seed_demo", "--if-empty")
    assert list(User.objects.values_list("username", flat=True)) == [citizen.username]
    assert "not loaded" in out
    assert "manager" in out  # the logins are still printed


def test_seed_demo_if_empty_loads_on_empty_database():
    run("seed_demo", "--if-empty")
    assert User.objects.filter(role=Role.MANAGER).exists()


def test_seed_demo_loads_each_apps_demo_module(monkeypatch):
    """An app joins `seed_demo` by shipping `<app>/demo.py` with `load_demo_data(*, stdout)`."""
    import importlib.machinery
    import sys
    import types

    calls = []
    module = types.ModuleType("videos.demo")
    module.__spec__ = importlib.machinery.ModuleSpec("videos.demo", None)
    module.load_demo_data = lambda *, stdout: calls.append(stdout.write("videos demo loaded"))
    monkeypatch.setitem(sys.modules, "videos.demo", module)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert len(calls) == 1
    assert "videos demo loaded" in out.getvalue()
