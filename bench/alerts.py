"""Truck alerts benchmark against the production setup (docs/benchmarks.md, "Truck alerts").

What it starts: a fresh MariaDB database (default `bench_alerts`, dropped and recreated), Redis db 6 for
the channel layer / cache / broker (flushed), `migrate`, then ONE uvicorn with `--workers 2` (two ASGI
processes sharing the port) serving `labelplatform.asgi:application` with DEBUG=false. Plain HTTP on
loopback, so SSL redirect and secure cookies are off, as in the integration suite.

What it measures (the clients run in this process, on the same 2 cores as the servers):
1. frames/s ingested over REST (`POST /api/v1/log/`, base64 JSON) and over `/ws/device/` (JSON header +
   binary JPEG, one ack awaited per frame, as a device does) with 50 KB JPEGs from 1, 8 and 32 devices;
2. latency from alert open (just before the device's `POST /api/v1/alert/` is sent) to receipt of the
   `an_alert` message by each of 100 and 1,000 connected `/ws/alert/` watchers (p50/p95/p99), with the
   number of messages expected, received and lost.

    .venv/bin/python bench/alerts.py                 # everything, ~2-3 minutes
    .venv/bin/python bench/alerts.py --devices 8 --watchers 100 --seconds 5 --alerts 10
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import common  # noqa: E402
from bench.common import flush_redis, percentile, recreate_database  # noqa: E402
from tests.processes import VENV_BIN, ManagedProcess, free_port, wait_healthy  # noqa: E402

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/bench_alerts"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
WATCHER = ("bench-watcher", "bench-watcher-password-2026")
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/bench-alerts"))
MEDIA_ROOT = LOG_DIR / "media"  # emptied at the start of every run, like the database


# --- the platform under test -----------------------------------------------------------------------


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    return common.production_env(
        database_url,
        redis_url,
        # the frames this run stores (thousands of 50 KB files) stay out of the project's media folder
        MEDIA_ROOT=str(MEDIA_ROOT),
        DEVICE_REGISTRATION_RATE="10000/min",
    )


def prepare(env: dict[str, str], log_dir: Path) -> str:
    """Migrate, create the watcher, and return a user token for it (issued with the servers' SECRET_KEY)."""
    (log_dir / "migrate.log").write_text(common.manage(env, "migrate", "--noinput"))
    common.setup_django(env)
    from accounts import services
    from accounts.models import Role
    from accounts.tokens import issue_user_token

    user = services.create_user(
        username=WATCHER[0], password=WATCHER[1], role=Role.CITIZEN, area="", watcher=True, validate=False
    )
    return issue_user_token(user)


def start_server(env: dict[str, str], log_dir: Path, workers: int) -> tuple[ManagedProcess, str]:
    port = free_port()
    process = ManagedProcess(
        "uvicorn",
        [
            str(VENV_BIN / "uvicorn"),
            "labelplatform.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--lifespan",
            "off",
            "--ws-max-size",
            str(8 * 1024 * 1024),
        ],
        env=env,
        log_path=log_dir / "uvicorn.log",
    ).start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(process, url, timeout=120)
    return process, url


# --- devices ---------------------------------------------------------------------------------------


def register_devices(url: str, count: int, label: str):
    """`count` registered simulator devices, each with one open alert."""
    from alerts.simulator import RestDevice, random_mac

    devices = []
    for number in range(count):
        device = RestDevice(
            url, mac=random_mac(), password="bench-device-pw", name=f"{label}-{number}-{secrets.token_hex(3)}"
        )
        device.register()
        device.alert_id = device.open_alert("Unsafe")
        devices.append(device)
    return devices


@dataclass
class IngestResult:
    transport: str
    devices: int
    frames: int
    errors: int
    seconds: float
    frames_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_samples: list[str] = field(default_factory=list)


def ingest_rest(url: str, image: bytes, devices: int, seconds: float) -> IngestResult:
    pool = register_devices(url, devices, "rest")
    encoded = base64.b64encode(image).decode("ascii")
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run(device) -> int:
        done, mine, index = 0, [], 0
        session = device.session
        while time.perf_counter() < stop_at:
            payload = {
                "token": device.token,
                "alert_id": device.alert_id,
                "frame_timestamp": _now(),
                "frame": encoded,
                "frame_index": index,
            }
            started = time.perf_counter()
            response = session.post(f"{url}/api/v1/log/", json=payload, timeout=30)
            mine.append(time.perf_counter() - started)
            index += 1
            if response.status_code == 200 and response.json().get("code") == 200:
                done += 1
            else:
                with lock:
                    errors.append(f"{response.status_code} {response.text[:120]}")
        with lock:
            latencies.extend(mine)
        return done

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=devices) as executor:
        frames = sum(executor.map(run, pool))
    elapsed = time.perf_counter() - began
    for device in pool:
        device.close()
    return _ingest_result("rest", devices, frames, errors, elapsed, latencies)


def _now() -> str:
    from alerts.simulator import device_time

    return device_time()


def _ingest_result(transport, devices, frames, errors, elapsed, latencies) -> IngestResult:
    return IngestResult(
        transport=transport,
        devices=devices,
        frames=frames,
        errors=len(errors),
        seconds=round(elapsed, 2),
        frames_per_second=round(frames / elapsed, 1),
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p95_ms=round(percentile(latencies, 95) * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
        error_samples=errors[:3],
    )


async def _ingest_ws(url: str, image: bytes, devices: int, seconds: float, window: int = 1) -> IngestResult:
    from websockets.asyncio.client import connect

    from alerts.simulator import websocket_url

    pool = await asyncio.to_thread(register_devices, url, devices, "ws")
    latencies: list[float] = []
    errors: list[str] = []
    sockets = [
        await connect(
            websocket_url(url, "/ws/device/"),
            additional_headers={"Authorization": f"Bearer {device.token}"},
            max_size=None,
            compression=None,
        )
        for device in pool
    ]
    stop_at = time.perf_counter() + seconds

    async def run(device, socket) -> int:
        """Send frames while at most `window` await their ack (1: one ack awaited per frame)."""
        done, index = 0, 0
        slots = asyncio.Semaphore(window)
        started: dict[int, float] = {}
        finished = asyncio.Event()

        async def acks() -> None:
            nonlocal done
            while not (finished.is_set() and not started):
                reply = json.loads(await socket.recv())
                request_id = reply.get("request_id")
                if reply.get("type") != "response" or request_id not in started:
                    continue
                latencies.append(time.perf_counter() - started.pop(request_id))
                if reply.get("code") == 200:
                    done += 1
                else:
                    errors.append(json.dumps(reply)[:160])
                slots.release()

        reader = asyncio.create_task(acks())
        while time.perf_counter() < stop_at:
            if not await _acquire(slots, reader):
                errors.append(f"socket lost: {reader.exception()!r}" if reader.done() else "no ack within 30 s")
                break
            header = {
                "type": "frame",
                "request_id": index,
                "alert_id": device.alert_id,
                "frame_timestamp": _now(),
                "frame_index": index,
            }
            started[index] = time.perf_counter()
            await socket.send(json.dumps(header))
            await socket.send(image)
            index += 1
        finished.set()
        for _ in range(window):  # wait for the frames still in flight
            if not await _acquire(slots, reader):
                break
        reader.cancel()
        return done

    began = time.perf_counter()
    frames = sum(await asyncio.gather(*(run(d, s) for d, s in zip(pool, sockets, strict=True))))
    elapsed = time.perf_counter() - began
    for socket in sockets:
        await socket.close()
    for device in pool:
        device.close()
    transport = "websocket" if window == 1 else f"ws-win{window}"
    return _ingest_result(transport, devices, frames, errors, elapsed, latencies)


async def _acquire(slots: asyncio.Semaphore, reader: asyncio.Task, timeout: float = 30) -> bool:
    """A free slot, or False when the ack reader died or nothing was acknowledged for `timeout` seconds."""
    waiter = asyncio.ensure_future(slots.acquire())
    done, _ = await asyncio.wait({waiter, reader}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        return True
    waiter.cancel()
    return False


# --- watchers --------------------------------------------------------------------------------------


@dataclass
class FanoutResult:
    watchers: int
    alerts: int
    expected: int
    received: int
    lost: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    connect_seconds: float
    open_request_p50_ms: float  # the device's POST /api/v1/alert/ round trip (the push leaves before it ends)
    first_receipt_p50_ms: float  # per alert, the first watcher's receipt
    spread_p50_ms: float  # per alert, last receipt minus first: the cost of reaching every watcher


async def _watch(url: str, token: str, count: int, ready, stop, results) -> None:
    """One client process's share of the watchers: subscribe `count` sockets, then record the wall-clock
    receipt time of every `opened` message until `stop` is set; send [(alert_id, time), ...] back."""
    from websockets.asyncio.client import connect

    from alerts.simulator import websocket_url

    gate = asyncio.Semaphore(25)
    sockets, received = [], []

    async def subscribe():
        async with gate:
            socket = await connect(websocket_url(url, "/ws/alert/"), max_size=None, compression=None, open_timeout=120)
            await socket.send(json.dumps({"type": "get_alert", "username": WATCHER[0], "token": token}))
            while json.loads(await socket.recv()).get("type") != "my_response":
                pass
            sockets.append(socket)

    async def listen(socket):
        async for raw in socket:
            arrived = time.time()
            message = json.loads(raw)
            if message.get("type") == "an_alert" and message["data"]["event"] == "opened":
                received.append((message["data"]["alert"]["id"], arrived))

    await asyncio.gather(*(subscribe() for _ in range(count)))
    listeners = [asyncio.create_task(listen(socket)) for socket in sockets]
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for task in listeners:
        task.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    results.send(received)


def _watcher_process(url, token, count, ready, stop, results) -> None:
    import uvloop

    uvloop.run(_watch(url, token, count, ready, stop, results))


def _fanout(url: str, token: str, watchers: int, alerts: int, interval: float, processes: int) -> FanoutResult:
    """Watchers spread over `processes` client processes (one Python process reading 1,000 sockets would
    itself be the bottleneck); times are wall-clock, shared by the processes of this machine."""
    import multiprocessing

    from alerts.simulator import RestDevice, random_mac

    context = multiprocessing.get_context("fork")
    stop = context.Event()
    workers = []
    began = time.perf_counter()
    for number in range(processes):
        share = watchers // processes + (1 if number < watchers % processes else 0)
        ready = context.Event()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_watcher_process, args=(url, token, share, ready, stop, sender), daemon=True)
        process.start()
        workers.append((process, ready, receiver))
    for _, ready, _ in workers:
        if not ready.wait(timeout=300):
            raise SystemExit("watchers did not connect within 300 s")
    connect_seconds = time.perf_counter() - began

    device = RestDevice(url, mac=random_mac(), password="bench-device-pw", name=f"fanout-{secrets.token_hex(3)}")
    device.register()
    sent_at: dict[int, float] = {}
    request_times: list[float] = []
    for _ in range(alerts):
        started = time.time()
        alert_id = device.open_alert("Tamper")
        request_times.append(time.time() - started)
        sent_at[alert_id] = started
        time.sleep(interval)
    time.sleep(2)  # stragglers
    stop.set()
    received: dict[int, list[float]] = {}
    for process, _, receiver in workers:
        if receiver.poll(60):
            for alert_id, arrived in receiver.recv():
                received.setdefault(alert_id, []).append(arrived)
        process.join(timeout=30)
    device.close()

    latencies = [
        arrived - sent_at[alert_id] for alert_id, times in received.items() if alert_id in sent_at for arrived in times
    ]
    got = len(latencies)
    firsts = [min(times) - sent_at[alert_id] for alert_id, times in received.items() if alert_id in sent_at]
    spreads = [max(times) - min(times) for alert_id, times in received.items() if alert_id in sent_at]
    return FanoutResult(
        watchers=watchers,
        alerts=alerts,
        expected=alerts * watchers,
        received=got,
        lost=alerts * watchers - got,
        p50_ms=round(percentile(latencies, 50) * 1000, 1),
        p95_ms=round(percentile(latencies, 95) * 1000, 1),
        p99_ms=round(percentile(latencies, 99) * 1000, 1),
        max_ms=round(max(latencies, default=float("nan")) * 1000, 1),
        connect_seconds=round(connect_seconds, 1),
        open_request_p50_ms=round(percentile(request_times, 50) * 1000, 1),
        first_receipt_p50_ms=round(percentile(firsts, 50) * 1000, 1),
        spread_p50_ms=round(percentile(spreads, 50) * 1000, 1),
    )


# --- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--devices", default="1,8,32", help="device counts for the ingest runs")
    parser.add_argument("--watchers", default="100,1000", help="watcher counts for the fan-out runs")
    parser.add_argument("--seconds", type=float, default=10, help="length of each ingest run")
    parser.add_argument("--alerts", type=int, default=20, help="alerts opened per fan-out run")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between those alerts")
    parser.add_argument("--frame-kb", type=int, default=50, help="JPEG size in KB (default 50)")
    parser.add_argument(
        "--window",
        type=int,
        default=4,
        help="also run the websocket ingest with this many unacknowledged frames per device (1: skip)",
    )
    parser.add_argument("--watcher-processes", type=int, default=4, help="client processes holding the watchers")
    parser.add_argument("--skip", default="", help="comma list of phases to skip: rest,ws,fanout")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import uvloop

    from alerts.simulator import frame_of_size

    skip = set(filter(None, args.skip.split(",")))
    import shutil

    log_dir = LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(MEDIA_ROOT, ignore_errors=True)
    MEDIA_ROOT.mkdir()
    env = production_env(args.database_url, args.redis_url)
    recreate_database(args.database_url)
    flush_redis(args.redis_url)
    token = prepare(env, log_dir)
    image = frame_of_size(args.frame_kb * 1000)
    print(f"frame: {len(image)} bytes JPEG; server: uvicorn --workers {args.workers}, DEBUG=false, MariaDB, Redis")
    server, url = start_server(env, log_dir, args.workers)
    results: dict[str, list] = {"ingest": [], "fanout": []}
    try:
        for devices in (int(n) for n in args.devices.split(",") if n):
            if "rest" not in skip:
                result = ingest_rest(url, image, devices, args.seconds)
                results["ingest"].append(asdict(result))
                print(_ingest_line(result), flush=True)
            if "ws" not in skip:
                for window in sorted({1, args.window}):
                    result = uvloop.run(_ingest_ws(url, image, devices, args.seconds, window))
                    results["ingest"].append(asdict(result))
                    print(_ingest_line(result), flush=True)
        if "fanout" not in skip:
            for watchers in (int(n) for n in args.watchers.split(",") if n):
                result = _fanout(url, token, watchers, args.alerts, args.interval, args.watcher_processes)
                results["fanout"].append(asdict(result))
                print(
                    f"fan-out {result.watchers:>5} watchers x {result.alerts} alerts: "
                    f"p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, p99 {result.p99_ms} ms, max {result.max_ms} ms; "
                    f"expected {result.expected}, received {result.received}, lost {result.lost} "
                    f"(connected in {result.connect_seconds} s); open request p50 {result.open_request_p50_ms} ms, "
                    f"first receipt p50 {result.first_receipt_p50_ms} ms, first-to-last spread p50 "
                    f"{result.spread_p50_ms} ms",
                    flush=True,
                )
    finally:
        server.stop()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results))


def _ingest_line(result: IngestResult) -> str:
    line = (
        f"ingest {result.transport:<9} {result.devices:>2} devices: {result.frames_per_second:>7.1f} frames/s "
        f"({result.frames} in {result.seconds} s; per frame p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, "
        f"p99 {result.p99_ms} ms); errors {result.errors}"
    )
    if result.error_samples:
        line += f" e.g. {result.error_samples[0]}"
    return line


if __name__ == "__main__":
    main()
