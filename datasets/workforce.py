"""Seed 004, team labeling: the API family, sample states and the sample listing (qa-tasks.md §5, §6).

A "workforce task" is a `tasks.Task`; its samples are the task's items, by position.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import unquote

from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from accounts.authentication import PlatformTokenAuthentication
from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token
from datasets.models import DataItem
from labelplatform.api import SeedAnswer, retry_after_headers
from labelplatform.errors import DomainError, InvalidInput
from labelplatform.parsers import PayloadTooLarge

# --- family -----------------------------------------------------------------------------------------


class ErrorCode(StrEnum):
    BAD_PARAMETER = "DATA.0400"
    UNAUTHORIZED = "DATA.0401"
    FORBIDDEN = "DATA.0403"
    NOT_FOUND = "DATA.0404"
    METHOD_NOT_ALLOWED = "DATA.0405"
    CONFLICT = "DATA.0409"
    TOO_LARGE = "DATA.0413"
    THROTTLED = "DATA.0429"


def workforce_answer(status: int, code: ErrorCode, message: str, headers: dict | None = None) -> SeedAnswer:
    return SeedAnswer(status, {"error_code": code, "error_msg": message}, headers)


def workforce_error(exc: Exception) -> SeedAnswer | None:
    if isinstance(exc, PayloadTooLarge):
        return workforce_answer(413, ErrorCode.TOO_LARGE, str(exc.detail))
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return workforce_answer(400, ErrorCode.BAD_PARAMETER, "The request body is not valid JSON.")
    if isinstance(exc, exceptions.ValidationError):
        return workforce_answer(400, ErrorCode.BAD_PARAMETER, _first_problem(exc.detail))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return workforce_answer(405, ErrorCode.METHOD_NOT_ALLOWED, str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        return workforce_answer(429, ErrorCode.THROTTLED, "Too many requests.", retry_after_headers(exc))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return workforce_answer(401, ErrorCode.UNAUTHORIZED, "Authentication is required: a valid token or session.")
    if isinstance(exc, exceptions.PermissionDenied):
        return workforce_answer(403, ErrorCode.FORBIDDEN, "Only managers and experts may use team labeling.")
    if isinstance(exc, exceptions.NotFound):
        return workforce_answer(404, ErrorCode.NOT_FOUND, "Not found.")
    if isinstance(exc, DomainError):
        code = {400: ErrorCode.BAD_PARAMETER, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND}.get(
            exc.status, ErrorCode.CONFLICT if exc.status == 409 else ErrorCode.BAD_PARAMETER
        )
        message = f"{exc.field}: {exc.message}" if exc.field and exc.status == 400 else exc.message
        return workforce_answer(exc.status, code, message)
    return None


def _first_problem(detail, path: str = "") -> str:
    """`comments[1].score: "E" is not a valid choice.` from a DRF ValidationError's detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            where = key if not path else (f"{path}.{key}" if key != "non_field_errors" else path)
            return _first_problem(value, where)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if value in ({}, [], None):
                continue
            if isinstance(value, dict | list):
                return _first_problem(value, f"{path}[{index}]")
            return f"{path}: {value}" if path else str(value)
    return f"{path}: {detail}" if path else str(detail)


class XAuthTokenAuthentication(PlatformTokenAuthentication):
    """`X-Auth-Token: <JWT>`, the header clients of the documented system send."""

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_AUTH_TOKEN")
        if not raw:
            return None
        try:
            token_user = authenticate_user_token(raw.strip())
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(exc.reason, code=exc.code) from exc
        except UserBlacklisted as exc:
            raise exceptions.PermissionDenied("Permission denied", code="blacklisted") from exc
        return token_user.user, token_user.claims


class WorkforceApiView(APIView):
    """Seed 004 endpoints: Bearer JWT, X-Auth-Token JWT or the session (first present wins); managers and
    experts only; errors as `{"error_code", "error_msg"}`."""

    authentication_classes = [PlatformTokenAuthentication, XAuthTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return workforce_error(exc)

    def require_member(self, request):
        if not (request.user.is_manager or request.user.is_expert):
            raise exceptions.PermissionDenied()
        return request.user

    def require_manager(self, request):
        if not request.user.is_manager:
            raise workforce_answer(403, ErrorCode.FORBIDDEN, "Only managers may review and accept samples.")
        return request.user


# --- states -----------------------------------------------------------------------------------------


class SampleState(StrEnum):
    ALL = "__ALL__"
    NONE = "__NONE__"
    UNCHECK = "__UNCHECK__"
    ACCEPTED = "__ACCEPTED__"
    REJECTED = "__REJECTED__"
    UNREVIEWED = "__UNREVIEWED__"
    REVIEWED = "__REVIEWED__"
    WORKFORCE_SAMPLED = "__WORKFORCE_SAMPLED__"
    WORKFORCE_SAMPLED_UNCHECK = "__WORKFORCE_SAMPLED_UNCHECK__"
    WORKFORCE_SAMPLED_CHECKED = "__WORKFORCE_SAMPLED_CHECKED__"
    WORKFORCE_SAMPLED_ACCEPTED = "__WORKFORCE_SAMPLED_ACCEPTED__"
    WORKFORCE_SAMPLED_REJECTED = "__WORKFORCE_SAMPLED_REJECTED__"
    AUTO_ANNOTATION = "__AUTO_ANNOTATION__"


STATE_ALIASES = {"UN_ANNOTATION": SampleState.NONE}
LABEL_TYPES = frozenset({0, 1, 3, 100, 101, 102, 200, 201, 202, 400, 600, 900})
TEXT_CLASSIFICATION = 100
SEARCH_KEYS = frozenset({"labeler", "sample_name", "sample_time", "keyword"})
LIMIT_MAX = 100

_STATE_FILTERS: dict[SampleState, Q] = {
    SampleState.ALL: Q(is_labeled=True),
    SampleState.NONE: Q(is_labeled=False),
    SampleState.UNREVIEWED: Q(is_labeled=True, review_accept__isnull=True),
    SampleState.REVIEWED: Q(review_accept__isnull=False),
    SampleState.UNCHECK: Q(is_labeled=True, check_accept__isnull=True),
    SampleState.ACCEPTED: Q(check_accept=True),
    SampleState.REJECTED: Q(check_accept=False) | Q(review_accept=False),
    SampleState.WORKFORCE_SAMPLED: Q(sampled=True),
    SampleState.WORKFORCE_SAMPLED_UNCHECK: Q(sampled=True, check_accept__isnull=True),
    SampleState.WORKFORCE_SAMPLED_CHECKED: Q(sampled=True, check_accept__isnull=False),
    SampleState.WORKFORCE_SAMPLED_ACCEPTED: Q(sampled=True, check_accept=True),
    SampleState.WORKFORCE_SAMPLED_REJECTED: Q(sampled=True, check_accept=False),
    SampleState.AUTO_ANNOTATION: Q(pk__in=[]),
}


def sample_status(item: DataItem) -> SampleState:
    """One sample's state, first match wins (§5.4)."""
    if item.sampled and item.check_accept is True:
        return SampleState.WORKFORCE_SAMPLED_ACCEPTED
    if item.sampled and item.check_accept is False:
        return SampleState.WORKFORCE_SAMPLED_REJECTED
    if item.check_accept is True:
        return SampleState.ACCEPTED
    if item.check_accept is False or item.review_accept is False:
        return SampleState.REJECTED
    if not item.is_labeled:
        return SampleState.NONE
    if item.sampled:
        return SampleState.WORKFORCE_SAMPLED_UNCHECK
    if item.review_accept is True:
        return SampleState.REVIEWED
    return SampleState.UNREVIEWED


# --- query parameters ---------------------------------------------------------------------------------


@dataclass
class SampleQuery:
    limit: int = 10
    offset: int = 0
    state: SampleState | None = None
    label_name: str | None = None
    label_type: int | None = None
    conditions: tuple[dict, ...] = ()


def _integer(params, name: str, default: int, *, low: int, high: int | None = None) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not text.lstrip("-").isdigit():
        raise InvalidInput(f"{name} must be an integer", field=name)
    value = int(text)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise InvalidInput(f"{name} must be {bound}", field=name)
    return value


def _ms_range(value: object) -> tuple[int, int]:
    if not isinstance(value, str) or value.count("-") != 1:
        raise InvalidInput('sample_time must be "<ms>-<ms>"', field="search_conditions")
    start, end = value.split("-")
    if not (start.strip().isdigit() and end.strip().isdigit()):
        raise InvalidInput('sample_time must be "<ms>-<ms>"', field="search_conditions")
    return int(start), int(end)


def parse_sample_query(params) -> SampleQuery:
    """The listing's query parameters (§5.2), or InvalidInput naming the bad one."""
    query = SampleQuery(
        limit=_integer(params, "limit", 10, low=1, high=LIMIT_MAX),
        offset=_integer(params, "offset", 0, low=0, high=10**9),
    )
    state = params.get("sample_state")
    if state:
        try:
            query.state = STATE_ALIASES.get(state) or SampleState(state)
        except ValueError as exc:
            raise InvalidInput(f"unknown sample_state {state!r}", field="sample_state") from exc
    query.label_name = params.get("label_name") or None
    if params.get("label_type") not in (None, ""):
        label_type = _integer(params, "label_type", 0, low=0)
        if label_type not in LABEL_TYPES:
            raise InvalidInput("label_type is not one of the documented types", field="label_type")
        query.label_type = label_type
    raw = params.get("search_conditions")
    if raw:
        try:
            conditions = json.loads(raw if raw.lstrip()[:1] in ("[", "{") else unquote(raw))
        except ValueError as exc:
            raise InvalidInput("search_conditions is not valid JSON", field="search_conditions") from exc
        if isinstance(conditions, dict):
            conditions = [conditions]
        if not isinstance(conditions, list) or not all(isinstance(c, dict) for c in conditions):
            raise InvalidInput("search_conditions must be a JSON array of objects", field="search_conditions")
        for condition in conditions:
            unknown = set(condition) - SEARCH_KEYS
            if unknown:
                raise InvalidInput(f"unsupported search condition {sorted(unknown)[0]!r}", field="search_conditions")
            for key in ("labeler", "sample_name", "keyword"):
                value = condition.get(key, "")
                if isinstance(value, bool) or not isinstance(value, str | int):
                    raise InvalidInput(f"{key} must be a string", field="search_conditions")
            if "sample_time" in condition:
                _ms_range(condition["sample_time"])
            if "labeler" in condition and not str(condition["labeler"]).strip().isdigit():
                raise InvalidInput("labeler must be a worker id", field="search_conditions")
        query.conditions = tuple(conditions)
    return query


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def filter_samples(items: QuerySet[DataItem], query: SampleQuery, *, dataset_name: str) -> QuerySet[DataItem]:
    """Apply state, label and search filters (all AND-ed)."""
    if query.state is not None:
        items = items.filter(_STATE_FILTERS[query.state])
    if query.label_type is not None:
        items = items.filter(is_labeled=True) if query.label_type == TEXT_CLASSIFICATION else items.none()
    if query.label_name is not None:
        name = query.label_name
        if name == "keep":
            items = items.filter(is_labeled=True, data_reserve=1)
        elif name == "drop":
            items = items.filter(is_labeled=True, data_reserve=0)
        elif name == "answer":
            items = items.filter(is_labeled=True).exclude(labeled_answer=[])
        else:
            items = items.none()
    for condition in query.conditions:
        if "labeler" in condition:
            items = items.filter(labeled_by_id=int(str(condition["labeler"]).strip()))
        if "keyword" in condition:
            items = items.filter(keyword__contains=str(condition["keyword"]))
        if "sample_time" in condition:
            start, end = _ms_range(condition["sample_time"])
            items = items.filter(updated_at__gte=_from_ms(start), updated_at__lt=_from_ms(end + 1))
        if "sample_name" in condition:
            items = items.annotate(
                _sample_name=Concat(
                    Value(f"{dataset_name}#"), Cast(F("position"), CharField()), output_field=CharField()
                )
            ).filter(_sample_name__contains=str(condition["sample_name"]))
    return items


# --- rendering --------------------------------------------------------------------------------------


def epoch_ms(moment: datetime | None) -> int | None:
    """The seed 004 time format: milliseconds since the epoch (None stays None)."""
    return int(moment.timestamp() * 1000) if moment else None


def sample_labels(item: DataItem) -> list[dict]:
    if not item.is_labeled:
        return []
    labels = [
        {
            "id": "reserve",
            "name": "keep" if item.data_reserve == 1 else "drop",
            "type": TEXT_CLASSIFICATION,
            "annotated_by": "human",
            "property": {},
        }
    ]
    for k, answer in enumerate(item.current_answer):
        labels.append(
            {
                "id": f"answer-{k}",
                "name": "answer",
                "type": TEXT_CLASSIFICATION,
                "annotated_by": "human",
                "property": {
                    "@modelarts:content": answer.get("answer"),
                    "ranking_number": answer.get("ranking_number", 0),
                    "reserve": answer.get("reserve", 0),
                },
            }
        )
    return labels


def sample_size(item: DataItem) -> int:
    """UTF-8 bytes of background + current question + every current answer text."""
    texts = [item.background or "", item.current_question or ""]
    texts += [answer.get("answer") or "" for answer in item.current_answer if isinstance(answer, dict)]
    return sum(len(text.encode("utf-8")) for text in texts)


def labeler_of(expert) -> dict:
    return _drop_none(
        {
            "worker_id": str(expert.pk),
            "email": expert.email or None,
            "role": 0,
            "status": 2 if expert.last_login else 1,
            "create_time": epoch_ms(expert.date_joined),
        }
    )


def _drop_none(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}


def render_sample(item: DataItem, *, task, dataset) -> dict:
    """One DescribeSampleResp (§5.3); keys whose value would be null are left out."""
    score = item.check_score if item.check_score else item.review_score
    return _drop_none(
        {
            "sample_id": str(item.pk),
            "sample_type": 1,
            "sample_name": f"{dataset.name}#{item.position}",
            "sample_data": [item.current_question],
            "source": dataset.source,
            "sample_size": sample_size(item),
            "sample_time": epoch_ms(item.updated_at),
            "sample_status": sample_status(item).value,
            "labels": sample_labels(item),
            "labelers": [labeler_of(task.expert)],
            "worker_id": str(item.labeled_by_id or task.expert_id),
            "review_accept": item.review_accept,
            "review_comment": item.review_comment,
            "review_score": item.review_score,
            "check_accept": item.check_accept,
            "check_comment": item.check_comment,
            "check_score": item.check_score,
            "score": score or None,
            "metadata": {"@modelarts:import_origin": 0},
        }
    )
