"""The three seed API families and their error bodies.

Each base view translates every error (bad JSON, wrong method, throttling, tokens, domain errors) into
its seed's documented body through `seed_error` (see labelplatform.api.exception_handler):
- seed 000, crowd labeling: `{"message": ...}` (videos.md §4);
- seed 001, truck alerts: `{"code", "status_code", "error"}` envelope (alerts.md §3);
- seed 002, Q&A: `{"response": ...}` (qa-tasks.md §1.4-1.5).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from labelplatform.api import SeedAnswer, retry_after_headers
from labelplatform.errors import DomainError
from labelplatform.origins import is_allowed_origin
from labelplatform.parsers import JSONParser, PayloadTooLarge

# --- seed 000 ----------------------------------------------------------------------------------------


def crowd_answer(status: int, message: str, headers: dict | None = None) -> SeedAnswer:
    return SeedAnswer(status, {"message": message}, headers)


def crowd_error(exc: Exception) -> SeedAnswer | None:
    if isinstance(exc, PayloadTooLarge):
        return crowd_answer(413, str(exc.detail))
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return crowd_answer(400, "Missing json")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return crowd_answer(405, "Method not allowed")
    if isinstance(exc, exceptions.Throttled):
        return crowd_answer(429, "Too many requests", retry_after_headers(exc))
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        return crowd_answer(401, str(exc.detail))
    if isinstance(exc, exceptions.PermissionDenied):
        return crowd_answer(403, "Permission denied")
    if isinstance(exc, exceptions.NotFound):
        return crowd_answer(404, "Not found")
    if isinstance(exc, DomainError):
        message = f"Invalid field: {exc.field}" if exc.status == 400 and exc.field else exc.message
        return crowd_answer(exc.status, message)
    return None


class CrowdApiView(APIView):
    """Seed 000 endpoints: token in the JSON body `user_token` (wins) or the Bearer header; no sessions."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    token_sources = ("body:user_token", "header")

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return crowd_error(exc)


# --- seed 001 ----------------------------------------------------------------------------------------

ALERT_STATUS_TEXT = {
    200: "Success",
    201: "Success",
    400: "Bad Requests",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
}


def alert_answer(status: int, error: str, headers: dict | None = None) -> SeedAnswer:
    return SeedAnswer(
        status, {"code": status, "status_code": ALERT_STATUS_TEXT.get(status, "Error"), "error": error}, headers
    )


def alert_success(data: dict, *, code: int = 200) -> Response:
    """Always HTTP 200; opening an alert says 201 in the body only (alerts.md §3)."""
    return Response({"code": code, "status_code": "Success", "data": data}, status=200)


def alert_error(exc: Exception) -> SeedAnswer | None:
    if isinstance(exc, PayloadTooLarge):
        return alert_answer(413, str(exc.detail))
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return alert_answer(400, "No input data provided")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return alert_answer(405, str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return alert_answer(429, "Too many requests.", retry_after_headers(exc))
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        return alert_answer(401, "Wrong token")
    if isinstance(exc, exceptions.PermissionDenied):
        return alert_answer(403, "Current user don't has permission")
    if isinstance(exc, exceptions.NotFound):
        return alert_answer(404, "Not found")
    if isinstance(exc, DomainError):
        return alert_answer(exc.status, exc.message)
    return None


class AlertApiView(APIView):
    """Seed 001 endpoints: JSON bodies, the `{"code", "status_code", ...}` envelope; tokens as each endpoint
    says. A body of another type answers `No input data provided` like a missing one."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return alert_error(exc)


# --- seed 002 ----------------------------------------------------------------------------------------


def qa_answer(status: int, response: str, **extra) -> SeedAnswer:
    return SeedAnswer(status, {"response": response, **extra})


def qa_bad_parameter(field: str, message: str) -> SeedAnswer:
    return qa_answer(400, "参数错误", field=field, message=message)


def qa_error(exc: Exception) -> SeedAnswer | None:
    if isinstance(exc, PayloadTooLarge):
        return qa_answer(413, "上传数据过大")
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return qa_bad_parameter("body", "the request body is not valid JSON or form data")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return qa_answer(405, "请求方法不被允许")
    if isinstance(exc, exceptions.Throttled):
        answer = qa_answer(429, "请求过于频繁,请稍后再试")
        answer.headers.update(retry_after_headers(exc))
        return answer
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return qa_answer(200, "未登录")
    if isinstance(exc, DomainError) and exc.status == 400:
        return qa_bad_parameter(exc.field or "body", exc.message)
    return None


def qa_ok(response: object = "success", **extra) -> Response:
    return Response({"response": response, **extra})


class SessionWithoutCsrf(SessionAuthentication):
    """Seed 002's front-end sends no CSRF token; the Origin check and SameSite=Lax cookies stand in."""

    def enforce_csrf(self, request):
        return None


class QaApiView(APIView):
    """Seed 002 endpoints: Django session (cookie or `Session-Id` header); `{"response": ...}` bodies.

    An unsafe request from a foreign `Origin` is refused (qa-tasks.md §1.2).
    """

    authentication_classes = [SessionWithoutCsrf]
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD", "OPTIONS") and not is_allowed_origin(request.META.get("HTTP_ORIGIN")):
            raise qa_answer(403, "请求来源不被允许")
        super().initial(request, *args, **kwargs)

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return qa_error(exc)

    def require_login(self, request, *, message: str = "未登录"):
        if not request.user.is_authenticated:
            raise qa_answer(200, message)
        return request.user

    def require_manager(self, request):
        user = self.require_login(request)
        if not user.is_manager:
            raise qa_answer(200, "非管理员用户")
        return user

    def require_expert(self, request):
        user = self.require_login(request)
        if not user.is_expert:
            raise qa_answer(200, "非专家用户")
        return user
