"""Seed 001 user registration and login (alerts.md §5.1-5.3), in the alert envelope."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions

from accounts import selectors, services
from accounts.authentication import find_token
from accounts.families import AlertApiView, alert_answer, alert_success
from accounts.models import Role
from accounts.serializers import (
    AlertError,
    AlertLoginRequest,
    AlertRegisterRequest,
    AlertUpdateRequest,
    AlertUserResponse,
)
from accounts.throttles import LoginIPThrottle, LoginUsernameThrottle
from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token, issue_user_token
from labelplatform.errors import InvalidInput

PASSWORD_MAX_LENGTH = 254
# The seed's role names: platform role, and whether the user joins "Alert watchers".
ALERT_ROLES: dict[str, tuple[str, bool]] = {
    "admin": (Role.MANAGER, True),
    "manager": (Role.MANAGER, True),
    "full": (Role.CITIZEN, True),
    "limited": (Role.CITIZEN, True),
    "unauthorized": (Role.CITIZEN, False),
    "expert": (Role.EXPERT, False),
    "researcher": (Role.RESEARCHER, False),
    "citizen": (Role.CITIZEN, False),
}
TOKEN_SOURCES = ("body:cur_user.token", "body:token", "header")


def _payload(request) -> dict:
    try:
        data = request.data
    except exceptions.ParseError:
        data = None
    if not isinstance(data, dict) or not data:
        raise alert_answer(400, "No input data provided")
    return data


def _field(container: dict, name: str, *, required: bool) -> str | None:
    if name not in container:
        if required:
            raise alert_answer(400, f'Missing "{name}" field in payload')
        return None
    value = container[name]
    if value is None or value == "":
        raise alert_answer(400, f'Missing value for "{name}" field in payload')
    if not isinstance(value, str):
        raise alert_answer(400, f'Wrong type for "{name}" field in payload')
    return value


def _manager_from_token(request, data: dict):
    raw = find_token(request, TOKEN_SOURCES)
    if raw is None:
        raise alert_answer(400, 'Missing "token" field in payload')
    try:
        caller = authenticate_user_token(raw).user
    except TokenRejected as exc:
        raise alert_answer(401, "Wrong token") from exc
    except UserBlacklisted as exc:
        raise alert_answer(403, "Current user don't has permission") from exc
    cur_user = data.get("cur_user")
    claimed = cur_user.get("username") if isinstance(cur_user, dict) else None
    if claimed not in (None, "") and claimed != caller.username:
        raise alert_answer(401, "Wrong token")
    if not caller.is_manager:
        raise alert_answer(403, "Current user don't has permission")
    return caller


def _new_user(data: dict) -> dict:
    if "new_user" not in data:
        raise alert_answer(400, 'Missing "new_user" field in payload')
    new_user = data["new_user"]
    if new_user is None or new_user == "":
        raise alert_answer(400, 'Missing value for "new_user" field in payload')
    if not isinstance(new_user, dict):
        raise alert_answer(400, 'Wrong type for "new_user" field in payload')
    return new_user


def _check_formats(*, username: str | None, password: str | None, email: str | None) -> None:
    if password is not None and len(password) > PASSWORD_MAX_LENGTH:
        raise alert_answer(413, "Password is too large.")
    if email is not None:
        try:
            services.check_email(email)
        except InvalidInput as exc:
            raise alert_answer(400, "Email doesn't has correct format.") from exc
    if username is not None:
        try:
            services.check_username(username)
        except InvalidInput as exc:
            raise alert_answer(400, "Username doesn't has correct format.") from exc


def _role(name: str | None) -> tuple[str, bool] | None:
    if name is None:
        return None
    mapped = ALERT_ROLES.get(name.lower())
    if mapped is None:
        raise alert_answer(409, "Role doesn't exists.")
    return mapped


def _user_answer(user):
    return alert_success({"id": user.pk, "token": issue_user_token(user)})


_REGISTER_ERRORS = {
    400: OpenApiResponse(AlertError, description="No input data, missing or malformed field"),
    401: OpenApiResponse(AlertError, description="Wrong token"),
    403: OpenApiResponse(AlertError, description="Current user don't has permission"),
    409: OpenApiResponse(AlertError, description="Username / Email already register, Role doesn't exists"),
    413: OpenApiResponse(AlertError, description="Password is too large."),
}


class AlertUserRegisterView(AlertApiView):
    """Managers create (POST) and update (PUT) users; the answer carries the user's fresh token."""

    @extend_schema(
        operation_id="alert_user_register",
        tags=["seed 001: truck alerts"],
        request=AlertRegisterRequest,
        responses={200: AlertUserResponse, **_REGISTER_ERRORS},
        summary="Create a user (managers only)",
    )
    def post(self, request):
        data = _payload(request)
        _manager_from_token(request, data)
        new_user = _new_user(data)
        username = _field(new_user, "username", required=True)
        password = _field(new_user, "password", required=True)
        email = _field(new_user, "email", required=True)
        role_name = _field(new_user, "role", required=True)
        _check_formats(username=username, password=password, email=email)
        if selectors.username_taken(username):
            raise alert_answer(409, "Username already register.")
        if selectors.email_taken(email):
            raise alert_answer(409, "Email already register.")
        role, watcher = _role(role_name)
        user = services.create_user(
            username=username, password=password, email=email, role=role, watcher=watcher, validate=False
        )
        return _user_answer(user)

    @extend_schema(
        operation_id="alert_user_update",
        tags=["seed 001: truck alerts"],
        request=AlertUpdateRequest,
        responses={200: AlertUserResponse, **_REGISTER_ERRORS},
        summary="Update a user's password, e-mail or role (managers only)",
    )
    def put(self, request):
        data = _payload(request)
        _manager_from_token(request, data)
        new_user = _new_user(data)
        username = _field(new_user, "username", required=True)
        password = _field(new_user, "password", required=False)
        email = _field(new_user, "email", required=False)
        role_name = _field(new_user, "role", required=False)
        user = selectors.user_by_username(username)
        if user is None:
            raise alert_answer(400, "User doesn't exists")
        _check_formats(username=None, password=password, email=email)
        if email is not None and selectors.email_taken(email, except_user=user):
            raise alert_answer(409, "Email already register.")
        mapped = _role(role_name)
        user = services.update_user(
            user=user,
            password=password,
            email=email,
            role=mapped[0] if mapped else None,
            watcher=mapped[1] if mapped else None,
        )
        return _user_answer(user)


class AlertUserLoginView(AlertApiView):
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        operation_id="alert_user_login",
        tags=["seed 001: truck alerts"],
        request=AlertLoginRequest,
        responses={
            200: AlertUserResponse,
            400: OpenApiResponse(AlertError, description="Missing field"),
            401: OpenApiResponse(AlertError, description="Wrong username or password."),
            429: OpenApiResponse(AlertError, description="Too many requests."),
        },
        auth=[],
        summary="Log in with a username and password; returns a user token",
    )
    def post(self, request):
        data = _payload(request)
        username = _field(data, "username", required=True)
        password = _field(data, "password", required=True)
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            raise alert_answer(401, "Wrong username or password.")
        return _user_answer(user)
