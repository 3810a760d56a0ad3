"""The users admin (DESIGN.md Identity; videos.md §7.5; qa-tasks.md §8): managers and superusers only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts import services
from accounts.models import ALERT_WATCHERS_GROUP, MANAGERS_GROUP, RESEARCHERS_GROUP, ClientType, Connection, Role, User
from tests.accounts.factories import PASSWORD, LabelerFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"
CONNECTIONS = "/admin/accounts/connection/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def manager_web(manager):
    return logged_in(manager)


def listed_usernames(response) -> set[str]:
    return {user.username for user in response.context["cl"].result_list}


def run_action(client, action: str, users, **extra):
    data = {"action": action, "_selected_action": [str(user.pk) for user in users], "index": "0", **extra}
    return client.post(CHANGELIST, data, follow=True)


def reload(user) -> User:
    return User.objects.get(pk=user.pk)


def group_names(user) -> set[str]:
    return set(reload(user).groups.values_list("name", flat=True))


# --- who reaches what ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "superuser"])
def test_managers_and_superusers_get_the_users_pages(request, who, expert):
    client = logged_in(request.getfixturevalue(who))
    assert client.get("/admin/").status_code == 200
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert expert.username in listed_usernames(response)
    assert client.get(f"{CHANGELIST}{expert.pk}/change/").status_code == 200
    assert client.get(f"{CHANGELIST}add/").status_code == 200
    assert client.get(CONNECTIONS).status_code == 200


def test_admin_index_lists_users_for_manager(manager_web):
    response = manager_web.get("/admin/")
    assert CHANGELIST.encode() in response.content


def test_researcher_reaches_admin_but_not_users(researcher):
    client = logged_in(researcher)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert CHANGELIST.encode() not in response.content
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{researcher.pk}/change/").status_code == 403
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(CONNECTIONS).status_code == 403


def test_researcher_cannot_run_user_actions(researcher, citizen):
    client = logged_in(researcher)
    response = client.post(
        CHANGELIST, {"action": "set_client_type_minus_1", "_selected_action": [str(citizen.pk)], "index": "0"}
    )
    assert response.status_code == 403
    assert reload(citizen).client_type == ClientType.LAYPERSON


@pytest.mark.parametrize("who", ["expert", "citizen"])
@pytest.mark.parametrize("path", ["/admin/", CHANGELIST])
def test_expert_and_citizen_are_sent_to_admin_login(request, who, path):
    client = logged_in(request.getfixturevalue(who))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_is_sent_to_admin_login():
    response = Client().get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_blacklisted_manager_is_locked_out_at_once(manager, manager_web):
    assert manager_web.get(CHANGELIST).status_code == 200
    services.set_client_type(user=manager, client_type=ClientType.BLACKLISTED)
    response = manager_web.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_demoted_manager_is_locked_out_at_once(manager, manager_web):
    services.set_role(user=manager, role=Role.EXPERT)
    response = manager_web.get("/admin/")
    assert response.status_code == 302


def test_deactivated_manager_is_locked_out_at_once(manager, manager_web):
    services.set_active(user=manager, active=False)
    response = manager_web.get("/admin/")
    assert response.status_code == 302


def test_admin_login_goes_through_the_rate_limited_sign_in_page(manager):
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=%2Fadmin%2F" in response["Location"]
    response = client.post(response["Location"], {"login": manager.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(CHANGELIST).status_code == 200


def test_staff_password_guessing_is_rate_limited(manager):
    """After 5 failed attempts on an account, even the right password is refused for a while."""
    client = Client()
    for i in range(5):
        response = client.post("/accounts/login/", {"login": manager.username, "password": f"wrong-{i}"})
        assert response.status_code == 200  # the form again, with an error
    response = client.post("/accounts/login/", {"login": manager.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(CHANGELIST).status_code == 302


def test_signed_in_non_staff_cannot_reach_the_admin_login(citizen):
    client = Client()
    client.force_login(citizen)
    assert client.get("/admin/login/").status_code == 403


# --- filters and search ----------------------------------------------------------------------------


@pytest.fixture
def population(manager, expert, researcher, citizen):
    labeler = LabelerFactory(client_id="uuid.42", client_type=ClientType.AMATEUR)
    banned = UserFactory(username="banned", role=Role.CITIZEN)
    services.set_client_type(user=banned, client_type=ClientType.BLACKLISTED)
    return {"labeler": labeler, "banned": banned}


def test_filter_by_role(manager_web, population):
    assert listed_usernames(manager_web.get(CHANGELIST, {"role__exact": "expert"})) == {"doc"}
    assert listed_usernames(manager_web.get(CHANGELIST, {"role__exact": "researcher"})) == {"sci"}
    assert listed_usernames(manager_web.get(CHANGELIST, {"role__exact": "manager"})) == {"boss"}
    citizens = listed_usernames(manager_web.get(CHANGELIST, {"role__exact": "citizen"}))
    assert citizens == {"joe", "banned", population["labeler"].username}


def test_filter_by_client_type(manager_web, population):
    assert listed_usernames(manager_web.get(CHANGELIST, {"client_type__exact": "-1"})) == {"banned"}
    assert listed_usernames(manager_web.get(CHANGELIST, {"client_type__exact": "0"})) == {"sci"}
    assert listed_usernames(manager_web.get(CHANGELIST, {"client_type__exact": "2"})) == {
        population["labeler"].username
    }


def test_filters_offered(manager_web, population):
    response = manager_web.get(CHANGELIST)
    titles = {spec.title.lower() for spec in response.context["cl"].filter_specs}
    assert {"role", "client type"} <= titles


@pytest.mark.parametrize(
    "query, expected",
    [("doc", {"doc"}), ("joe@example.org", {"joe"}), ("uuid.42", {"labeler"}), ("medicine", {"doc"})],
)
def test_search(manager_web, population, query, expected):
    expected = {population["labeler"].username if name == "labeler" else name for name in expected}
    assert listed_usernames(manager_web.get(CHANGELIST, {"q": query})) == expected


def test_list_shows_role_and_client_type(manager_web, population):
    response = manager_web.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "column-role" in content
    assert "column-client_type" in content


# --- actions: role ---------------------------------------------------------------------------------


def test_action_set_role_researcher(manager_web, citizen):
    response = run_action(manager_web, "make_researcher", [citizen])
    assert response.status_code == 200
    user = reload(citizen)
    assert user.role == Role.RESEARCHER
    assert user.client_type == ClientType.RESEARCHER
    assert user.is_staff
    assert RESEARCHERS_GROUP in group_names(user)


def test_action_take_researcher_role_away(manager_web, researcher):
    run_action(manager_web, "make_citizen", [researcher])
    user = reload(researcher)
    assert user.role == Role.CITIZEN
    assert user.client_type == ClientType.LAYPERSON
    assert not user.is_staff
    assert RESEARCHERS_GROUP not in group_names(user)


def test_action_set_role_manager(manager_web, expert):
    run_action(manager_web, "make_manager", [expert])
    user = reload(expert)
    assert user.role == Role.MANAGER
    assert user.is_staff
    assert MANAGERS_GROUP in group_names(user)
    assert logged_in(user).get(CHANGELIST).status_code == 200


def test_action_demote_manager(manager_web, other_manager):
    run_action(manager_web, "make_expert", [other_manager])
    user = reload(other_manager)
    assert user.role == Role.EXPERT
    assert not user.is_staff
    assert MANAGERS_GROUP not in group_names(user)
    assert logged_in(user).get("/admin/").status_code == 302


def test_action_applies_to_every_selected_user(manager_web, citizen, expert):
    run_action(manager_web, "make_manager", [citizen, expert])
    assert {reload(citizen).role, reload(expert).role} == {Role.MANAGER}


# --- actions: client type --------------------------------------------------------------------------


def test_client_type_zero_makes_citizen_a_researcher(manager_web, citizen):
    run_action(manager_web, "set_client_type_0", [citizen])
    user = reload(citizen)
    assert user.client_type == ClientType.RESEARCHER
    assert user.role == Role.RESEARCHER
    assert user.is_staff
    assert RESEARCHERS_GROUP in group_names(user)
    assert logged_in(user).get("/admin/").status_code == 200


@pytest.mark.parametrize(
    "action, client_type",
    [
        ("set_client_type_1", ClientType.EXPERT),
        ("set_client_type_2", ClientType.AMATEUR),
        ("set_client_type_3", ClientType.LAYPERSON),
        ("set_client_type_minus_1", ClientType.BLACKLISTED),
    ],
)
def test_other_client_types_make_researcher_a_citizen(manager_web, researcher, action, client_type):
    run_action(manager_web, action, [researcher])
    user = reload(researcher)
    assert user.client_type == client_type
    assert user.role == Role.CITIZEN
    assert not user.is_staff
    assert RESEARCHERS_GROUP not in group_names(user)


@pytest.mark.parametrize("who", ["other_manager", "expert"])
@pytest.mark.parametrize("action, client_type", [("set_client_type_0", 0), ("set_client_type_2", 2)])
def test_managers_and_experts_keep_their_role(request, manager_web, who, action, client_type):
    target = request.getfixturevalue(who)
    role = target.role
    run_action(manager_web, action, [target])
    user = reload(target)
    assert user.client_type == client_type
    assert user.role == role
    assert RESEARCHERS_GROUP not in group_names(user)


def test_blacklist_action(manager_web, other_manager, citizen):
    run_action(manager_web, "set_client_type_minus_1", [other_manager, citizen])
    for target in (other_manager, citizen):
        user = reload(target)
        assert user.client_type == ClientType.BLACKLISTED
        assert user.is_blacklisted
    assert reload(other_manager).role == Role.MANAGER
    # the blacklisted manager loses the admin at once, and seed 002 treats them as logged out
    client = logged_in(other_manager)
    assert client.get("/admin/").status_code == 302
    assert client.get("/user/get-current").json() == {"response": "未登录"}


def test_client_type_actions_listed(manager_web):
    response = manager_web.get(CHANGELIST)
    choices = dict(response.context["action_form"].fields["action"].choices)
    for name in (
        "set_client_type_0",
        "set_client_type_1",
        "set_client_type_2",
        "set_client_type_3",
        "set_client_type_minus_1",
        "make_manager",
        "make_expert",
        "make_researcher",
        "make_citizen",
        "deactivate",
        "send_password_reset",
    ):
        assert name in choices, name
    assert "blacklist" in str(choices["set_client_type_minus_1"]).lower()


# --- actions: deactivate / reactivate --------------------------------------------------------------


def test_deactivate_action(manager_web, expert):
    web = Client()
    web.post("/user/login", {"username": expert.username, "password": PASSWORD})
    assert web.get("/user/get-current").json()["response"] == "已登录"
    run_action(manager_web, "deactivate", [expert])
    assert reload(expert).is_active is False
    assert web.get("/user/get-current").json() == {"response": "未登录"}
    response = Client().post("/user/login", {"username": expert.username, "password": PASSWORD})
    assert response.json() == {"response": "登陆失败,用户名或密码不正确"}


def test_reactivate_action(manager_web, expert):
    services.set_active(user=expert, active=False)
    run_action(manager_web, "reactivate", [expert])
    assert reload(expert).is_active is True


# --- actions: password reset e-mail ----------------------------------------------------------------


def test_password_reset_email(manager_web, expert, citizen, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    nomail = UserFactory(username="nomail", email="")
    response = run_action(manager_web, "send_password_reset", [expert, citizen, nomail])
    assert response.status_code == 200
    assert sorted(message.to[0] for message in mail.outbox) == ["doc@example.org", "joe@example.org"]
    assert all(len(message.to) == 1 for message in mail.outbox)
    body = next(message.body for message in mail.outbox if message.to == ["doc@example.org"])
    assert "doc" in body
    assert "http" in body
    page = response.content.decode()
    assert "Password reset e-mail sent to 2 user(s)." in page
    assert "1 user(s) have no e-mail" in page


def test_password_reset_link_works(manager_web, expert, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run_action(manager_web, "send_password_reset", [expert])
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if word.startswith("http"))
    path = link.split("://", 1)[1].split("/", 1)[1]
    browser = Client()
    response = browser.get(f"/{path}", follow=True)
    assert response.status_code == 200
    assert response.context["validlink"] is True
    new_password = "fresh-meadow-copper-77"
    response = browser.post(
        response.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert response.status_code == 200
    assert reload(expert).check_password(new_password)
    answer = Client().post("/user/login", {"username": expert.username, "password": new_password}).json()
    assert answer["response"] == "登录成功"


def test_password_reset_skips_unusable_passwords_and_inactive(manager_web, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    labeler = LabelerFactory(client_id="uuid.7")
    services.update_user(user=labeler, email="lab@example.org")
    gone = UserFactory(username="gone")
    services.set_active(user=gone, active=False)
    response = run_action(manager_web, "send_password_reset", [labeler, gone])
    assert mail.outbox == []
    page = response.content.decode()
    assert "Password reset e-mail sent to 0 user(s)." in page
    assert "2 user(s) have no e-mail" in page


# --- groups and watchers stay as the services keep them --------------------------------------------


def test_actions_leave_watcher_group_alone(manager_web):
    watcher = UserFactory(username="watch", role=Role.CITIZEN, watcher=True)
    run_action(manager_web, "set_client_type_0", [watcher])
    run_action(manager_web, "make_citizen", [watcher])
    assert ALERT_WATCHERS_GROUP in group_names(watcher)


def test_groups_exist_for_actions(manager_web):
    assert Group.objects.filter(name__in=[MANAGERS_GROUP, RESEARCHERS_GROUP, ALERT_WATCHERS_GROUP]).count() == 3


# --- Connection admin: read-only -------------------------------------------------------------------


def test_connection_admin_is_read_only(manager_web):
    labeler = LabelerFactory(client_id="uuid.1")
    connection = Connection.objects.get(user=labeler)
    response = manager_web.get(CONNECTIONS)
    assert response.status_code == 200
    assert labeler.username in response.content.decode()
    assert manager_web.get(f"{CONNECTIONS}add/").status_code == 403
    assert manager_web.get(f"{CONNECTIONS}{connection.pk}/delete/").status_code == 403
    change = manager_web.get(f"{CONNECTIONS}{connection.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    response = manager_web.post(f"{CONNECTIONS}{connection.pk}/change/", {"client_type": "0"})
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.client_type == ClientType.LAYPERSON
    action_form = manager_web.get(CONNECTIONS).context["action_form"]
    assert action_form is None or "delete_selected" not in dict(action_form.fields["action"].choices)
    response = manager_web.post(
        CONNECTIONS, {"action": "delete_selected", "_selected_action": [str(connection.pk)], "post": "yes"}
    )
    assert Connection.objects.count() == 1


def test_connection_admin_is_read_only_for_superuser(superuser):
    client = logged_in(superuser)
    LabelerFactory(client_id="uuid.1")
    assert client.get(CONNECTIONS).status_code == 200
    assert client.get(f"{CONNECTIONS}add/").status_code == 403


# --- change form -----------------------------------------------------------------------------------


def test_manager_edits_profile_but_not_role_or_superuser(manager_web, expert):
    url = f"{CHANGELIST}{expert.pk}/change/"
    data = {
        "username": expert.username,
        "first_name": "Ada",
        "last_name": "",
        "email": "ada@example.org",
        "area": "law",
        "is_active": "on",
        "is_superuser": "on",
        "role": Role.MANAGER,
        "client_type": "0",
        "_save": "Save",
    }
    response = manager_web.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = reload(expert)
    assert (user.first_name, user.email, user.area) == ("Ada", "ada@example.org", "law")
    assert user.role == Role.EXPERT
    assert user.client_type == ClientType.LAYPERSON
    assert user.is_superuser is False
    assert user.check_password(PASSWORD)
