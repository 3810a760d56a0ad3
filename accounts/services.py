"""Every write to accounts, one transaction each; shared by REST views, admin actions and commands."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts import notifications, selectors
from accounts.models import (
    ALERT_WATCHERS_GROUP,
    MANAGERS_GROUP,
    RESEARCHERS_GROUP,
    STAFF_ROLES,
    ClientType,
    Connection,
    Role,
    User,
)
from labelplatform.errors import Conflict, InvalidInput

USERNAME_MAX_LENGTH = 150
AREA_MAX_LENGTH = 100
CLIENT_ID_MAX_LENGTH = 255
_username_validator = UnicodeUsernameValidator()


def check_username(username: object) -> str:
    """A username Django accepts (at most 150 letters, digits and @/./+/-/_)."""
    if not isinstance(username, str) or not username:
        raise InvalidInput("username is required", field="username", code="username_missing")
    if len(username) > USERNAME_MAX_LENGTH:
        raise InvalidInput("username is longer than 150 characters", field="username", code="username_format")
    try:
        _username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(
            "username may contain only letters, digits and @/./+/-/_", field="username", code="username_format"
        ) from exc
    return username


def check_email(email: object) -> str:
    if not isinstance(email, str):
        raise InvalidInput("email must be a string", field="email", code="email_format")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput("email is not a valid address", field="email", code="email_format") from exc
    return email


def check_area(area: object) -> str:
    if not isinstance(area, str):
        raise InvalidInput("area must be a string", field="area", code="area_format")
    if len(area) > AREA_MAX_LENGTH:
        raise InvalidInput("area is longer than 100 characters", field="area", code="area_format")
    return area


def check_password(password: object, user: User | None = None) -> str:
    """A password the platform's validators accept."""
    if not isinstance(password, str) or not password:
        raise InvalidInput("password is required", field="password", code="password_missing")
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password", code="password_weak") from exc
    return password


def _set_group(user: User, name: str, member: bool) -> None:
    group, _ = Group.objects.get_or_create(name=name)
    if member:
        user.groups.add(group)
    else:
        user.groups.remove(group)


def _apply_role(user: User, role: str) -> None:
    """Role, client type, staff flag and groups move together (DESIGN.md, Identity)."""
    if role not in Role.values:
        raise InvalidInput(f"unknown role {role!r}", field="role", code="role_unknown")
    previous = user.role
    user.role = role
    if role == Role.RESEARCHER:
        user.client_type = ClientType.RESEARCHER
    elif previous == Role.RESEARCHER and user.client_type == ClientType.RESEARCHER:
        user.client_type = ClientType.LAYPERSON
    user.is_staff = user.is_superuser or role in STAFF_ROLES


def _sync_role_groups(user: User) -> None:
    _set_group(user, MANAGERS_GROUP, user.role == Role.MANAGER)
    _set_group(user, RESEARCHERS_GROUP, user.role == Role.RESEARCHER)


@transaction.atomic
def sync_role_groups(*, user: User) -> None:
    """Put the role's group back after a form replaced the user's groups."""
    _sync_role_groups(user)


def _account_changed(user: User) -> None:
    transaction.on_commit(lambda: notifications.account_changed(user.pk))


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str = Role.CITIZEN,
    area: str = "",
    email: str = "",
    watcher: bool = False,
    validate: bool = True,
) -> User:
    """A new person with a hashed password (None: unusable) and the role's groups.

    `validate` applies the password validators (the seed 001 registration does not; see alerts.md §5.1).
    """
    check_username(username)
    check_email(email)
    check_area(area)
    if selectors.username_taken(username):
        raise Conflict("username is already taken", field="username", code="username_taken")
    if email and selectors.email_taken(email):
        raise Conflict("email is already registered", field="email", code="email_taken")
    user = User(username=username, email=email, area=area)
    _apply_role(user, role)
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            check_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict("username is already taken", field="username", code="username_taken") from exc
    _sync_role_groups(user)
    if watcher:
        _set_group(user, ALERT_WATCHERS_GROUP, True)
    return user


@transaction.atomic
def update_user(
    *,
    user: User,
    password: str | None = None,
    email: str | None = None,
    role: str | None = None,
    watcher: bool | None = None,
    area: str | None = None,
    validate: bool = False,
) -> User:
    """Change what is given; the rest stays. A new password or role takes effect on the next request.

    `validate` applies the password validators to a new password (seed 001's update does not).
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    fields: set[str] = set()
    if email is not None:
        check_email(email)
        if email and selectors.email_taken(email, except_user=user):
            raise Conflict("email is already registered", field="email", code="email_taken")
        user.email = email
        fields.add("email")
    if area is not None:
        user.area = check_area(area)
        fields.add("area")
    if password is not None:
        if validate:
            check_password(password, user)
        user.set_password(password)
        fields.add("password")
    if role is not None and role != user.role:
        _apply_role(user, role)
        fields |= {"role", "client_type", "is_staff"}
    if fields:
        user.save(update_fields=sorted(fields))
    if "role" in fields:
        _sync_role_groups(user)
    if watcher is not None:
        _set_group(user, ALERT_WATCHERS_GROUP, watcher)
    _account_changed(user)
    return user


def set_role(*, user: User, role: str) -> User:
    return update_user(user=user, role=role)


@transaction.atomic
def set_client_type(*, user: User, client_type: int) -> User:
    """Seed 000's client type; for labelers the role follows (0 ⇔ researcher). -1 blacklists at once."""
    if client_type not in ClientType.values:
        raise InvalidInput(
            f"client type must be one of {sorted(ClientType.values)}", field="client_type", code="client_type"
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    user.client_type = client_type
    fields = ["client_type"]
    if user.role in (Role.RESEARCHER, Role.CITIZEN):
        user.role = Role.RESEARCHER if client_type == ClientType.RESEARCHER else Role.CITIZEN
        user.is_staff = user.is_superuser or user.role in STAFF_ROLES
        fields += ["role", "is_staff"]
    user.save(update_fields=fields)
    _sync_role_groups(user)
    _account_changed(user)
    return user


@transaction.atomic
def set_watcher(*, user: User, watcher: bool) -> User:
    _set_group(user, ALERT_WATCHERS_GROUP, watcher)
    _account_changed(user)
    return user


@transaction.atomic
def set_active(*, user: User, active: bool) -> User:
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    _account_changed(user)
    return user


def _new_labeler(client_id: str) -> User:
    user = User(username=f"labeler-{secrets.token_hex(6)}", client_id=client_id)
    _apply_role(user, Role.CITIZEN)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def log_in_labeler(*, client_id: str) -> Connection:
    """Seed 000 login: find or create the labeler for `client_id` and record the connection.

    The connection row is written even when the labeler is blacklisted (videos.md §5.1 step 5);
    the caller refuses such a login.
    """
    from videos.models import LabelerProfile

    if not isinstance(client_id, str) or not client_id or len(client_id) > CLIENT_ID_MAX_LENGTH:
        raise InvalidInput("client_id must be a non-empty string of at most 255 characters", field="client_id")
    user = User.objects.filter(client_id=client_id).first()
    if user is None:
        try:
            with transaction.atomic():
                user = _new_labeler(client_id)
        except IntegrityError:
            user = User.objects.get(client_id=client_id)
    LabelerProfile.objects.get_or_create(user=user)
    return Connection.objects.create(user=user, client_type=user.client_type)
