"""Every documented request of seed 001, sent as its example client code sends it, gets the documented
answer (alerts.md §5; the acceptance contract)."""

from __future__ import annotations

from base64 import b64decode, b64encode
from datetime import datetime as dt

import pytest

from alerts.models import Alert, Device, Frame, SafeFrame, Truck
from tests.alerts.factories import jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db


def seed_post(client, url, payload):
    """requests.post(url, json=payload)."""
    return client.post(url, payload, format="json")


def seed_put(client, url, payload):
    return client.put(url, payload, format="json")


def test_the_seed_workflow_end_to_end(api_client, watcher_token):
    r = seed_post(
        api_client,
        "/api/v1/jetson/register/",
        {"mac": "dc:71:96:53:16:0a", "password": "pass123", "name": "Truck-name"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["code"] == 200 and body["status_code"] == "Success"
    assert set(body["data"]) == {"id", "truck_id", "token"}
    jetson_token = body["data"]["token"]
    truck_id = body["data"]["truck_id"]

    alert_time = dt.now().strftime("%Y-%m-%d %H:%M:%S")
    r = seed_post(
        api_client,
        "/api/v1/alert/",
        {"token": jetson_token, "truck_id": truck_id, "alert_init": alert_time, "behavior": "Safe"},
    )
    assert r.status_code == 200
    assert r.json()["code"] == 201 and r.json()["status_code"] == "Success"
    alert_id = r.json()["data"]["alert_id"]
    assert r.json()["data"]["id"] == alert_id

    image = jpeg_bytes()
    frame = str(b64encode(image))
    assert frame.startswith("b'")
    frame_time = dt.now().strftime("%Y-%m-%d %H:%M:%S")
    r = seed_post(
        api_client,
        "/api/v1/log/",
        {"token": jetson_token, "alert_id": alert_id, "frame_timestamp": frame_time, "frame": frame},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["code"] == 200
    frame_id = r.json()["data"]["id"]
    assert r.json()["data"]["frame_id"] == frame_id

    r = seed_put(api_client, "/api/v1/alert/", {"token": jetson_token, "alert_id": alert_id, "alert_end": frame_time})
    assert r.status_code == 200
    assert r.json() == {"code": 200, "status_code": "Success", "data": {"id": alert_id, "alert_id": alert_id}}

    safe_image = png_bytes()
    r = seed_post(
        api_client,
        "/api/v1/safe/",
        {
            "token": jetson_token,
            "truck_id": truck_id,
            "frame_timestamp": frame_time,
            "frame": str(b64encode(safe_image)),
        },
    )
    assert r.status_code == 200
    assert r.json()["code"] == 200
    safeframe_id = r.json()["data"]["safeframe_id"]
    assert r.json()["data"]["id"] == safeframe_id

    username = "eyes"
    r = api_client.get(f"/api/v1/alert/?token={watcher_token}&username={username}&page=1")
    assert r.status_code == 200
    alerts = r.json()["data"]["alerts"]
    assert alerts[0] == {
        "id": alert_id,
        "truck_id": truck_id,
        "truck_name": "Truck-name",
        "behavior": "Safe",
        "alert_init": alert_time.replace(" ", "T"),
        "alert_end": frame_time.replace(" ", "T"),
        "started": False,
    }
    assert r.json()["data"]["totalItems"] == 1

    r = api_client.get(f"/api/v1/log/?token={watcher_token}&username={username}&page=1&alert_id={alert_id}")
    assert r.status_code == 200
    frames = r.json()["data"]["frames"]
    assert frames[0]["id"] == frame_id and frames[0]["alert_id"] == alert_id and frames[0]["frame_index"] == 0
    assert b64decode(frames[0]["frame_image"]) == image

    r = api_client.get(f"/api/v1/truck/laststatus/?token={watcher_token}&username=cristian&truck_id={truck_id}")
    assert r.status_code == 200
    last = r.json()["data"]["frame"]
    assert last["id"] == safeframe_id and last["truck_id"] == truck_id and last["alert_id"] is None
    assert b64decode(last["frame_image"]) == safe_image

    assert (Device.objects.count(), Truck.objects.count(), Alert.objects.count()) == (1, 1, 1)
    assert (Frame.objects.count(), SafeFrame.objects.count()) == (1, 1)
