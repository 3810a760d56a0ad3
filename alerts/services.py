"""Every write of the alerts app (alerts.md §5), shared by REST, the device websocket, the admin, the
commands and the demo data. Each function is one transaction; pushes to watchers go out after commit.

Retries never duplicate: the natural keys (truck + alert_init + behavior, alert + frame_index,
truck + frame_timestamp + frame_index) are unique constraints, and a replay returns the first row.
Errors are `labelplatform.errors` exceptions worded with `alerts.errors.AlertMessage`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from alerts import events, images
from alerts.errors import AlertMessage, Unauthorized, wrong_value
from alerts.inputs import BadValue, normalise_mac
from alerts.models import Alert, Behavior, Device, Frame, SafeFrame, Truck, TruckStatus
from alerts.serializers import alert_data  # the alert object of alerts.md §4.3 (also what watchers receive)
from alerts.tokens import issue_device_token
from labelplatform.errors import Conflict, DomainError, InvalidInput, NotAllowed, TooLarge

PASSWORD_MAX_LENGTH = 254  # 255 characters or more is "Password is too large." (alerts.md §5.4)
NAME_MAX_LENGTH = 255
LAST_SEEN_RESOLUTION = timedelta(seconds=60)  # `last_seen_at` is rewritten at most this often


@dataclass(frozen=True)
class DeviceRegistration:
    device: Device
    truck: Truck
    token: str
    created: bool


@dataclass(frozen=True)
class AlertResult:
    alert: Alert
    created: bool  # False: a retry returned the existing alert (nothing pushed)


@dataclass(frozen=True)
class FrameResult:
    frame: Frame | SafeFrame
    created: bool  # False: a retry returned the stored frame


@dataclass(frozen=True)
class PurgeResult:
    frames: int
    safe_frames: int
    bytes: int


def alerts_zone() -> ZoneInfo:
    """Zone of dates sent without an offset and of the dates returned (`ALERTS_TIME_ZONE`)."""
    return ZoneInfo(settings.ALERTS_TIME_ZONE)


# --- devices ------------------------------------------------------------------------------------------


def _check_password(password: str) -> None:
    if not isinstance(password, str) or not password:
        raise InvalidInput(wrong_value("password"), field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise TooLarge(AlertMessage.PASSWORD_TOO_LARGE, field="password")


def _check_device_fields(*, mac: str, password: str, name: str | None) -> str:
    try:
        mac = normalise_mac(mac)
    except BadValue as exc:
        raise InvalidInput(AlertMessage.BAD_MAC, field="mac") from exc
    _check_password(password)
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX_LENGTH):
        raise InvalidInput(wrong_value("name"), field="name")
    return mac


def register_device(
    *, mac: str, password: str, name: str, ip: str | None = None, must_exist: bool = False
) -> DeviceRegistration:
    """Register a device and its truck, or sign a known one in again (alerts.md §5.4).

    Idempotent: the same MAC and password always give the same device and truck, with a fresh token.
    `must_exist` is the seed's `PUT` (token refresh): an unknown MAC is 401. Two concurrent first
    registrations of one MAC end with one device (the loser signs in to the winner's row).
    """
    mac = _check_device_fields(mac=mac, password=password, name=name)
    for _attempt in range(2):
        device = Device.objects.select_related("truck").filter(mac=mac).first()
        if device is None:
            if must_exist:
                raise Unauthorized(AlertMessage.DEVICE_UNKNOWN, field="mac")
            if Truck.objects.filter(name=name).exists():
                raise Conflict(AlertMessage.TRUCK_TAKEN, field="name")
            try:
                with transaction.atomic():
                    device = Device.objects.create(mac=mac, password=make_password(password), last_ip=ip)
                    truck = Truck.objects.create(name=name, device=device, status=TruckStatus.ACTIVE)
            except IntegrityError:
                continue  # another registration won the MAC or the name: look again
            return DeviceRegistration(device, truck, issue_device_token(device), True)
        if not check_password(password, device.password):
            raise Unauthorized(AlertMessage.WRONG_PASSWORD, field="password")
        if not device.is_active:
            raise NotAllowed(AlertMessage.DEVICE_DISABLED)
        truck = device.truck
        now = timezone.now()
        try:
            with transaction.atomic():
                if truck.name != name:
                    if Truck.objects.filter(name=name).exclude(pk=truck.pk).exists():
                        raise Conflict(AlertMessage.TRUCK_TAKEN, field="name")
                    Truck.objects.filter(pk=truck.pk).update(name=name)
                    truck.name = name
                Device.objects.filter(pk=device.pk).update(last_ip=ip, last_seen_at=now)
        except IntegrityError as exc:
            raise Conflict(AlertMessage.TRUCK_TAKEN, field="name") from exc
        device.last_ip, device.last_seen_at = ip, now
        return DeviceRegistration(device, truck, issue_device_token(device), False)
    raise Conflict(AlertMessage.TRUCK_TAKEN, field="name")


def touch_device(*, device: Device) -> None:
    """Record that the device made an authenticated request (at most once a minute, to spare hot rows)."""
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_RESOLUTION:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now


def _bump_token_version(device: Device, **changes) -> Device:
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(token_version=F("token_version") + 1, **changes)
    device.refresh_from_db(fields=["token_version", "is_active", "password"])
    return device


def disable_device(*, device: Device) -> Device:
    """Refuse the device's tokens (403 `Device is disabled.`) and its registration until enabled."""
    return _bump_token_version(device, is_active=False)


def enable_device(*, device: Device) -> Device:
    """Allow the device again; tokens issued before it was disabled stay revoked (it registers again)."""
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(is_active=True)
    device.refresh_from_db(fields=["is_active"])
    return device


def revoke_device_tokens(*, device: Device) -> Device:
    """Every token issued so far stops working; the device gets a new one by registering again."""
    return _bump_token_version(device)


def set_device_password(*, device: Device, password: str) -> Device:
    """A new password (hashed); tokens issued under the old one stop working."""
    _check_password(password)
    return _bump_token_version(device, password=make_password(password))


# --- alerts -------------------------------------------------------------------------------------------


def _device_truck(*, device: Device | None, truck_id: int | None) -> Truck:
    """The truck a device acts for: its own (400 when unknown, 403 when another device's)."""
    if device is not None and (truck_id is None or truck_id == device.truck.pk):
        return device.truck
    if truck_id is None:
        raise InvalidInput(AlertMessage.TRUCK_UNKNOWN, field="truck_id")
    truck = Truck.objects.filter(pk=truck_id).first()
    if truck is None:
        raise InvalidInput(AlertMessage.TRUCK_UNKNOWN, field="truck_id")
    if device is not None:
        raise NotAllowed(AlertMessage.FOREIGN_TRUCK, field="truck_id")
    return truck


def open_alert(*, device: Device | None, truck_id: int | None, behavior: str, alert_init: datetime) -> AlertResult:
    """Open an alert on the device's truck and push `opened` to watchers after commit.

    A retry (same truck, `alert_init` and behavior) returns the existing alert, open or closed, and pushes
    nothing. `truck_id` None means the device's own truck; `device` None (admin, demo) trusts `truck_id`.
    """
    truck = _device_truck(device=device, truck_id=truck_id)
    if behavior not in Behavior.values:
        raise InvalidInput(AlertMessage.BEHAVIOR_UNKNOWN, field="behavior")
    key = {"truck_id": truck.pk, "alert_init": alert_init, "behavior": behavior}
    existing = Alert.objects.filter(**key).first()
    if existing is not None:
        existing.truck = truck
        return AlertResult(existing, False)
    try:
        with transaction.atomic():
            alert = Alert.objects.create(**key, started=True)
            alert.truck = truck
            events.publish_alert_event(events.OPENED, alert_data(alert))
    except IntegrityError:
        alert = Alert.objects.get(**key)  # a concurrent retry inserted it first
        alert.truck = truck
        return AlertResult(alert, False)
    return AlertResult(alert, True)


def close_alert(*, alert: Alert | int, alert_end: datetime, device: Device | None = None) -> Alert:
    """Close an open alert (`alert_end`, `started` false, `closed_at`) and push `closed` after commit.

    With a device, the alert must be of its truck (403); without one (admin) any alert. Closing a closed
    alert is 409 and changes nothing; `alert_end` before `alert_init` is 400.
    """
    alert_id = alert.pk if isinstance(alert, Alert) else alert
    with transaction.atomic():
        locked = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if locked is None:
            raise InvalidInput(AlertMessage.ALERT_UNKNOWN, field="alert_id")
        if device is not None and locked.truck_id != device.truck.pk:
            raise NotAllowed(AlertMessage.FOREIGN_ALERT, field="alert_id")
        if not locked.started:
            raise Conflict(AlertMessage.ALERT_CLOSED, field="alert_id")
        if alert_end < locked.alert_init:
            raise InvalidInput(AlertMessage.END_BEFORE_INIT, field="alert_end")
        locked.alert_end = alert_end
        locked.started = False
        locked.closed_at = timezone.now()
        locked.save(update_fields=["alert_end", "started", "closed_at"])
        locked.truck = device.truck if device is not None else Truck.objects.get(pk=locked.truck_id)
        events.publish_alert_event(events.CLOSED, alert_data(locked))
    return locked


# --- frames -------------------------------------------------------------------------------------------


def _checked_image(image: bytes | str) -> tuple[bytes, images.ImageInfo]:
    """The frame's bytes and format: base64 text is decoded first (alerts.md §4.2)."""
    limit = settings.FRAME_MAX_BYTES
    try:
        data = images.decode_frame_text(image, max_bytes=limit) if isinstance(image, str) else bytes(image)
        info = images.inspect_image(data, max_bytes=limit)
    except images.FrameTooLarge as exc:
        raise TooLarge(AlertMessage.FRAME_TOO_LARGE, field="frame") from exc
    except images.NotBase64 as exc:
        raise InvalidInput(AlertMessage.NOT_BASE64, field="frame") from exc
    except images.NotAnImage as exc:
        raise InvalidInput(AlertMessage.NOT_AN_IMAGE, field="frame") from exc
    return data, info


def check_frame(image: bytes | str) -> images.ImageInfo:
    """Validate a frame without storing it (the device websocket refuses a bad binary message early)."""
    return _checked_image(image)[1]


def add_frame(
    *,
    device: Device | None,
    alert_id: int,
    frame_timestamp: datetime,
    image: bytes | str,
    frame_index: int | None = None,
) -> FrameResult:
    """Store one frame of an open alert: the file in `default_storage`, then the row.

    `image` is the JPEG/PNG bytes or the seed's base64 text. A retry (same alert and `frame_index`)
    returns the stored frame, even once the alert is closed. Without `frame_index` the frame gets the
    alert's highest index + 1, computed while the alert row is locked, so frames never collide.

    The common case of a streaming device (its own open alert, an index, a valid image) is one
    conditional INSERT (`_insert_frame_if_open`); anything else takes the locked path, which checks in the
    order alerts.md §5.8 gives and words the refusal.
    """
    if device is not None and frame_index is not None:
        try:
            data, info = _checked_image(image)
        except DomainError:
            pass  # a retry of a stored frame still answers with it: the locked path decides
        else:
            result = _add_frame_fast(
                truck_id=device.truck.pk,
                alert_id=alert_id,
                frame_timestamp=frame_timestamp,
                frame_index=frame_index,
                data=data,
                info=info,
            )
            if result is not None:
                return result
    return _add_frame_locked(
        device=device, alert_id=alert_id, frame_timestamp=frame_timestamp, image=image, frame_index=frame_index
    )


def _frame_name(truck_id: int, alert_id: int, frame_index: int, info: images.ImageInfo) -> str:
    return f"alerts/frames/{truck_id}/{alert_id}/{frame_index}-{secrets.token_hex(6)}.{info.extension}"


def _add_frame_fast(
    *,
    truck_id: int,
    alert_id: int,
    frame_timestamp: datetime,
    frame_index: int,
    data: bytes,
    info: images.ImageInfo,
) -> FrameResult | None:
    """File, then one INSERT that only succeeds for an open alert of this truck; None when it did not
    (unknown, foreign or closed alert: the locked path answers), the stored frame on a duplicate index."""
    saved = default_storage.save(_frame_name(truck_id, alert_id, frame_index, info), ContentFile(data))
    frame = Frame(
        alert_id=alert_id,
        frame_index=frame_index,
        frame_timestamp=frame_timestamp,
        image=saved,
        image_format=info.format,
        size_bytes=len(data),
        created_at=timezone.now(),
    )
    try:
        inserted = _insert_frame_if_open(frame, truck_id=truck_id)
    except IntegrityError:
        default_storage.delete(saved)
        existing = Frame.objects.filter(alert_id=alert_id, frame_index=frame_index).first()
        return FrameResult(existing, False) if existing is not None else None
    except BaseException:
        default_storage.delete(saved)
        raise
    if not inserted:
        default_storage.delete(saved)
        return None
    return FrameResult(frame, True)


def _insert_frame_if_open(frame: Frame, *, truck_id: int) -> bool:
    """`INSERT INTO frame ... SELECT ... FROM alert WHERE id = ? AND truck_id = ? AND started`: one
    statement (one commit in autocommit mode), atomic against a concurrent close. Sets `frame.pk`."""
    connection = connections[router.db_for_write(Frame)]
    quote = connection.ops.quote_name
    columns = ["alert_id", "frame_index", "frame_timestamp", "image", "image_format", "size_bytes", "created_at"]
    values = [
        frame.alert_id,
        frame.frame_index,
        Frame._meta.get_field("frame_timestamp").get_db_prep_value(frame.frame_timestamp, connection),
        frame.image.name,
        frame.image_format,
        frame.size_bytes,
        Frame._meta.get_field("created_at").get_db_prep_value(frame.created_at, connection),
    ]
    sql = (
        f"INSERT INTO {quote(Frame._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "
        f"SELECT {', '.join(['%s'] * len(values))} FROM {quote(Alert._meta.db_table)} "
        f"WHERE {quote('id')} = %s AND {quote('truck_id')} = %s AND {quote('started')} = %s"
    )
    params = [*values, frame.alert_id, truck_id, True]
    savepoint = transaction.atomic(using=connection.alias) if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            return False
        frame.pk = cursor.lastrowid
    frame._state.adding = False
    frame._state.db = connection.alias
    return True


def _add_frame_locked(
    *,
    device: Device | None,
    alert_id: int,
    frame_timestamp: datetime,
    image: bytes | str,
    frame_index: int | None,
) -> FrameResult:
    saved: str | None = None
    try:
        with transaction.atomic():
            row = Alert.objects.select_for_update().filter(pk=alert_id).values_list("truck_id", "started").first()
            if row is None:
                raise InvalidInput(AlertMessage.ALERT_UNKNOWN, field="alert_id")
            truck_id, started = row
            if device is not None and truck_id != device.truck.pk:
                raise NotAllowed(AlertMessage.FOREIGN_ALERT, field="alert_id")
            if frame_index is not None:
                existing = Frame.objects.filter(alert_id=alert_id, frame_index=frame_index).first()
                if existing is not None:
                    return FrameResult(existing, False)
            if not started:
                raise Conflict(AlertMessage.ALERT_CLOSED, field="alert_id")
            data, info = _checked_image(image)
            if frame_index is None:
                top = Frame.objects.filter(alert_id=alert_id).aggregate(top=Max("frame_index"))["top"]
                frame_index = 0 if top is None else top + 1
            saved = default_storage.save(_frame_name(truck_id, alert_id, frame_index, info), ContentFile(data))
            frame = Frame.objects.create(
                alert_id=alert_id,
                frame_index=frame_index,
                frame_timestamp=frame_timestamp,
                image=saved,
                image_format=info.format,
                size_bytes=len(data),
            )
    except BaseException:
        if saved is not None:
            default_storage.delete(saved)
        raise
    return FrameResult(frame, True)


def add_safe_frame(
    *,
    device: Device | None,
    truck_id: int | None,
    frame_timestamp: datetime,
    image: bytes | str,
    frame_index: int = 0,
) -> FrameResult:
    """Store a truck's periodic "all is well" frame. A retry (same truck, timestamp and index) returns
    the stored one. `truck_id` None means the device's own truck."""
    truck = _device_truck(device=device, truck_id=truck_id)
    key = {"truck_id": truck.pk, "frame_timestamp": frame_timestamp, "frame_index": frame_index}
    existing = SafeFrame.objects.filter(**key).first()
    if existing is not None:
        return FrameResult(existing, False)
    data, info = _checked_image(image)
    day = frame_timestamp.astimezone(alerts_zone()).strftime("%Y-%m-%d")
    saved = default_storage.save(
        f"alerts/safe/{truck.pk}/{day}/{secrets.token_hex(8)}.{info.extension}", ContentFile(data)
    )
    try:
        with transaction.atomic():
            frame = SafeFrame.objects.create(**key, image=saved, image_format=info.format, size_bytes=len(data))
    except IntegrityError:
        default_storage.delete(saved)
        return FrameResult(SafeFrame.objects.get(**key), False)
    except BaseException:
        default_storage.delete(saved)
        raise
    return FrameResult(frame, True)


def purge_frames(
    *,
    older_than: datetime,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> PurgeResult:
    """Delete frames and safe frames captured before `older_than`, rows and files; alerts stay (alerts.md §7).

    Batches of short transactions, so a large purge never holds locks for long; a batch's files are deleted
    after its rows commit (alerts.signals), so a crash leaves at worst an orphan file, never a row naming a
    missing file. `progress(done, total)` is called after each batch. `dry_run` only counts.
    """
    selected = {
        Frame: Frame.objects.filter(frame_timestamp__lt=older_than),
        SafeFrame: SafeFrame.objects.filter(frame_timestamp__lt=older_than),
    }
    counts = {model: queryset.count() for model, queryset in selected.items()}
    total = sum(counts.values())
    if dry_run:
        size = sum(queryset.aggregate(size=Sum("size_bytes"))["size"] or 0 for queryset in selected.values())
        return PurgeResult(frames=counts[Frame], safe_frames=counts[SafeFrame], bytes=size)
    deleted = {Frame: 0, SafeFrame: 0}
    size = 0
    for model, queryset in selected.items():
        while True:
            with transaction.atomic():
                batch = list(
                    queryset.order_by("id")
                    .select_for_update(skip_locked=True)
                    .values_list("id", "size_bytes")[:batch_size]
                )
                if not batch:
                    break
                model.objects.filter(id__in=[row[0] for row in batch]).delete()
            deleted[model] += len(batch)
            size += sum(row[1] for row in batch)
            if progress:
                progress(sum(deleted.values()), max(total, sum(deleted.values())))
    return PurgeResult(frames=deleted[Frame], safe_frames=deleted[SafeFrame], bytes=size)
