"""Seed 000 crowd labeling endpoints (videos.md §5): thin views over videos.services / videos.selectors.

Each view reads the user token lazily, at the point the spec's check order puts it (send_batch checks
the video token before the user token), and answers every error as `{"message": ...}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.authentication import bearer_token
from accounts.families import CrowdApiView, crowd_answer
from accounts.models import ClientType
from accounts.serializers import CrowdMessage
from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token
from labelplatform.parsers import JSONParser
from labelplatform.streaming import streaming_response
from videos import selectors, serializers, services, states, tokens
from videos.models import ViewQueryType

TAGS = ["seed 000: crowd labeling"]
PERMISSION_DENIED = "Permission denied"
DASHBOARD_TYPES = frozenset({ClientType.RESEARCHER, ClientType.EXPERT})
ALL_LABELS_CHUNK = 2000


def _errors(*codes: int, **described: str) -> dict:
    texts = {
        400: "Missing json / Missing field: <name> / Invalid field: <path>",
        401: "The JWT library's reason, or User not found",
        403: PERMISSION_DENIED,
        405: "Method not allowed",
        409: services.ALREADY_RETURNED,
    }
    texts.update({int(key[1:]): value for key, value in described.items()})
    return {code: OpenApiResponse(CrowdMessage, description=texts[code]) for code in codes}


EMPTY_204 = {204: OpenApiResponse(description="No data (empty body)")}


@dataclass(frozen=True)
class Caller:
    user: object
    claims: dict

    @property
    def client_type(self) -> int:
        return self.user.client_type

    @property
    def connection_id(self) -> int:
        value = self.claims.get("connection_id", -1)
        return value if isinstance(value, int) and not isinstance(value, bool) else -1


def authenticate(raw: str) -> Caller:
    """§3.4: decode (401 with the library's reason), load the active user (401 User not found), read the
    current client type (blacklisted → 403)."""
    try:
        found = authenticate_user_token(raw)
    except TokenRejected as exc:
        raise crowd_answer(401, exc.reason) from exc
    except UserBlacklisted as exc:
        raise crowd_answer(403, PERMISSION_DENIED) from exc
    return Caller(user=found.user, claims=found.claims)


def _body(request) -> dict | None:
    """The request body as a dict, or None when there is none / it is not an object / it is malformed."""
    try:
        data = request.data
    except (exceptions.ParseError, exceptions.UnsupportedMediaType):
        return None
    if not hasattr(data, "get") or isinstance(data, list):
        return None
    if not data and not int(request.META.get("CONTENT_LENGTH") or 0):
        return None
    return data


def _body_token(body: dict | None) -> str | None:
    value = body.get("user_token") if body is not None else None
    return value if isinstance(value, str) and value else None


def _token(request, body: dict | None) -> str | None:
    """§3.3: the body's `user_token` wins over the Bearer header."""
    return _body_token(body) or bearer_token(request)


def _require_body(request, *fields: str) -> dict:
    """The JSON object body with `fields` present, checked in order (`Missing json`, `Missing field: <name>`)."""
    body = _body(request)
    if body is None:
        raise crowd_answer(400, "Missing json")
    for name in fields:
        if name not in body:
            raise crowd_answer(400, f"Missing field: {name}")
    return body


def _require_token(request, body: dict | None, missing: str = "Missing field: user_token") -> str:
    """The user token (`_token`), or a 400 with the endpoint's own `missing` message."""
    raw = _token(request, body)
    if raw is None:
        raise crowd_answer(400, missing)
    return raw


def _dashboard_caller(request, body: dict | None) -> Caller:
    """A researcher or expert labeler: no token → 400 `Missing fields: user_token` (plural, as the original),
    bad token → 401, anyone else → 403."""
    caller = authenticate(_require_token(request, body, "Missing fields: user_token"))
    if caller.client_type not in DASHBOARD_TYPES:
        raise crowd_answer(403, PERMISSION_DENIED)
    return caller


def _int_field(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value.strip())
    return None


class JsonCrowdView(CrowdApiView):
    """A seed 000 endpoint whose body must be JSON (anything else: `Missing json`)."""

    parser_classes = [JSONParser]


# --- get_batch (§5.2) -------------------------------------------------------------------------------------


class GetBatchView(JsonCrowdView):
    @extend_schema(
        operation_id="videos_get_batch",
        tags=TAGS,
        request=serializers.UserTokenRequest,
        responses={200: serializers.BatchResponse, **EMPTY_204, **_errors(400, 401, 403, 405)},
        auth=[],
        summary="Get a batch of 16 clips to label (gold standards hidden for non-researchers)",
    )
    def post(self, request):
        body = _body(request)  # a Bearer header without a body is enough; `Missing json` only with neither
        missing = "Missing json" if body is None else "Missing field: user_token"
        caller = authenticate(_require_token(request, body, missing))
        issued = services.issue_batch(user=caller.user)
        if issued is None:
            return HttpResponse(status=204)
        root = selectors.url_root(request)
        return Response(
            {
                "data": [serializers.batch_item(vid, name, url_root=root) for vid, name in issued.videos],
                "video_token": issued.video_token,
            }
        )


# --- send_batch (§5.3) ------------------------------------------------------------------------------------

ANSWER_KEYS = frozenset({"video_id", "label"})


def parse_answers(
    data: object, *, strict_labels: bool = False, max_items: int | None = None
) -> list[tuple[int, object]]:
    """§5.3 step 3 (and §5.4): a list of `{"video_id": int, "label": ...}` objects with no other key;
    `strict_labels` wants an integer label, `max_items` caps the list length."""
    if not isinstance(data, list) or (max_items is not None and len(data) > max_items):
        raise crowd_answer(400, "Invalid field: data")
    answers = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise crowd_answer(400, f"Invalid field: data[{index}]")
        for key in item:
            if key not in ANSWER_KEYS:
                raise crowd_answer(400, f"Invalid field: data[{index}].{key}")
        if _db_id(item.get("video_id")) is None:
            raise crowd_answer(400, f"Invalid field: data[{index}].video_id")
        if "label" not in item or (strict_labels and _strict_int(item["label"]) is None):
            raise crowd_answer(400, f"Invalid field: data[{index}].label")
        answers.append((item["video_id"], item["label"]))
    return answers


def _strict_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


MAX_DB_ID = 2**63 - 1


def _db_id(value: object) -> int | None:
    """An integer that fits a database id column (larger ones cannot name a row and would overflow)."""
    number = _strict_int(value)
    return number if number is not None and -MAX_DB_ID <= number <= MAX_DB_ID else None


class SendBatchView(JsonCrowdView):
    @extend_schema(
        operation_id="videos_send_batch",
        tags=TAGS,
        request=serializers.SendBatchRequest,
        responses={
            200: serializers.SendBatchResponse,
            **_errors(
                400,
                401,
                403,
                405,
                409,
                _401="The JWT library's reason (e.g. The token is not yet valid (nbf)), User not found, "
                "or Signature of the video batch is not valid",
            ),
        },
        auth=[],
        summary="Return the labels of a batch (once); citizen batches are scored against the gold standards",
    )
    def post(self, request):
        body = _require_body(request, "data")
        raw_user = _require_token(request, body)
        if "video_token" not in body:
            raise crowd_answer(400, "Missing field: video_token")
        answers = parse_answers(body["data"])
        try:
            claims = tokens.decode_video_token(body["video_token"])
        except tokens.VideoTokenRejected as exc:
            raise crowd_answer(401, exc.reason) from exc
        caller = authenticate(raw_user)
        batch = tokens.batch_claims(claims)
        if batch is None:
            raise crowd_answer(401, tokens.BATCH_NOT_VALID)
        result = services.return_batch(
            user=caller.user,
            token_batch_id=batch.batch_id,
            token_user_id=batch.user_id,
            token_video_ids=batch.video_ids,
            answers=answers,
            connection_id=caller.connection_id,
        )
        return Response({"data": {"score": {"batch": result.batch, "user": result.user, "raw": result.raw}}})


# --- set_label_state (§5.4) -------------------------------------------------------------------------------

MAX_LABEL_ITEMS = states.MAX_PAGE_SIZE


class SetLabelStateView(JsonCrowdView):
    @extend_schema(
        operation_id="videos_set_label_state",
        tags=TAGS,
        request=serializers.SetLabelStateRequest,
        responses={204: OpenApiResponse(description="Done (empty body)"), **_errors(400, 401, 403, 405)},
        auth=[],
        summary="Researchers: overwrite the researcher state of clips",
    )
    def post(self, request):
        body = _require_body(request, "data")
        caller = authenticate(_require_token(request, body))
        if caller.client_type != ClientType.RESEARCHER:
            raise crowd_answer(403, PERMISSION_DENIED)
        items = parse_answers(body["data"], strict_labels=True, max_items=MAX_LABEL_ITEMS)
        services.set_label_state(user=caller.user, items=items)
        return HttpResponse(status=204)


# --- listings (§5.5-5.7) ------------------------------------------------------------------------------------

PAGING = (("pageNumber", "page_number"), ("pageSize", "page_size"))


def _paging_value(body: dict | None, query, names: tuple[str, str]) -> tuple[str, object] | None:
    """Body wins over the query string; camelCase wins over snake_case within one source."""
    for source in (body or {}, query):
        for name in names:
            if name in source:
                return name, source.get(name)
    return None


def read_paging(request, body: dict | None) -> tuple[int, int]:
    """(page, size) with the original's rules: size > 1000 → 1000, page < 1 → 1, size < 0 → 20."""
    values = []
    for names, default in zip(PAGING, (1, states.DEFAULT_PAGE_SIZE), strict=True):
        found = _paging_value(body, request.query_params, names)
        if found is None:
            values.append(default)
            continue
        name, raw = found
        number = _int_field(raw)
        if number is None:
            raise crowd_answer(400, f"Invalid field: {name}")
        values.append(number)
    page, size = values
    size = min(size, states.MAX_PAGE_SIZE)
    if size < 0:
        size = 20
    return max(page, 1), size


class ListingView(CrowdApiView):
    """One of the gallery listings; `listing` names its filter in selectors.LISTINGS."""

    listing = ""
    user_mode = False  # get_pos_labels: ?user_id=N

    def answer(self, request):
        spec = selectors.LISTINGS[self.listing]
        body = _body(request)
        if spec.dashboard:
            caller = _dashboard_caller(request, body)
        else:
            raw = _token(request, body)
            caller = authenticate(raw) if raw is not None else None
        user_id = None
        if self.user_mode and "user_id" in request.query_params:
            user_id = _db_id(_int_field(request.query_params.get("user_id")))
            if user_id is None:
                raise crowd_answer(400, "Invalid field: user_id")
        page, size = read_paging(request, body)
        if size == 0:
            return HttpResponse(status=204)
        if user_id is not None:
            queryset = selectors.positive_videos_of_user(
                user_id=user_id, caller_is_researcher=caller is not None and caller.client_type == ClientType.RESEARCHER
            )
        else:
            queryset = selectors.listing_videos(self.listing)
        with_states = user_id is not None or (caller is not None and caller.client_type in DASHBOARD_TYPES)
        with transaction.atomic():
            total = queryset.count()
            videos = list(queryset[(page - 1) * size : page * size]) if (page - 1) * size < total else []
            if not videos:
                return HttpResponse(status=204)
            if caller is not None:
                services.record_views(
                    user=caller.user,
                    connection_id=caller.connection_id,
                    video_ids=[video.pk for video in videos],
                    query_type=ViewQueryType.BY_USER if user_id is not None else ViewQueryType.BY_STATE,
                )
        root = selectors.url_root(request)
        return Response(
            {
                "data": [serializers.listing_item(v, url_root=root, with_states=with_states) for v in videos],
                "total": total,
            }
        )


PAGING_PARAMETERS = [
    OpenApiParameter("pageNumber", int, description="Page, default 1 (alias page_number)"),
    OpenApiParameter("pageSize", int, description="Page size, default 16, at most 1000 (alias page_size)"),
]


def _listing_view(name: str, *, dashboard: bool, user_mode: bool = False) -> type[ListingView]:
    """A ListingView subclass for `name` with its OpenAPI description (GET too for public listings)."""
    summary = f"Gallery listing {name}" + (" (researchers and expert labelers)" if dashboard else "")
    parameters = list(PAGING_PARAMETERS)
    if user_mode:
        parameters.append(OpenApiParameter("user_id", int, description="Clips this user labeled yes (§5.6)"))
    codes = (400, 401, 403, 405)
    responses = {200: serializers.ListingResponse, **EMPTY_204, **_errors(*codes)}
    common = {"tags": TAGS, "responses": responses, "auth": [], "summary": summary}
    attrs = {"listing": name, "user_mode": user_mode, "__doc__": summary, "__module__": __name__}
    post = extend_schema(
        operation_id=f"videos_{name}_post", request=serializers.ListingRequest, parameters=parameters, **common
    )(lambda self, request: self.answer(request))
    attrs["post"] = post
    if not dashboard:
        attrs["get"] = extend_schema(operation_id=f"videos_{name}", parameters=parameters, **common)(
            lambda self, request: self.answer(request)
        )
    class_name = "".join(part.title() for part in name.split("_")) + "View"
    return type(class_name, (ListingView,), attrs)


LISTING_VIEWS = {
    name: _listing_view(name, dashboard=spec.dashboard, user_mode=name == "get_pos_labels")
    for name, spec in selectors.LISTINGS.items()
}


class GetAllLabelsView(CrowdApiView):
    @extend_schema(
        operation_id="videos_get_all_labels",
        tags=TAGS,
        request=serializers.UserTokenRequest,
        responses={200: serializers.AllLabelsResponse, **EMPTY_204, **_errors(400, 401, 403, 405)},
        auth=[],
        summary="Every clip with both states, by id (researchers and expert labelers; streamed)",
    )
    def post(self, request):
        _dashboard_caller(request, _body(request))
        if not selectors.all_videos().exists():
            return HttpResponse(status=204)
        content = serializers.all_labels_chunks(
            selectors.all_video_chunks(chunk_size=ALL_LABELS_CHUNK), url_root=selectors.url_root(request)
        )
        return streaming_response(request, content, content_type="application/json")


# --- statistics and tutorial (§5.8, §5.9) ------------------------------------------------------------------


class LabelStatisticsView(CrowdApiView):
    @extend_schema(
        operation_id="videos_get_label_statistics",
        tags=TAGS,
        responses={200: serializers.StatisticsResponse, **_errors(405)},
        auth=[],
        summary="Counts of clips, fully and partially labeled (gold and bad clips left out)",
    )
    def get(self, request):
        return Response(selectors.label_statistics())


class AddTutorialRecordView(JsonCrowdView):
    @extend_schema(
        operation_id="videos_add_tutorial_record",
        tags=TAGS,
        request=serializers.TutorialRequest,
        responses={204: OpenApiResponse(description="Recorded (empty body)"), **_errors(400, 401, 403, 405)},
        auth=[],
        summary="Record that a labeler took or passed the tutorial",
    )
    def post(self, request):
        body = _require_body(request, "action_type", "query_type")
        caller = authenticate(_require_token(request, body))
        services.add_tutorial_record(
            user=caller.user,
            connection_id=caller.connection_id,
            action_type=_strict_int(body["action_type"]),
            query_type=_strict_int(body["query_type"]),
        )
        return HttpResponse(status=204)
