"""Seed 001 device and watcher endpoints (alerts.md §5.4-5.12), in the `{"code", "status_code", ...}` envelope.

Thin: each view reads its fields in the seed's words (`alerts.requests`), names the caller
(`alerts.devices`) and calls one service or selector. Choices where the seed is silent are in
docs/alerts.md.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers
from rest_framework.parsers import BaseParser

from accounts.families import AlertApiView, alert_answer, alert_error, alert_success
from accounts.serializers import AlertError
from accounts.throttles import ClientIPThrottle, client_ip
from alerts import selectors, services
from alerts.errors import AlertMessage
from alerts.models import Behavior, TruckStatus
from alerts.requests import DeviceBody, WatcherQuery
from alerts.serializers import (
    AlertCloseRequest,
    AlertIdData,
    AlertListData,
    AlertOpenRequest,
    DeviceRegisterData,
    DeviceRegisterRequest,
    FrameIdData,
    FrameListData,
    FrameRequest,
    LastStatusData,
    SafeFrameIdData,
    SafeFrameRequest,
    TruckListData,
    alert_data,
    envelope,
    frame_data,
    last_status_data,
    truck_data,
)
from labelplatform.parsers import PayloadTooLarge, read_bounded

TAGS = ["seed 001: truck alerts"]


def _errors(*pairs: tuple[int, str]) -> dict:
    return {status: OpenApiResponse(AlertError, description=text) for status, text in pairs}


_DEVICE_ERRORS = _errors(
    (400, "No input data, missing or malformed field"),
    (401, "Wrong token"),
    (403, "Device is disabled. / doesn't belong to this device."),
    (413, "Request body too large"),
)
_WATCHER_ERRORS = _errors(
    (400, "Missing or wrong parameter"), (401, "Wrong token"), (403, "Current user don't has permission")
)
_QUERY_TOKEN = [
    OpenApiParameter("token", str, description="User JWT (or the Bearer header)."),
    OpenApiParameter("username", str, description="Accepted and ignored."),
    OpenApiParameter("page", int, description="1-based page."),
]


class StreamJSONParser(BaseParser):
    """JSON read from the request stream with the view's own limit.

    DRF reads the bodies of its own JSON parser (and subclasses) through `request.body`, which Django caps
    at `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB) with an HTML 400; frames are larger by design and every
    refusal must be in the envelope, so this parser is not one of those and reads at most the view's
    `max_body_bytes` (else 413 in the envelope).
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return parsers.JSONParser().parse(read_bounded(stream, parser_context), media_type, parser_context)


class SeedView(AlertApiView):
    """The seed 001 views of this app: the envelope, JSON bodies read with the view's limit."""

    parser_classes = [StreamJSONParser]


class DeviceRegistrationThrottle(ClientIPThrottle):
    """Device registration per client IP (`DEVICE_REGISTRATION_RATE`)."""

    scope = "device_registration"
    rate_setting = "DEVICE_REGISTRATION_RATE"


def _page_data(key: str, items: list, found: selectors.Page) -> dict:
    """One page of a watcher list, with the seed's paging keys."""
    return {key: items, "totalItems": found.total, "totalPages": found.pages, "perPage": found.per_page}


class JetsonRegisterView(SeedView):
    """A device registers (POST) or refreshes its token (PUT) with its MAC and password."""

    throttle_classes = [DeviceRegistrationThrottle]

    def _register(self, request, *, must_exist: bool):
        body = DeviceBody(request)
        mac = body.text("mac")
        password = body.text("password")
        name = body.text("name")
        registration = services.register_device(
            mac=mac, password=password, name=name, ip=client_ip(request), must_exist=must_exist
        )
        return alert_success(
            {"id": registration.device.pk, "truck_id": registration.truck.pk, "token": registration.token}
        )

    @extend_schema(
        operation_id="jetson_register",
        tags=TAGS,
        request=DeviceRegisterRequest,
        responses={
            200: envelope("JetsonRegisterResponse", DeviceRegisterData),
            **_errors(
                (400, "Missing field, Mac doesn't has correct format."),
                (401, "Wrong password."),
                (403, "Device is disabled."),
                (409, "Truck already register."),
                (413, "Password is too large."),
                (429, "Too many requests."),
            ),
        },
        auth=[],
        summary="Register a device and its truck (idempotent); returns a device token",
    )
    def post(self, request):
        return self._register(request, must_exist=False)

    @extend_schema(
        operation_id="jetson_refresh",
        tags=TAGS,
        request=DeviceRegisterRequest,
        responses={
            200: envelope("JetsonRefreshResponse", DeviceRegisterData),
            **_errors(
                (400, "Missing field, Mac doesn't has correct format."),
                (401, "Jetson device dosen't exists / Wrong password."),
                (403, "Device is disabled."),
                (409, "Truck already register."),
                (413, "Password is too large."),
                (429, "Too many requests."),
            ),
        },
        auth=[],
        summary="A known device gets a fresh token",
    )
    def put(self, request):
        return self._register(request, must_exist=True)


class AlertView(SeedView):
    """Devices open (POST) and close (PUT) alerts; watchers list them (GET)."""

    @extend_schema(
        operation_id="alert_open",
        tags=TAGS,
        request=AlertOpenRequest,
        responses={200: envelope("AlertOpenResponse", AlertIdData, code=201), **_DEVICE_ERRORS},
        summary="Open an alert (device); a retry returns the same alert",
    )
    def post(self, request):
        body = DeviceBody(request, required=("truck_id", "alert_init", "behavior"))
        device = body.device()
        truck_id = body.integer("truck_id")
        behavior = body.text("behavior")
        alert_init = body.date("alert_init")
        result = services.open_alert(device=device, truck_id=truck_id, behavior=behavior, alert_init=alert_init)
        return alert_success({"id": result.alert.pk, "alert_id": result.alert.pk}, code=201)

    @extend_schema(
        operation_id="alert_close",
        tags=TAGS,
        request=AlertCloseRequest,
        responses={
            200: envelope("AlertCloseResponse", AlertIdData),
            **_DEVICE_ERRORS,
            **_errors((409, "Alert is already closed.")),
        },
        summary="Close an alert (device)",
    )
    def put(self, request):
        body = DeviceBody(request, required=("alert_id", "alert_end"))
        device = body.device()
        alert_id = body.integer("alert_id")
        alert_end = body.date("alert_end")
        alert = services.close_alert(alert=alert_id, alert_end=alert_end, device=device)
        return alert_success({"id": alert.pk, "alert_id": alert.pk})

    @extend_schema(
        operation_id="alert_list",
        tags=TAGS,
        parameters=[
            *_QUERY_TOKEN,
            OpenApiParameter("limit", int, description="1-100, default 20."),
            OpenApiParameter("id", int),
            OpenApiParameter("truck_id", int),
            OpenApiParameter("truck_name", str),
            OpenApiParameter("behavior", str, enum=Behavior.values),
            OpenApiParameter("alert_init", str, description="Alerts with alert_init at or after it."),
            OpenApiParameter("alert_init_start", str),
            OpenApiParameter("alert_init_end", str),
            OpenApiParameter("alert_finish_time_start", str),
            OpenApiParameter("alert_finish_time_end", str),
            OpenApiParameter("started", str, description="true/false/1/0"),
            OpenApiParameter("sort_name", str, enum=list(selectors.ALERT_SORT_FIELDS)),
            OpenApiParameter("sort_order", str, enum=["asc", "desc"]),
        ],
        responses={200: envelope("AlertListResponse", AlertListData), **_WATCHER_ERRORS},
        summary="List alerts, newest first (watchers)",
    )
    def get(self, request):
        query = WatcherQuery(request)
        query.watcher()
        page = query.integer("page", default=1, minimum=1)
        limit = query.integer("limit", default=20, minimum=1, maximum=100)
        filters = selectors.AlertFilters(
            id=query.integer("id", minimum=0),
            truck_id=query.integer("truck_id", minimum=0),
            truck_name=query.text("truck_name"),
            behavior=query.choice("behavior", Behavior.values),
            alert_init=query.date("alert_init"),
            alert_init_start=(pair := query.date_pair("alert_init_start", "alert_init_end"))[0],
            alert_init_end=pair[1],
            alert_end_start=(ends := query.date_pair("alert_finish_time_start", "alert_finish_time_end"))[0],
            alert_end_end=ends[1],
            started=query.boolean("started"),
            sort_name=query.choice("sort_name", selectors.ALERT_SORT_FIELDS) or "alert_init",
            sort_order=(query.choice("sort_order", ("asc", "desc"), lower=True) or "desc"),
        )
        found = selectors.page_of(selectors.alerts_for_watchers(filters), page=page, per_page=limit)
        return alert_success(_page_data("alerts", [alert_data(alert) for alert in found.items], found))


class FrameBodyLimitMixin:
    """Frame bodies may be 4/3 × `FRAME_MAX_BYTES` + 64 KiB (base64 and the JSON around it); a larger
    one is 413 `Frame is too large.` before it is read."""

    @property
    def max_body_bytes(self) -> int:
        return settings.FRAME_MAX_BYTES * 4 // 3 + 64 * 1024

    def seed_error(self, exc):
        if isinstance(exc, PayloadTooLarge):
            return alert_answer(413, AlertMessage.FRAME_TOO_LARGE)
        return alert_error(exc)


class LogView(FrameBodyLimitMixin, SeedView):
    """Devices add frames to their alerts (POST); watchers page through an alert's frames (GET)."""

    @extend_schema(
        operation_id="frame_add",
        tags=TAGS,
        request=FrameRequest,
        responses={
            200: envelope("FrameAddResponse", FrameIdData),
            **_DEVICE_ERRORS,
            **_errors((409, "Alert is already closed."), (413, "Frame is too large.")),
        },
        summary="Add a frame to an open alert (device); a retry with the same frame_index returns it",
    )
    def post(self, request):
        body = DeviceBody(request, required=("alert_id", "frame_timestamp", "frame"))
        device = body.device()
        alert_id = body.integer("alert_id")
        frame_timestamp = body.date("frame_timestamp")
        frame_index = body.integer("frame_index", required=False)
        frame = body.text("frame")
        result = services.add_frame(
            device=device, alert_id=alert_id, frame_timestamp=frame_timestamp, image=frame, frame_index=frame_index
        )
        return alert_success({"id": result.frame.pk, "frame_id": result.frame.pk})

    @extend_schema(
        operation_id="frame_list",
        tags=TAGS,
        parameters=[
            *_QUERY_TOKEN,
            OpenApiParameter("alert_id", int, required=True),
            OpenApiParameter("frame_timestamp", str, description="Frames at or after it."),
            OpenApiParameter("frame_index", int, description="Frames with an index at or above it."),
        ],
        responses={
            200: envelope("FrameListResponse", FrameListData),
            **_WATCHER_ERRORS,
            **_errors((404, "Alert_id doesn't exists.")),
        },
        summary="An alert's frames, 5 per page, newest first (watchers)",
    )
    def get(self, request):
        query = WatcherQuery(request)
        query.watcher()
        alert_id = query.integer("alert_id", required=True, minimum=0)
        page = query.integer("page", default=1, minimum=1)
        frame_timestamp = query.date("frame_timestamp")
        frame_index = query.integer("frame_index", minimum=0)
        if selectors.alert_by_id(alert_id) is None:
            raise alert_answer(404, AlertMessage.ALERT_UNKNOWN)
        frames = selectors.frames_of_alert(alert_id=alert_id, frame_timestamp=frame_timestamp, frame_index=frame_index)
        found = selectors.page_of(frames, page=page, per_page=selectors.FRAMES_PER_PAGE)
        return alert_success(_page_data("frames", [frame_data(frame) for frame in found.items], found))


class SafeFrameView(FrameBodyLimitMixin, SeedView):
    @extend_schema(
        operation_id="safe_frame_add",
        tags=TAGS,
        request=SafeFrameRequest,
        responses={
            200: envelope("SafeFrameAddResponse", SafeFrameIdData),
            **_DEVICE_ERRORS,
            **_errors((413, "Frame is too large.")),
        },
        summary="Add a truck's periodic safe frame (device); a retry returns the stored one",
    )
    def post(self, request):
        body = DeviceBody(request, required=("truck_id", "frame_timestamp", "frame"))
        device = body.device()
        truck_id = body.integer("truck_id")
        frame_timestamp = body.date("frame_timestamp")
        frame_index = body.integer("frame_index", required=False)
        frame = body.text("frame")
        result = services.add_safe_frame(
            device=device,
            truck_id=truck_id,
            frame_timestamp=frame_timestamp,
            image=frame,
            frame_index=0 if frame_index is None else frame_index,
        )
        return alert_success({"safeframe_id": result.frame.pk, "id": result.frame.pk})


class TruckLastStatusView(SeedView):
    @extend_schema(
        operation_id="truck_last_status",
        tags=TAGS,
        parameters=[*_QUERY_TOKEN[:2], OpenApiParameter("truck_id", int, required=True)],
        responses={
            200: envelope("TruckLastStatusResponse", LastStatusData),
            **_WATCHER_ERRORS,
            **_errors((404, "Truck_id doesn't exists. / No frame for this truck yet.")),
        },
        summary="A truck's latest frame or safe frame (watchers)",
    )
    def get(self, request):
        query = WatcherQuery(request)
        query.watcher()
        truck_id = query.integer("truck_id", required=True, minimum=0)
        if selectors.truck_by_id(truck_id) is None:
            raise alert_answer(404, AlertMessage.TRUCK_UNKNOWN)
        frame = selectors.truck_last_frame(truck_id=truck_id)
        if frame is None:
            raise alert_answer(404, AlertMessage.NO_FRAME_YET)
        return alert_success({"frame": last_status_data(frame)})


class TruckListView(SeedView):
    @extend_schema(
        operation_id="truck_list",
        tags=TAGS,
        parameters=[
            *_QUERY_TOKEN,
            OpenApiParameter("limit", int, description="1-100, default 10."),
            OpenApiParameter("name", str),
            OpenApiParameter("status", str, enum=TruckStatus.values),
            OpenApiParameter("include_last_alert", str, description="true/false"),
        ],
        responses={200: envelope("TruckListResponse", TruckListData), **_WATCHER_ERRORS},
        summary="List trucks, newest first (watchers)",
    )
    def get(self, request):
        query = WatcherQuery(request)
        query.watcher()
        page = query.integer("page", default=1, minimum=1)
        limit = query.integer("limit", default=10, minimum=1, maximum=100)
        name = query.text("name")
        status = query.choice("status", TruckStatus.values)
        with_last = bool(query.boolean("include_last_alert"))
        trucks = selectors.trucks_for_watchers(name=name, status=status, with_alert_counts=with_last)
        found = selectors.page_of(trucks, page=page, per_page=limit)
        last = selectors.last_alerts_of([truck.pk for truck in found.items]) if with_last else {}
        trucks_data = [
            truck_data(truck, last_alert=last.get(truck.pk), with_last_alert=with_last) for truck in found.items
        ]
        return alert_success(_page_data("trucks", trucks_data, found))
