"""The seed's JSON objects (alerts.md §4.3) and the OpenAPI description of the seed 001 endpoints.

Output is built by plain functions (`alert_data`, `frame_data`, `last_status_data`) because the same
dicts go to REST answers and to watchers' websockets; request bodies are validated field by field in
the views, in the seed's wording, so the request serializers here only document them.
"""

from __future__ import annotations

import base64
import logging

from django.core.files.storage import default_storage
from rest_framework import serializers

from alerts.inputs import format_datetime
from alerts.models import Alert, Behavior, Frame, SafeFrame, Truck

logger = logging.getLogger(__name__)


def _zone():
    from alerts.services import alerts_zone

    return alerts_zone()


def alert_data(alert: Alert) -> dict:
    zone = _zone()
    return {
        "id": alert.pk,
        "truck_id": alert.truck_id,
        "truck_name": alert.truck.name,
        "behavior": alert.behavior,
        "alert_init": format_datetime(alert.alert_init, zone),
        "alert_end": format_datetime(alert.alert_end, zone),
        "started": alert.started,
    }


def image_base64(frame: Frame | SafeFrame) -> str:
    """The stored bytes as plain base64 (standard alphabet, padded, no wrapper, one line).

    A file missing from storage (removed by hand) gives an empty string and a log line, never a 500.
    """
    try:
        with default_storage.open(frame.image.name, "rb") as handle:
            return base64.b64encode(handle.read()).decode("ascii")
    except OSError:
        logger.warning("frame image %s is missing from storage", frame.image.name)
        return ""


def frame_data(frame: Frame) -> dict:
    return {
        "id": frame.pk,
        "alert_id": frame.alert_id,
        "frame_index": frame.frame_index,
        "frame_timestamp": format_datetime(frame.frame_timestamp, _zone()),
        "frame_image": image_base64(frame),
    }


def last_status_data(frame: Frame | SafeFrame) -> dict:
    is_safe = isinstance(frame, SafeFrame)
    return {
        "id": frame.pk,
        "truck_id": frame.truck_id if is_safe else frame.alert.truck_id,
        "alert_id": None if is_safe else frame.alert_id,
        "frame_index": frame.frame_index,
        "frame_timestamp": format_datetime(frame.frame_timestamp, _zone()),
        "frame_image": image_base64(frame),
    }


def truck_data(truck: Truck, *, last_alert: Alert | None = None, with_last_alert: bool = False) -> dict:
    data = {"id": truck.pk, "name": truck.name, "status": truck.status}
    if with_last_alert:
        data["alerts_total"] = getattr(truck, "alerts_total", 0)
        data["last_alert"] = alert_data(last_alert) if last_alert is not None else None
    return data


# --- OpenAPI ------------------------------------------------------------------------------------------


class SeedDate(serializers.CharField):
    """`%Y-%m-%d %H:%M:%S` or ISO 8601."""


class DeviceRegisterRequest(serializers.Serializer):
    mac = serializers.CharField(help_text="Six hex pairs separated by ':' or '-'.")
    password = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=255, help_text="The truck's name.")
    role = serializers.CharField(required=False, help_text="Accepted and ignored.")


class DeviceRegisterData(serializers.Serializer):
    id = serializers.IntegerField()
    truck_id = serializers.IntegerField()
    token = serializers.CharField(help_text="Device JWT.")


class AlertOpenRequest(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="Device JWT (or the Bearer header).")
    truck_id = serializers.IntegerField()
    alert_init = SeedDate()
    behavior = serializers.ChoiceField(choices=Behavior.values)


class AlertCloseRequest(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="Device JWT (or the Bearer header).")
    alert_id = serializers.IntegerField()
    alert_end = SeedDate()


class AlertIdData(serializers.Serializer):
    id = serializers.IntegerField()
    alert_id = serializers.IntegerField()


class AlertObject(serializers.Serializer):
    id = serializers.IntegerField()
    truck_id = serializers.IntegerField()
    truck_name = serializers.CharField()
    behavior = serializers.ChoiceField(choices=Behavior.values)
    alert_init = serializers.CharField()
    alert_end = serializers.CharField(allow_null=True)
    started = serializers.BooleanField()


class AlertListData(serializers.Serializer):
    alerts = AlertObject(many=True)
    totalItems = serializers.IntegerField()  # noqa: N815 - the seed's key
    totalPages = serializers.IntegerField()  # noqa: N815
    perPage = serializers.IntegerField()  # noqa: N815


class FrameRequest(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="Device JWT (or the Bearer header).")
    alert_id = serializers.IntegerField()
    frame_timestamp = SeedDate()
    frame = serializers.CharField(help_text="Base64 JPEG/PNG, plain or as str(b64encode(...)) gives it.")
    frame_index = serializers.IntegerField(required=False, min_value=0)


class FrameIdData(serializers.Serializer):
    id = serializers.IntegerField()
    frame_id = serializers.IntegerField()


class FrameObject(serializers.Serializer):
    id = serializers.IntegerField()
    alert_id = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    frame_timestamp = serializers.CharField()
    frame_image = serializers.CharField(help_text="Plain base64 of the stored image.")


class FrameListData(serializers.Serializer):
    frames = FrameObject(many=True)
    totalItems = serializers.IntegerField()  # noqa: N815
    totalPages = serializers.IntegerField()  # noqa: N815
    perPage = serializers.IntegerField()  # noqa: N815


class SafeFrameRequest(serializers.Serializer):
    token = serializers.CharField(required=False, help_text="Device JWT (or the Bearer header).")
    truck_id = serializers.IntegerField()
    frame_timestamp = SeedDate()
    frame = serializers.CharField(help_text="Base64 JPEG/PNG, plain or as str(b64encode(...)) gives it.")
    frame_index = serializers.IntegerField(required=False, min_value=0, default=0)


class SafeFrameIdData(serializers.Serializer):
    safeframe_id = serializers.IntegerField()
    id = serializers.IntegerField()


class LastStatusFrame(serializers.Serializer):
    id = serializers.IntegerField()
    truck_id = serializers.IntegerField()
    alert_id = serializers.IntegerField(allow_null=True)
    frame_index = serializers.IntegerField()
    frame_timestamp = serializers.CharField()
    frame_image = serializers.CharField()


class LastStatusData(serializers.Serializer):
    frame = LastStatusFrame()


class TruckObject(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    alerts_total = serializers.IntegerField(required=False)
    last_alert = AlertObject(required=False, allow_null=True)


class TruckListData(serializers.Serializer):
    trucks = TruckObject(many=True)
    totalItems = serializers.IntegerField()  # noqa: N815
    totalPages = serializers.IntegerField()  # noqa: N815
    perPage = serializers.IntegerField()  # noqa: N815


def envelope(name: str, data: type[serializers.Serializer], *, code: int = 200) -> type[serializers.Serializer]:
    """`{"code", "status_code", "data": <data>}` for the schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "code": serializers.IntegerField(default=code),
            "status_code": serializers.CharField(default="Success"),
            "data": data(),
        },
    )
