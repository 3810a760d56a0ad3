"""Seed 002 user endpoints (qa-tasks.md §3.1): session login, current user, expert list, registration."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions

from accounts import selectors, services
from accounts.families import QaApiView, qa_answer, qa_bad_parameter, qa_ok
from accounts.models import Role
from accounts.serializers import (
    QaBadParameter,
    QaCurrentUser,
    QaExpertList,
    QaLoginRequest,
    QaLoginResponse,
    QaRegisterExpertRequest,
    QaRegisterManagerRequest,
    QaResponse,
)
from accounts.throttles import LoginIPThrottle, LoginUsernameThrottle, RegistrationThrottle
from labelplatform.errors import Conflict, InvalidInput

TAGS = ["seed 002: expert Q&A"]
NAME_TAKEN = "注册失败,用户名已存在"
_PARAMETER_NAMES = {"area": "user_area"}  # a service's field name -> the seed 002 parameter it came from


def _params(request) -> dict:
    """GET: the query string; POST: the JSON or form body."""
    if request.method == "GET":
        return request.query_params
    try:
        data = request.data
    except exceptions.ParseError as exc:
        raise qa_bad_parameter("body", "the request body is not valid JSON or form data") from exc
    if not hasattr(data, "get"):
        raise qa_bad_parameter("body", "the request body must be a JSON object or form data")
    return data


def _text(params, name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise qa_bad_parameter(name, f"{name} is required")
    if not isinstance(value, str):
        raise qa_bad_parameter(name, f"{name} must be a string")
    return value


def _register(*, username: str, password: str, role: str, area: str = ""):
    try:
        services.check_username(username)
        services.check_area(area)
        if selectors.username_taken(username):
            raise qa_answer(200, NAME_TAKEN)
        return services.create_user(username=username, password=password, role=role, area=area)
    except Conflict as exc:
        raise qa_answer(200, NAME_TAKEN) from exc
    except InvalidInput as exc:
        raise qa_bad_parameter(_PARAMETER_NAMES.get(exc.field, exc.field) or "body", exc.message) from exc


class CurrentUserView(QaApiView):
    @extend_schema(operation_id="qa_user_get_current", tags=TAGS, responses={200: QaCurrentUser})
    def get(self, request):
        user = request.user
        if not user.is_authenticated:
            return qa_ok("未登录")
        return qa_ok("已登录", username=user.username, usertype=Role.MANAGER if user.is_manager else user.role)


class ExpertListView(QaApiView):
    @extend_schema(operation_id="qa_user_list", tags=TAGS, responses={200: QaExpertList})
    def get(self, request):
        self.require_manager(request)
        experts = selectors.active_experts().values_list("id", "username", "area")
        return qa_ok([{"expert_id": i, "expert_name": name, "expert_area": area} for i, name, area in experts])


_LOGIN_SCHEMA = {
    "tags": TAGS,
    "responses": {
        200: QaLoginResponse,
        400: OpenApiResponse(QaBadParameter, description="参数错误"),
        429: OpenApiResponse(QaResponse, description="请求过于频繁,请稍后再试"),
    },
    "auth": [],
    "description": "Answers 登录成功 with `Session-Id` (the session key, also set as the cookie), "
    "登陆失败,账号不存在,请先注册 or 登陆失败,用户名或密码不正确.",
}


class LoginView(QaApiView):
    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        operation_id="qa_user_login",
        parameters=[
            OpenApiParameter("username", {"type": "string", "minLength": 1, "maxLength": 150}, required=True),
            OpenApiParameter("password", {"type": "string", "minLength": 1}, required=True),
        ],
        **_LOGIN_SCHEMA,
    )
    def get(self, request):
        return self._log_in(request)

    @extend_schema(operation_id="qa_user_login_post", request=QaLoginRequest, **_LOGIN_SCHEMA)
    def post(self, request):
        return self._log_in(request)

    def _log_in(self, request):
        params = _params(request)
        username, password = _text(params, "username"), _text(params, "password")
        if not selectors.username_taken(username):
            return qa_ok("登陆失败,账号不存在,请先注册")
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            return qa_ok("登陆失败,用户名或密码不正确")
        login(request._request, user)
        return qa_ok("登录成功", **{"Session-Id": request._request.session.session_key})


class LogoutView(QaApiView):
    @extend_schema(operation_id="qa_user_logout", tags=TAGS, responses={200: QaResponse})
    def get(self, request):
        logout(request._request)
        return qa_ok("登出成功")


_REGISTER_RESPONSES = {
    200: OpenApiResponse(QaResponse, description="注册成功 / 注册失败,用户名已存在 / 未登录 / 非管理员用户"),
    400: OpenApiResponse(QaBadParameter, description="参数错误"),
    403: OpenApiResponse(QaResponse, description="请求来源不被允许"),
    429: OpenApiResponse(QaResponse, description="请求过于频繁,请稍后再试"),
}


class RegisterExpertView(QaApiView):
    throttle_classes = [RegistrationThrottle]

    @extend_schema(
        operation_id="qa_user_register", tags=TAGS, request=QaRegisterExpertRequest, responses=_REGISTER_RESPONSES
    )
    def post(self, request):
        params = _params(request)
        username, password = _text(params, "username"), _text(params, "password")
        area = _text(params, "user_area")
        _register(username=username, password=password, role=Role.EXPERT, area=area)
        return qa_ok("注册成功")


class RegisterManagerView(QaApiView):
    @extend_schema(
        operation_id="qa_user_register_manager",
        tags=TAGS,
        request=QaRegisterManagerRequest,
        responses=_REGISTER_RESPONSES,
    )
    def post(self, request):
        self.require_manager(request)
        params = _params(request)
        username, password = _text(params, "username"), _text(params, "password")
        _register(username=username, password=password, role=Role.MANAGER)
        return qa_ok("注册成功")
