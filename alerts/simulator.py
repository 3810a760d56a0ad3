"""A simulated truck device: generated JPEG frames and clients for seed 001's device endpoints.

Used by `manage.py simulate_device`, the demo data and `bench/alerts.py`, so anyone can watch the system
work without a Jetson board. It speaks only the public contract (alerts.md §5.4-5.10 over REST, §6.2 over
`/ws/device/`) like any device; only `behaviors()` reads the server's enum (the seed's codes live in one
place), everything else needs no Django.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np


class DeviceError(RuntimeError):
    """The server refused a device request: `code` and `error` are the seed envelope's."""

    def __init__(self, code: int, error: str, *, what: str = "") -> None:
        super().__init__(f"{what}: {code} {error}" if what else f"{code} {error}")
        self.code = code
        self.error = error


# --- frames ------------------------------------------------------------------------------------------


def render_frame(
    *,
    width: int = 640,
    height: int = 360,
    label: str = "",
    detail: str = "",
    index: int = 0,
    noise: int = 12,
    quality: int = 80,
    seed: int | None = None,
) -> bytes:
    """A JPEG that looks like a cab camera still: a dashboard, a driver's silhouette, a caption.

    `noise` (0-255) adds sensor grain, which is what makes a JPEG large; `index` moves the driver so
    successive frames differ visibly.
    """
    rng = np.random.default_rng(seed if seed is not None else index)
    rows = np.linspace(40, 110, height, dtype=np.float32)[:, None]
    image = np.repeat(np.repeat(rows, width, axis=1)[:, :, None], 3, axis=2)
    image[:, :, 0] += 25  # bluish night cab
    if noise:
        image += rng.normal(0, noise, size=image.shape).astype(np.float32)
    image = np.clip(image, 0, 255).astype(np.uint8)
    dash_top = int(height * 0.72)
    cv2.rectangle(image, (0, dash_top), (width, height), (38, 42, 48), -1)
    cv2.circle(image, (int(width * 0.3), height), int(height * 0.22), (20, 20, 24), 6)  # steering wheel
    sway = int(np.sin(index / 3.0) * width * 0.04)
    head = (int(width * 0.3) + sway, int(height * 0.32))
    cv2.circle(image, head, int(height * 0.09), (150, 170, 190), -1)
    cv2.rectangle(
        image,
        (head[0] - int(width * 0.07), head[1] + int(height * 0.09)),
        (head[0] + int(width * 0.07), dash_top),
        (90, 100, 120),
        -1,
    )
    scale = max(width / 900, 0.35)
    cv2.putText(image, label[:40], (10, int(30 * scale + 8)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1)
    footer = f"#{index} {detail}"[:60]
    cv2.putText(image, footer, (10, height - 10), cv2.FONT_HERSHEY_SIMPLEX, scale * 0.8, (200, 220, 255), 1)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 image
        raise RuntimeError("JPEG encoding failed")
    return encoded.tobytes()


def frame_of_size(target_bytes: int, *, width: int = 800, height: int = 600, label: str = "bench") -> bytes:
    """A JPEG within 10 % of `target_bytes` (grain is raised until it is big enough), for benchmarks."""
    low, high, best = 0, 120, b""
    for _ in range(14):
        noise = (low + high) // 2
        best = render_frame(width=width, height=height, label=label, noise=noise, quality=85, seed=1)
        if abs(len(best) - target_bytes) <= target_bytes * 0.1:
            return best
        if len(best) < target_bytes:
            low = noise + 1
        else:
            high = noise - 1
    return best


def device_time(moment: datetime | None = None) -> str:
    """A device timestamp: ISO 8601 in UTC with microseconds (alerts.md §4.1 accepts it), so two frames
    or alerts sent within one second never share a natural key."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat()


def random_mac() -> str:
    """A locally administered unicast MAC (02:xx:...), never one a real board ships with."""
    octets = [0x02] + [secrets.randbelow(256) for _ in range(5)]
    return ":".join(f"{octet:02x}" for octet in octets)


def websocket_url(base_url: str, path: str) -> str:
    parts = urlsplit(base_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, "", ""))


# --- clients -----------------------------------------------------------------------------------------


@dataclass
class Registration:
    device_id: int
    truck_id: int
    token: str


def _check(body: dict, *, what: str, accepted: tuple[int, ...] = (200, 201)) -> dict:
    code = body.get("code")
    if code not in accepted:
        raise DeviceError(int(code or 0), str(body.get("error", body)), what=what)
    return body.get("data") or {}


class RestDevice:
    """A device speaking seed 001's REST endpoints (requests session, one connection kept alive)."""

    transport = "rest"

    def __init__(self, base_url: str, *, mac: str, password: str, name: str, timeout: float = 15) -> None:
        import requests  # runtime dependency; imported here so `render_frame` users do not need it

        self.base_url = base_url.rstrip("/")
        self.mac, self.password, self.name = mac, password, name
        self.timeout = timeout
        self.session = requests.Session()
        self.registration: Registration | None = None

    # seed 001 answers errors with HTTP status = code and the envelope; both are read from the body
    def _call(self, method: str, path: str, payload: dict, *, what: str) -> dict:
        response = self.session.request(method, f"{self.base_url}{path}", json=payload, timeout=self.timeout)
        try:
            body = response.json()
        except ValueError:
            raise DeviceError(response.status_code, response.text[:200], what=what)
        return _check(body, what=what)

    @property
    def token(self) -> str:
        if self.registration is None:
            raise RuntimeError("register() first")
        return self.registration.token

    def register(self) -> Registration:
        data = self._call(
            "POST",
            "/api/v1/jetson/register/",
            {"mac": self.mac, "password": self.password, "name": self.name},
            what="register",
        )
        self.registration = Registration(int(data["id"]), int(data["truck_id"]), data["token"])
        return self.registration

    def open_alert(self, behavior: str, *, alert_init: str | None = None) -> int:
        data = self._call(
            "POST",
            "/api/v1/alert/",
            {
                "token": self.token,
                "truck_id": self.registration.truck_id,
                "alert_init": alert_init or device_time(),
                "behavior": behavior,
            },
            what="open alert",
        )
        return int(data.get("alert_id", data.get("id")))

    def close_alert(self, alert_id: int, *, alert_end: str | None = None) -> int:
        data = self._call(
            "PUT",
            "/api/v1/alert/",
            {"token": self.token, "alert_id": alert_id, "alert_end": alert_end or device_time()},
            what="close alert",
        )
        return int(data.get("alert_id", data.get("id")))

    def send_frame(self, alert_id: int, image: bytes, *, frame_index: int | None = None, at: str | None = None) -> int:
        payload = {
            "token": self.token,
            "alert_id": alert_id,
            "frame_timestamp": at or device_time(),
            "frame": base64.b64encode(image).decode("ascii"),
        }
        if frame_index is not None:
            payload["frame_index"] = frame_index
        data = self._call("POST", "/api/v1/log/", payload, what="frame")
        return int(data.get("frame_id", data.get("id")))

    def send_safe_frame(self, image: bytes, *, at: str | None = None) -> int:
        payload = {
            "token": self.token,
            "truck_id": self.registration.truck_id,
            "frame_timestamp": at or device_time(),
            "frame": base64.b64encode(image).decode("ascii"),
        }
        data = self._call("POST", "/api/v1/safe/", payload, what="safe frame")
        return int(data.get("safeframe_id", data.get("id")))

    def close(self) -> None:
        self.session.close()


class WebsocketDevice(RestDevice):
    """Registers over REST (the only way, alerts.md §5.4), then acts over `/ws/device/` (§6.2):
    a JSON header per request and, for frames, one binary message with the JPEG bytes."""

    transport = "websocket"

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(base_url, **kwargs)
        self.socket = None
        self._next_request = 0

    def register(self) -> Registration:
        from websockets.sync.client import connect

        registration = super().register()
        if self.socket is not None:
            self.socket.close()
        self.socket = connect(
            websocket_url(self.base_url, "/ws/device/"),
            additional_headers={"Authorization": f"Bearer {registration.token}"},
            open_timeout=self.timeout,
            max_size=None,
            legacy=True,  # a long-lived connection closed by `close()`, not a `with` block
        )
        return registration

    def _request(self, header: dict, *, binary: bytes | None = None, what: str) -> dict:
        self._next_request += 1
        request_id = self._next_request
        self.socket.send(json.dumps({**header, "request_id": request_id}))
        if binary is not None:
            self.socket.send(binary)
        while True:
            message = json.loads(self.socket.recv(timeout=self.timeout))
            if message.get("type") == "response" and message.get("request_id") == request_id:
                return _check(message, what=what)
            if message.get("type") == "error":
                raise DeviceError(int(message.get("data", {}).get("code", 0)), str(message), what=what)

    def open_alert(self, behavior: str, *, alert_init: str | None = None) -> int:
        data = self._request(
            {"type": "open_alert", "alert_init": alert_init or device_time(), "behavior": behavior}, what="open alert"
        )
        return int(data.get("alert_id", data.get("id")))

    def close_alert(self, alert_id: int, *, alert_end: str | None = None) -> int:
        data = self._request(
            {"type": "close_alert", "alert_id": alert_id, "alert_end": alert_end or device_time()}, what="close alert"
        )
        return int(data.get("alert_id", data.get("id")))

    def send_frame(self, alert_id: int, image: bytes, *, frame_index: int | None = None, at: str | None = None) -> int:
        header = {"type": "frame", "alert_id": alert_id, "frame_timestamp": at or device_time()}
        if frame_index is not None:
            header["frame_index"] = frame_index
        data = self._request(header, binary=image, what="frame")
        return int(data.get("frame_id", data.get("id")))

    def send_safe_frame(self, image: bytes, *, at: str | None = None) -> int:
        data = self._request({"type": "safe_frame", "frame_timestamp": at or device_time()}, binary=image, what="safe")
        return int(data.get("safeframe_id", data.get("id")))

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
        super().close()


TRANSPORTS = {"rest": RestDevice, "websocket": WebsocketDevice, "ws": WebsocketDevice}


def make_device(transport: str, base_url: str, *, mac: str, password: str, name: str) -> RestDevice:
    try:
        cls = TRANSPORTS[transport]
    except KeyError:
        raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
    return cls(base_url, mac=mac, password=password, name=name)


# --- the simulation loop -----------------------------------------------------------------------------


@dataclass
class SimulationPlan:
    rate: float = 2.0  # frames per second while an alert is open
    frames_per_alert: int = 10
    safe_every: float = 5.0  # seconds between safe frames (0: none)
    pause: float = 2.0  # seconds between alerts
    alerts: int = 0  # stop after this many alerts (0: until stopped)
    width: int = 640
    height: int = 360


@dataclass
class SimulationEvent:
    kind: str  # registered, opened, frame, closed, safe_frame
    alert_id: int | None = None
    behavior: str = ""
    frame_index: int | None = None
    record_id: int | None = None


def behaviors(seed: int | None = None) -> Iterator[str]:
    """Endless behaviors, mostly unsafe ones (a device opens alerts when it sees something wrong)."""
    from alerts.models import Behavior  # the seed's codes live in one enum (needs Django configured)

    rng = np.random.default_rng(seed)
    weighted = [b for b in Behavior.values if b != Behavior.SAFE]
    while True:
        yield weighted[int(rng.integers(len(weighted)))]


def run_simulation(
    device: RestDevice,
    plan: SimulationPlan,
    *,
    report: Callable[[SimulationEvent], None] = lambda event: None,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Register, then open an alert, stream `frames_per_alert` frames at `rate`, close it, pause; safe
    frames every `safe_every` seconds in between. Returns the number of alerts completed."""
    registration = device.register()
    report(SimulationEvent("registered", record_id=registration.truck_id))
    interval = 1.0 / plan.rate if plan.rate > 0 else 0.0
    last_safe = None
    done = 0
    for behavior in behaviors():
        if should_stop() or (plan.alerts and done >= plan.alerts):
            break
        alert_id = device.open_alert(behavior)
        report(SimulationEvent("opened", alert_id=alert_id, behavior=behavior))
        next_at = clock()
        for index in range(plan.frames_per_alert):
            if should_stop():
                break
            wait = next_at - clock()
            if wait > 0:
                sleep(wait)
            image = render_frame(
                width=plan.width,
                height=plan.height,
                label=f"{device.name} - {behavior}",
                detail=device_time()[:19],
                index=index,
            )
            frame_id = device.send_frame(alert_id, image, frame_index=index)
            report(SimulationEvent("frame", alert_id=alert_id, frame_index=index, record_id=frame_id))
            next_at += interval
        device.close_alert(alert_id)
        done += 1
        report(SimulationEvent("closed", alert_id=alert_id, behavior=behavior))
        if plan.safe_every and (last_safe is None or clock() - last_safe >= plan.safe_every):
            image = render_frame(width=plan.width, height=plan.height, label=f"{device.name} - Safe", index=done)
            safe_id = device.send_safe_frame(image)
            last_safe = clock()
            report(SimulationEvent("safe_frame", record_id=safe_id))
        if plan.pause and not should_stop() and not (plan.alerts and done >= plan.alerts):
            sleep(plan.pause)
    return done
