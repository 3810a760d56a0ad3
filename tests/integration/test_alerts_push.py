"""Truck alerts across real processes (alerts.md §6): two ASGI servers on one MariaDB and one Redis.

A device talks to one server, a watcher listens on the other; every open and close reaches it through the
Redis channel layer. The database stays the source of truth: a watcher whose connection dies re-reads the
list and finds what it missed. Requests are sent exactly as the seed's example client sends them
(`requests.post(json=...)`, `str(b64encode(...))` frames, the user token in the query string).
"""

from __future__ import annotations

import json
import socket
import time
from base64 import b64decode, b64encode
from datetime import datetime as dt

import pytest
import requests
from websockets.sync.client import connect

from accounts.tokens import issue_user_token
from alerts.models import Alert, Device, Frame, SafeFrame, Truck
from tests.accounts.factories import UserFactory
from tests.alerts.conftest import grant_watchers_permission
from tests.alerts.factories import jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watcher_token():
    grant_watchers_permission()
    return issue_user_token(UserFactory(username="cristian", watcher=True))


@pytest.fixture(autouse=True)
def _remove_files():
    """The servers write frames to the platform's media folder; deleting the rows deletes the files."""
    yield
    Frame.objects.all().delete()
    SafeFrame.objects.all().delete()


def register(server, mac="dc:71:96:53:16:0a", name="Truck-name") -> dict:
    r = requests.post(
        url=f"{server.url}/api/v1/jetson/register/", json={"mac": mac, "password": "pass123", "name": name}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.json()["data"]


def added(ws, username: str, token: str) -> None:
    ws.send(json.dumps({"type": "get_alert", "username": username, "token": token}))
    assert json.loads(ws.recv(timeout=10)) == {"type": "my_response", "data": "Added!"}


def test_seed_workflow_over_http_reaches_a_watcher_on_the_other_server(asgi_servers, watcher_token, evidence):
    a, b = asgi_servers
    with connect(f"{b.ws_url}/ws/alert/?token={watcher_token}", open_timeout=10) as watcher:
        added(watcher, "cristian", watcher_token)
        device = register(a)
        jetson_token, truck_id = device["token"], device["truck_id"]

        alert_time = dt.now().strftime("%Y-%m-%d %H:%M:%S")
        started = time.perf_counter()
        r = requests.post(
            url=f"{a.url}/api/v1/alert/",
            json={"token": jetson_token, "truck_id": truck_id, "alert_init": alert_time, "behavior": "Safe"},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["code"] == 201
        alert_id = r.json()["data"]["alert_id"]
        pushed = json.loads(watcher.recv(timeout=10))
        latency_ms = (time.perf_counter() - started) * 1000
        assert pushed["type"] == "an_alert"
        assert pushed["data"]["event"] == "opened"
        assert pushed["data"]["alert"]["id"] == alert_id
        assert pushed["data"]["alert"]["truck_name"] == "Truck-name"

        image = jpeg_bytes()
        frame = str(b64encode(image))
        frame_time = dt.now().strftime("%Y-%m-%d %H:%M:%S")
        r = requests.post(
            f"{a.url}/api/v1/log/",
            json={"token": jetson_token, "alert_id": alert_id, "frame_timestamp": frame_time, "frame": frame},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["data"]["id"] == r.json()["data"]["frame_id"]

        r = requests.put(
            f"{a.url}/api/v1/alert/",
            json={"token": jetson_token, "alert_id": alert_id, "alert_end": frame_time},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["data"]["id"] == alert_id
        closed = json.loads(watcher.recv(timeout=10))
        assert closed["data"]["event"] == "closed" and closed["data"]["alert"]["started"] is False

        r = requests.post(
            f"{a.url}/api/v1/safe/",
            json={"token": jetson_token, "truck_id": truck_id, "frame_timestamp": frame_time, "frame": frame},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["data"]["safeframe_id"]

    username = "cristian"
    page = 1
    r = requests.get(f"{b.url}/api/v1/alert/?token={watcher_token}&username={username}&page={page}", timeout=10)
    assert r.status_code == 200
    assert r.json()["data"]["alerts"][0]["id"] == alert_id
    r = requests.get(
        f"{b.url}/api/v1/log/?token={watcher_token}&username={username}&page={page}&alert_id={alert_id}", timeout=10
    )
    assert b64decode(r.json()["data"]["frames"][0]["frame_image"]) == image
    r = requests.get(f"{b.url}/api/v1/truck/laststatus/?token={watcher_token}&username=cristian&truck_id={truck_id}")
    assert r.status_code == 200 and b64decode(r.json()["data"]["frame"]["frame_image"]) == image
    evidence(
        f"alert opened on A:{a.port} reached a watcher on B:{b.port} in {latency_ms:.1f} ms (REST round trip included)"
    )


def test_device_websocket_on_one_server_watcher_on_the_other(asgi_servers, watcher_token, evidence):
    a, b = asgi_servers
    device = register(b, mac="aa:bb:cc:00:00:01", name="Truck-WS")
    with (
        connect(f"{a.ws_url}/ws/alert/?token={watcher_token}", open_timeout=10) as watcher,
        connect(f"{b.ws_url}/ws/device/?token={device['token']}", open_timeout=10) as jetson,
    ):
        added(watcher, "cristian", watcher_token)
        jetson.send(
            json.dumps(
                {"type": "open_alert", "request_id": 1, "alert_init": "2020-02-19 12:59:02", "behavior": "Tamper"}
            )
        )
        answer = json.loads(jetson.recv(timeout=10))
        assert answer["code"] == 201, answer
        alert_id = answer["data"]["alert_id"]
        assert json.loads(watcher.recv(timeout=10))["data"]["alert"]["id"] == alert_id
        for index, image in enumerate([jpeg_bytes(), png_bytes()]):
            jetson.send(
                json.dumps(
                    {
                        "type": "frame",
                        "request_id": f"f{index}",
                        "alert_id": alert_id,
                        "frame_timestamp": "2020-02-19 12:59:03",
                        "frame_index": index,
                    }
                )
            )
            jetson.send(image)
            ack = json.loads(jetson.recv(timeout=10))
            assert ack["request_id"] == f"f{index}" and ack["code"] == 200, ack
        jetson.send(json.dumps({"type": "close_alert", "alert_id": alert_id, "alert_end": "2020-02-19 13:00:00"}))
        assert json.loads(jetson.recv(timeout=10))["code"] == 200
        closed = json.loads(watcher.recv(timeout=10))
        assert closed["data"] == {"event": "closed", "alert": {**closed["data"]["alert"], "id": alert_id}}
    assert list(
        Frame.objects.filter(alert_id=alert_id).values_list("frame_index", flat=True).order_by("frame_index")
    ) == [0, 1]
    evidence(f"device websocket on B:{b.port} opened/closed alert {alert_id}; watcher on A:{a.port} got both events")


def test_a_watcher_that_loses_its_connection_finds_the_alert_after_reconnecting(asgi_servers, watcher_token, evidence):
    a, b = asgi_servers
    device = register(a, mac="aa:bb:cc:00:00:02", name="Truck-R")
    with connect(f"{a.ws_url}/ws/alert/?token={watcher_token}", open_timeout=10) as watcher:
        added(watcher, "cristian", watcher_token)
        watcher.socket.shutdown(socket.SHUT_RDWR)  # the connection dies without a closing handshake
    r = requests.post(
        f"{b.url}/api/v1/alert/",
        json={
            "token": device["token"],
            "truck_id": device["truck_id"],
            "alert_init": "2020-02-19 12:59:02",
            "behavior": "Unsafe",
        },
        timeout=10,
    )
    alert_id = r.json()["data"]["alert_id"]
    with connect(f"{a.ws_url}/ws/alert/?token={watcher_token}", open_timeout=10) as again:
        added(again, "cristian", watcher_token)
        listed = requests.get(f"{a.url}/api/v1/alert/?token={watcher_token}&username=cristian&page=1", timeout=10)
        assert [alert["id"] for alert in listed.json()["data"]["alerts"]] == [alert_id]
        assert listed.json()["data"]["alerts"][0]["started"] is True
    evidence(f"watcher killed on A:{a.port}, alert opened on B:{b.port}, re-listed after reconnecting")


def test_concurrent_retries_on_mariadb_never_duplicate(asgi_servers, evidence):
    """Device retries race across both servers: one device per MAC, one alert per natural key, and frames
    sent without an index get distinct indexes (the alert row lock)."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = asgi_servers
    servers = [a, b] * 4
    body = {"mac": "aa:bb:cc:00:00:03", "password": "pass123", "name": "Truck-C"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda s: requests.post(f"{s.url}/api/v1/jetson/register/", json=body, timeout=20).json(), servers)
        )
    assert {answer["data"]["id"] for answer in answers} == {Device.objects.get(mac=body["mac"]).pk}
    assert Truck.objects.filter(name="Truck-C").count() == 1
    token, truck_id = answers[0]["data"]["token"], answers[0]["data"]["truck_id"]
    open_body = {"token": token, "truck_id": truck_id, "alert_init": "2020-02-19 12:59:02", "behavior": "Unsafe"}
    with ThreadPoolExecutor(8) as pool:
        opened = list(
            pool.map(lambda s: requests.post(f"{s.url}/api/v1/alert/", json=open_body, timeout=20).json(), servers)
        )
    alert_ids = {answer["data"]["alert_id"] for answer in opened}
    assert len(alert_ids) == 1 and Alert.objects.filter(truck_id=truck_id).count() == 1
    alert_id = alert_ids.pop()
    frame = str(b64encode(jpeg_bytes()))

    def send_frame(server):
        payload = {"token": token, "alert_id": alert_id, "frame_timestamp": "2020-02-19 12:59:03", "frame": frame}
        return requests.post(f"{server.url}/api/v1/log/", json=payload, timeout=20).json()

    with ThreadPoolExecutor(8) as pool:
        frames = list(pool.map(send_frame, servers * 2))
    assert all(answer["code"] == 200 for answer in frames), frames
    indexes = sorted(Frame.objects.filter(alert_id=alert_id).values_list("frame_index", flat=True))
    assert indexes == list(range(16))
    evidence(
        "8 concurrent registrations -> 1 device; 8 concurrent opens -> 1 alert; 16 concurrent frames -> indexes 0..15"
    )


def test_every_watcher_on_both_servers_gets_every_event(asgi_servers, watcher_token, evidence):
    """40 watchers split over the two servers, 12 opens and closes sent to both: nothing is lost."""
    import asyncio

    import websockets

    a, b = asgi_servers
    device = register(a, mac="aa:bb:cc:00:00:04", name="Truck-F")

    async def scenario():
        sockets = [
            await websockets.connect(f"{server.ws_url}/ws/alert/?token={watcher_token}", open_timeout=20)
            for server in [a, b] * 20
        ]
        for ws in sockets:
            await ws.send(json.dumps({"type": "get_alert"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "my_response"
        expected = []
        for n in range(6):
            server = [a, b][n % 2]
            body = {
                "token": device["token"],
                "truck_id": device["truck_id"],
                "alert_init": f"2020-02-19 12:00:{n:02d}",
                "behavior": "Unsafe",
            }
            opened = await asyncio.to_thread(requests.post, f"{server.url}/api/v1/alert/", json=body, timeout=10)
            alert_id = opened.json()["data"]["alert_id"]
            close = {"token": device["token"], "alert_id": alert_id, "alert_end": f"2020-02-19 12:01:{n:02d}"}
            await asyncio.to_thread(requests.put, f"{server.url}/api/v1/alert/", json=close, timeout=10)
            expected += [("opened", alert_id), ("closed", alert_id)]
        received = []
        for ws in sockets:
            events_seen = []
            while len(events_seen) < len(expected):
                data = json.loads(await asyncio.wait_for(ws.recv(), 10))["data"]
                events_seen.append((data["event"], data["alert"]["id"]))
            received.append(events_seen)
            await ws.close()
        return expected, received

    expected, received = asyncio.run(scenario())
    assert all(seen == expected for seen in received)
    evidence(f"40 watchers on A:{a.port}/B:{b.port} each got all {len(expected)} events, in order")


def test_a_process_with_watchers_still_delivers_other_live_messages(asgi_servers, watcher_token, evidence):
    """The watchers' hub shares the process's channel-layer reader with every other consumer: with a
    watcher connected, a user's /ws/notifications/ socket on the same server still gets its messages."""
    from accounts.notifications import notify_user

    _, b = asgi_servers
    expert = UserFactory(username="nadia")
    with connect(f"{b.ws_url}/ws/alert/?token={watcher_token}", open_timeout=10) as watcher:
        added(watcher, "cristian", watcher_token)
        with connect(f"{b.ws_url}/ws/notifications/?token={issue_user_token(expert)}", open_timeout=10) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
            notify_user(expert.pk, {"type": "task_urged", "task_id": 7})
            assert json.loads(ws.recv(timeout=10)) == {"type": "task_urged", "task_id": 7}
    evidence(f"watcher and /ws/notifications/ sockets on {b} both served by its one channel-layer reader")
