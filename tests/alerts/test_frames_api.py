"""Frames and safe frames over REST (alerts.md §4.2, §5.8-5.11): the seed's frame forms, files in storage,
retries, refusals that store nothing, paging and a truck's last status."""

from __future__ import annotations

import base64
from base64 import b64decode, b64encode
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage

from alerts import services
from alerts.models import Frame, SafeFrame
from tests.alerts.factories import BASE_TIME, AlertFactory, jpeg_bytes, make_frame, make_safe_frame, png_bytes

pytestmark = pytest.mark.django_db
LOG = "/api/v1/log/"
SAFE = "/api/v1/safe/"
IMAGE = jpeg_bytes()


def error(response) -> tuple[int, str]:
    body = response.json()
    assert body["code"] == response.status_code, body
    return response.status_code, body["error"]


def stored_files() -> list[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def alert(device):
    return AlertFactory(truck=device.truck, alert_init=BASE_TIME)


def frame_body(token, alert_id, frame=None, **extra):
    frame = str(b64encode(IMAGE)) if frame is None else frame
    return {"token": token, "alert_id": alert_id, "frame_timestamp": "2020-02-19 13:15:02", "frame": frame, **extra}


@pytest.mark.parametrize(
    "frame",
    [
        str(b64encode(IMAGE)),
        b64encode(IMAGE).decode(),
        base64.urlsafe_b64encode(IMAGE).decode().rstrip("="),
        base64.encodebytes(IMAGE).decode(),
    ],
)
def test_frame_forms_are_stored_as_files_and_returned_as_plain_base64(
    api_client, alert, device_token, frame, watcher_token
):
    r = api_client.post(LOG, frame_body(device_token, alert.pk, frame), format="json")
    assert r.status_code == 200, r.json()
    stored = Frame.objects.get()
    assert r.json()["data"] == {"id": stored.pk, "frame_id": stored.pk}
    assert stored.image.name.startswith(f"alerts/frames/{alert.truck_id}/{alert.pk}/0-")
    assert stored.image.name.endswith(".jpg") and stored.image_format == "jpeg" and stored.size_bytes == len(IMAGE)
    assert default_storage.open(stored.image.name).read() == IMAGE
    listed = api_client.get(f"{LOG}?token={watcher_token}&alert_id={alert.pk}").json()["data"]["frames"][0]
    assert listed["frame_image"] == b64encode(IMAGE).decode()
    assert b64decode(listed["frame_image"]) == IMAGE


def test_png_frame(api_client, alert, device_token):
    image = png_bytes()
    r = api_client.post(LOG, frame_body(device_token, alert.pk, str(b64encode(image))), format="json")
    assert r.status_code == 200
    assert Frame.objects.get().image.name.endswith(".png")


def test_frames_without_index_get_the_next_one_and_retries_with_index_return_the_first(api_client, alert, device_token):
    ids = [
        api_client.post(LOG, frame_body(device_token, alert.pk), format="json").json()["data"]["id"] for _ in range(3)
    ]
    assert list(Frame.objects.order_by("id").values_list("frame_index", flat=True)) == [0, 1, 2]
    retry = api_client.post(LOG, frame_body(device_token, alert.pk, frame_index=1), format="json")
    assert retry.json()["data"]["id"] == ids[1]
    assert Frame.objects.count() == 3 and len(stored_files()) == 3
    services.close_alert(alert=alert, alert_end=alert.alert_init + timedelta(minutes=1))
    retry = api_client.post(LOG, frame_body(device_token, alert.pk, frame_index=2), format="json")
    assert retry.json()["data"]["id"] == ids[2]
    late = api_client.post(LOG, frame_body(device_token, alert.pk, frame_index=3), format="json")
    assert error(late) == (409, "Alert is already closed.")
    assert Frame.objects.count() == 3 and len(stored_files()) == 3


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"frame": "not base64 at all!"}, 400, "Frame is not valid base64."),
        ({"frame": str(b64encode(b"GIF89a" + b"\x00" * 40))}, 400, "Frame is not a valid JPEG or PNG image."),
        ({"frame": str(b64encode(IMAGE[:300]))}, 400, "Frame is not a valid JPEG or PNG image."),
        ({"frame": "b''"}, 400, "Frame is not a valid JPEG or PNG image."),
        ({"frame": 12}, 400, 'Wrong type for "frame" field in payload'),
        ({"frame": ""}, 400, 'Missing value for "frame" field in payload'),
        ({"frame_index": -1}, 400, 'Wrong value for "frame_index" field in payload'),
        ({"frame_index": "first"}, 400, 'Wrong type for "frame_index" field in payload'),
        ({"frame_timestamp": "13:15"}, 400, "date fields must be in '%Y-%m-%d %H:%M:%S' format."),
        ({"alert_id": 999999}, 400, "Alert_id doesn't exists."),
        ({"token": "a.b.c"}, 401, "Wrong token"),
    ],
)
def test_frame_refusals_store_nothing(api_client, alert, device_token, change, status, message):
    r = api_client.post(LOG, {**frame_body(device_token, alert.pk), **change}, format="json")
    assert error(r) == (status, message)
    assert Frame.objects.count() == 0 and stored_files() == []


def test_frame_for_a_foreign_alert(api_client, device_token, other_device):
    foreign = AlertFactory(truck=other_device.truck)
    r = api_client.post(LOG, frame_body(device_token, foreign.pk), format="json")
    assert error(r) == (403, "Alert doesn't belong to this device.")
    assert Frame.objects.count() == 0 and stored_files() == []


def test_oversize_frames(api_client, alert, device_token, settings):
    settings.FRAME_MAX_BYTES = len(IMAGE) - 1
    r = api_client.post(LOG, frame_body(device_token, alert.pk), format="json")
    assert error(r) == (413, "Frame is too large.")
    settings.FRAME_MAX_BYTES = 1000
    huge = frame_body(device_token, alert.pk, "A" * (1000 * 4 // 3 + 64 * 1024 + 10))
    assert error(api_client.post(LOG, huge, format="json")) == (413, "Frame is too large.")
    assert error(api_client.post(SAFE, huge, format="json")) == (413, "Frame is too large.")
    assert Frame.objects.count() == 0 and stored_files() == []


def test_malformed_bodies(api_client, alert, device_token):
    for body in ("{", "[]", '"text"', "null"):
        r = api_client.generic("POST", LOG, body, content_type="application/json")
        assert error(r) == (400, "No input data provided")
    r = api_client.post(LOG, {"alert_id": alert.pk}, format="json")
    assert error(r) == (400, 'Missing "token" field in payload')
    r = api_client.post(LOG, {"token": device_token, "alert_id": alert.pk, "frame": "x"}, format="json")
    assert error(r) == (400, 'Missing "frame_timestamp" field in payload')


def test_deleting_a_frame_row_deletes_its_file(alert, django_capture_on_commit_callbacks):
    frame = make_frame(alert)
    safe = make_safe_frame(alert.truck, at=BASE_TIME)
    assert len(stored_files()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        frame.delete()
        safe.delete()
    assert stored_files() == []


# --- listing and last status ------------------------------------------------------------------------


def test_frames_listing_pages_and_filters(api_client, alert, watcher_token):
    frames = [make_frame(alert, index=n, at=BASE_TIME + timedelta(seconds=n)) for n in range(7)]
    data = api_client.get(f"{LOG}?token={watcher_token}&username=x&page=1&alert_id={alert.pk}").json()["data"]
    assert [f["id"] for f in data["frames"]] == [f.pk for f in reversed(frames)][:5]
    assert (data["totalItems"], data["totalPages"], data["perPage"]) == (7, 2, 5)
    assert set(data["frames"][0]) == {"id", "alert_id", "frame_index", "frame_timestamp", "frame_image"}
    assert data["frames"][0]["frame_timestamp"] == "2020-02-19T12:59:08"
    page2 = api_client.get(f"{LOG}?token={watcher_token}&page=2&alert_id={alert.pk}").json()["data"]
    assert [f["frame_index"] for f in page2["frames"]] == [1, 0]
    since = api_client.get(f"{LOG}?token={watcher_token}&alert_id={alert.pk}&frame_index=5").json()["data"]
    assert since["totalItems"] == 2
    at = api_client.get(f"{LOG}?token={watcher_token}&alert_id={alert.pk}&frame_timestamp=2020-02-19 12:59:06")
    assert at.json()["data"]["totalItems"] == 3


def test_frames_listing_refusals(api_client, watcher_token, citizen_token, alert):
    assert error(api_client.get(f"{LOG}?token={watcher_token}")) == (400, 'Missing "alert_id" parameter in query')
    assert error(api_client.get(f"{LOG}?token={watcher_token}&alert_id=x")) == (
        400,
        'Wrong value for "alert_id" parameter in query',
    )
    assert error(api_client.get(f"{LOG}?token={watcher_token}&alert_id=999999")) == (404, "Alert_id doesn't exists.")
    assert error(api_client.get(f"{LOG}?token={citizen_token}&alert_id={alert.pk}"))[0] == 403


def test_safe_frames_and_retries(api_client, device, device_token, other_device):
    body = {"token": device_token, "truck_id": device.truck.pk, "frame_timestamp": "2020-03-05 13:05:49"}
    first = api_client.post(SAFE, {**body, "frame": str(b64encode(IMAGE))}, format="json")
    retry = api_client.post(SAFE, {**body, "frame": str(b64encode(IMAGE))}, format="json")
    assert first.json() == retry.json()
    assert SafeFrame.objects.count() == 1
    stored = SafeFrame.objects.get()
    assert stored.image.name.startswith(f"alerts/safe/{device.truck.pk}/2020-03-05/")
    second = api_client.post(SAFE, {**body, "frame": str(b64encode(IMAGE)), "frame_index": 1}, format="json")
    assert second.json()["data"]["id"] != first.json()["data"]["id"]
    r = api_client.post(
        SAFE, {**body, "truck_id": other_device.truck.pk, "frame": str(b64encode(IMAGE))}, format="json"
    )
    assert error(r) == (403, "Truck doesn't belong to this device.")
    r = api_client.post(SAFE, {**body, "frame_timestamp": "2020-03-05 13:05:50", "frame": "b'QUJD'"}, format="json")
    assert error(r) == (400, "Frame is not a valid JPEG or PNG image.")
    assert SafeFrame.objects.count() == 2 and len(stored_files()) == 2


def test_last_status_prefers_the_newer_of_safe_frame_and_alert_frame(api_client, device, watcher_token, other_device):
    url = f"/api/v1/truck/laststatus/?token={watcher_token}&username=cristian&truck_id={device.truck.pk}"
    assert error(api_client.get(url)) == (404, "No frame for this truck yet.")
    alert = AlertFactory(truck=device.truck, alert_init=BASE_TIME)
    frame = make_frame(alert, at=BASE_TIME + timedelta(minutes=5))
    make_frame(AlertFactory(truck=other_device.truck), at=BASE_TIME + timedelta(hours=5))  # another truck's
    make_safe_frame(other_device.truck, at=BASE_TIME + timedelta(hours=6))
    data = api_client.get(url).json()["data"]["frame"]
    assert data["id"] == frame.pk and data["alert_id"] == alert.pk and data["truck_id"] == device.truck.pk
    assert b64decode(data["frame_image"]) == IMAGE
    safe = make_safe_frame(device.truck, at=BASE_TIME + timedelta(minutes=5), image=png_bytes())
    data = api_client.get(url).json()["data"]["frame"]
    assert data == {
        "id": safe.pk,
        "truck_id": device.truck.pk,
        "alert_id": None,
        "frame_index": 0,
        "frame_timestamp": "2020-02-19T13:04:02",
        "frame_image": b64encode(png_bytes()).decode(),
    }
    newer = make_frame(alert, at=BASE_TIME + timedelta(minutes=6))
    assert api_client.get(url).json()["data"]["frame"]["id"] == newer.pk
    assert error(api_client.get(f"/api/v1/truck/laststatus/?token={watcher_token}&truck_id=999999")) == (
        404,
        "Truck_id doesn't exists.",
    )
    assert error(api_client.get(f"/api/v1/truck/laststatus/?token={watcher_token}")) == (
        400,
        'Missing "truck_id" parameter in query',
    )


def test_a_large_camera_frame_within_the_default_cap_is_accepted(api_client, alert, device_token, settings):
    """Default `FRAME_MAX_BYTES` (5 MiB): a ~3 MB JPEG in the seed's form goes through every layer."""
    import io
    import os

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (1400, 1200), os.urandom(1400 * 1200 * 3)).save(buffer, format="JPEG", quality=100)
    image = buffer.getvalue()
    assert 2_000_000 < len(image) < settings.FRAME_MAX_BYTES
    r = api_client.post(LOG, frame_body(device_token, alert.pk, str(b64encode(image))), format="json")
    assert r.status_code == 200, r.json()
    assert default_storage.open(Frame.objects.get().image.name).read() == image


def test_a_frame_whose_file_was_removed_by_hand_is_listed_without_an_error(api_client, alert, watcher_token):
    frame = make_frame(alert)
    default_storage.delete(frame.image.name)
    r = api_client.get(f"{LOG}?token={watcher_token}&alert_id={alert.pk}")
    assert r.status_code == 200 and r.json()["data"]["frames"][0]["frame_image"] == ""
