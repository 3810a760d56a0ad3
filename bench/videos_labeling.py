"""Crowd labeling benchmark against the production setup (docs/benchmarks.md, "Videos"; videos.md §10).

What it starts: a fresh MariaDB database (default `bench_videos`, dropped and recreated), Redis db 2
(flushed), `migrate`, `CLIPS` clips (600 of them gold, a realistic mix of citizen states) and `USERS` crowd
labelers, then ONE uvicorn with `--workers W` (W ASGI processes sharing the port) serving
`labelplatform.asgi:application` with DEBUG=false, DATABASE_URL mysql and REDIS_URL redis db 2.

A `video_token` is not valid for 5 s after issue, so a labeler's login → get_batch → send_batch loop
would measure the sleep, not the server. The benchmark measures in phases instead (videos.md §10):
1. log in the `USERS` labelers over HTTP (distinct new `client_id`s) and keep their tokens;
2. get_batch: C concurrent workers call `get_batch` as fast as they can for T seconds, keeping each batch;
3. wait until every kept `video_token` is older than 6 s;
4. send_batch: C workers return the kept batches as fast as they can (gold answered right, so they pass
   and write labels and states: the expensive path);
5. listing: C workers page `get_pos_labels` with the form body the original front-end sends;
for C = 1, 8 and 32; then the get_batch phase again with 10,000 clips, to show how cost grows with the table.

SQL queries per call are counted in this process with Django's CaptureQueriesContext on a sample of
calls through the same views and the same database (`--show-sql` prints one call's statements).
The clients run in this process, on the same 2 cores as the servers and MariaDB, so the latencies
include client-side queueing; the output says so.

    .venv/bin/python bench/videos_labeling.py                          # everything, ~6-8 minutes
    .venv/bin/python bench/videos_labeling.py --loop-only --loop-seconds 60 --concurrency 32   # the target
    .venv/bin/python bench/videos_labeling.py --clips 20000 --users 200 --seconds 5 --concurrency 1,8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import common  # noqa: E402
from bench.common import flush_redis, percentile, recreate_database  # noqa: E402
from tests.processes import VENV_BIN, ManagedProcess, free_port, wait_healthy  # noqa: E402

DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/bench_videos"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
GOLD_POS = 300
GOLD_NEG = 300
KEEP_BATCHES = 3000
CPU_PER_CALL: dict[str, float] = {}  # median Python CPU ms per call in this process (count_queries)
WALL_PER_CALL: dict[str, float] = {}  # most batches kept from one get_batch phase for the send_batch phase


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    # the benchmark logs in a thousand labelers from one IP
    return common.production_env(database_url, redis_url, LABELER_LOGIN_RATE="1000000/min")


def migrate_and_setup(env: dict[str, str], log_dir: Path) -> None:
    (log_dir / "migrate.log").write_text(common.manage(env, "migrate", "--noinput"))
    common.setup_django(env)


def clip_records(count: int) -> list[dict]:
    """`count` clips: the first 600 gold (300 pos, 300 neg), then a mix like a labeling campaign in
    progress: 15% decided positive, 15% decided negative, 10% partially labeled, the rest fresh."""
    rng = random.Random(7)
    records = []
    base = 1_546_300_800  # 2019-01-01
    for n in range(count):
        day = 1 + n // 5000 % 28
        left, top = 100 + (n % 97) * 40, 200 + (n % 89) * 30
        start = base + n * 60
        record = {
            "file_name": f"{n % 3}-{n % 2}-2019-01-{day:02d}-{left}-{top}-{left + 500}-{top + 500}-180-180-{n}-"
            f"{start}-{start + 175}",
            "label_state": -1,
            "label_state_admin": -1,
        }
        if n < GOLD_POS:
            record["label_state_admin"] = 47
        elif n < GOLD_POS + GOLD_NEG:
            record["label_state_admin"] = 32
        else:
            r = rng.random()
            if r < 0.15:
                record["label_state"] = 23
            elif r < 0.30:
                record["label_state"] = 16
            elif r < 0.40:
                record["label_state"] = rng.choice([3, 4, 5])
        records.append(record)
    return records


def load_clips(count: int) -> float:
    from django.db import connection

    from videos import services

    started = time.perf_counter()
    result = services.import_videos(records=clip_records(count), with_labels=True, confirm=True, chunk_size=2000)
    with connection.cursor() as cursor:  # labeled clips get a label time, so listings have an order to walk
        cursor.execute(
            "UPDATE videos_video SET label_update_time = TIMESTAMPADD(SECOND, -id, UTC_TIMESTAMP()) "
            "WHERE label_state <> -1 OR label_state_admin <> -1"
        )
    assert len(result.added) == count, (len(result.added), count)
    return time.perf_counter() - started


def shrink_clips(keep: int) -> None:
    """Keep the first `keep` clips (gold included) for the small-table get_batch phase."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM videos_view WHERE video_id > %s", [keep])
        cursor.execute("DELETE FROM videos_label WHERE video_id > %s", [keep])
        cursor.execute("DELETE FROM videos_video WHERE id > %s", [keep])
        cursor.execute("ANALYZE TABLE videos_video")
        cursor.fetchall()


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
            "--timeout-keep-alive",
            "30",  # the loop phase's labelers are idle 5 s between calls
        ],
        env=env,
        log_path=log_dir / "uvicorn.log",
    ).start()
    url = f"http://127.0.0.1:{port}"
    wait_healthy(process, url, timeout=120)
    return process, url


# --- HTTP clients ------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP connection (one per worker thread)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes, float]:
        headers = {"Content-Type": content_type, "Connection": "keep-alive"}
        for attempt in range(2):
            started = time.perf_counter()
            try:
                self.connection.request("POST", path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, data, (time.perf_counter() - started) * 1000
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def post_json(self, path: str, payload: dict) -> tuple[int, bytes, float]:
        return self.post(path, json.dumps(payload).encode(), "application/json")

    def post_form(self, path: str, fields: dict) -> tuple[int, bytes, float]:
        return self.post(path, urlencode(fields).encode(), "application/x-www-form-urlencoded; charset=UTF-8")

    def close(self) -> None:
        self.connection.close()


@dataclass
class PhaseResult:
    phase: str
    clips: int
    concurrency: int
    requests: int
    seconds: float
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        lat = self.latencies
        codes = " ".join(f"{code}:{count}" for code, count in sorted(self.statuses.items()))
        return (
            f"{self.phase:<16} {self.clips:>7} {self.concurrency:>3} {self.requests:>7} {self.rate:>8.1f} "
            f"{percentile(lat, 50):>7.1f} {percentile(lat, 95):>7.1f} {percentile(lat, 99):>7.1f}  {codes:<10} "
            f"{os.getloadavg()[0]:.1f}"
        )


HEADER = (
    f"{'phase':<16} {'clips':>7} {'C':>3} {'requests':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    "  statuses   load avg"
)


def run_workers(concurrency: int, work) -> tuple[list, float]:
    """Run `work(worker_index)` in `concurrency` threads; returns their results and the wall time."""
    results: list = [None] * concurrency
    barrier = threading.Barrier(concurrency + 1)

    def target(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def log_in_all(url: str, count: int, concurrency: int) -> tuple[list[str], PhaseResult]:
    prefix = f"uuid.{int(time.time() * 1000)}.{secrets.token_hex(4)}"

    def work(index: int):
        client = Client(url)
        tokens, latencies, statuses = [], [], Counter()
        for n in range(index, count, concurrency):
            status, body, ms = client.post_json("/api/v1/login", {"client_id": f"{prefix}.{n}"})
            statuses[status] += 1
            latencies.append(ms)
            if status == 200:
                tokens.append(json.loads(body)["user_token"])
        client.close()
        return tokens, latencies, statuses

    results, seconds = run_workers(concurrency, work)
    phase = PhaseResult("login", 0, concurrency, count, seconds)
    tokens: list[str] = []
    for worker_tokens, latencies, statuses in results:
        tokens += worker_tokens
        phase.latencies += latencies
        phase.statuses += statuses
    return tokens, phase


@dataclass
class KeptBatch:
    user_token: str
    video_token: str
    ids: list[int]
    issued: float


def get_batch_phase(url: str, tokens: list[str], concurrency: int, seconds: float, clips: int):
    deadline_holder = {}

    def work(index: int):
        client = Client(url)
        mine = tokens[index::concurrency] or tokens
        kept, latencies, statuses = [], [], Counter()
        n = 0
        while time.perf_counter() < deadline_holder["deadline"]:
            token = mine[n % len(mine)]
            n += 1
            status, body, ms = client.post_json("/api/v1/get_batch", {"user_token": token})
            statuses[status] += 1
            latencies.append(ms)
            if status == 200:
                data = json.loads(body)
                kept.append(KeptBatch(token, data["video_token"], [c["id"] for c in data["data"]], time.time()))
        client.close()
        return kept, latencies, statuses

    deadline_holder["deadline"] = time.perf_counter() + seconds
    results, wall = run_workers(concurrency, work)
    phase = PhaseResult("get_batch", clips, concurrency, 0, wall)
    kept: list[KeptBatch] = []
    for worker_kept, latencies, statuses in results:
        kept += worker_kept
        phase.latencies += latencies
        phase.statuses += statuses
    phase.requests = len(phase.latencies)
    return kept, phase


def send_batch_phase(url: str, kept: list[KeptBatch], gold_pos: set[int], concurrency: int, clips: int):
    newest = max((b.issued for b in kept), default=time.time())
    wait = 6.0 - (time.time() - newest)
    if wait > 0:
        time.sleep(wait)  # every video token older than 6 s (nbf = iat + 5, no leeway)
    rng = random.Random(11)

    def work(index: int):
        client = Client(url)
        latencies, statuses = [], Counter()
        for batch in kept[index::concurrency]:
            data = [
                {
                    "video_id": video_id,
                    "label": 1 if video_id in gold_pos else (0 if video_id <= 600 else rng.randint(0, 1)),
                }
                for video_id in batch.ids
            ]
            status, _, ms = client.post_json(
                "/api/v1/send_batch", {"user_token": batch.user_token, "video_token": batch.video_token, "data": data}
            )
            statuses[status] += 1
            latencies.append(ms)
        client.close()
        return latencies, statuses

    results, wall = run_workers(concurrency, work)
    phase = PhaseResult("send_batch", clips, concurrency, len(kept), wall)
    for latencies, statuses in results:
        phase.latencies += latencies
        phase.statuses += statuses
    return phase


def listing_phase(url: str, tokens: list[str], concurrency: int, seconds: float, clips: int, pages: int):
    deadline = time.perf_counter() + seconds

    def work(index: int):
        client = Client(url)
        rng = random.Random(index)
        latencies, statuses = [], Counter()
        while time.perf_counter() < deadline:
            fields = {"user_token": rng.choice(tokens), "pageSize": 16, "pageNumber": rng.randint(1, pages)}
            status, _, ms = client.post_form("/api/v1/get_pos_labels", fields)
            statuses[status] += 1
            latencies.append(ms)
        client.close()
        return latencies, statuses

    results, wall = run_workers(concurrency, work)
    phase = PhaseResult("listing", clips, concurrency, 0, wall)
    for latencies, statuses in results:
        phase.latencies += latencies
        phase.statuses += statuses
    phase.requests = len(phase.latencies)
    return phase


def loop_phase(
    url: str, gold_pos: set[int], concurrency: int, seconds: float, clips: int, *, spread: bool = True
) -> list[PhaseResult]:
    """C labelers each loop login → get_batch → wait out the 5 s window → send_batch for `seconds`:
    the real labeler's cycle; batches/s is bounded by C / 5 s, the per-call latencies are under that mix.

    `spread`: the labelers start spread evenly over one 5 s window, as people arriving at the page do;
    otherwise they all start at once and stay in lockstep (every 5 s, C send_batch calls in the same
    instant), the worst case."""
    deadline = time.perf_counter() + seconds
    prefix = f"uuid.loop.{secrets.token_hex(4)}"

    def work(index: int):
        if spread:
            time.sleep(index * 5.05 / concurrency)
        client = Client(url)
        rng = random.Random(index)
        calls = {name: ([], Counter()) for name in ("login", "get_batch", "send_batch")}
        done = n = 0
        while time.perf_counter() < deadline:
            n += 1
            status, body, ms = client.post_json("/api/v1/login", {"client_id": f"{prefix}.{index}.{n}"})
            calls["login"][0].append(ms)
            calls["login"][1][status] += 1
            if status != 200:
                continue
            token = json.loads(body)["user_token"]
            status, body, ms = client.post_json("/api/v1/get_batch", {"user_token": token})
            calls["get_batch"][0].append(ms)
            calls["get_batch"][1][status] += 1
            if status != 200:
                continue
            received = time.perf_counter()
            batch = json.loads(body)
            data = [
                {
                    "video_id": c["id"],
                    "label": 1 if c["id"] in gold_pos else (0 if c["id"] <= 600 else rng.randint(0, 1)),
                }
                for c in batch["data"]
            ]
            # iat <= the moment of receipt, so 5 s after receipt the token is valid (nbf = iat + 5)
            time.sleep(max(0.0, received + 5.05 - time.perf_counter()))
            status, _, ms = client.post_json(
                "/api/v1/send_batch", {"user_token": token, "video_token": batch["video_token"], "data": data}
            )
            calls["send_batch"][0].append(ms)
            calls["send_batch"][1][status] += 1
            done += status == 200
        client.close()
        return calls, done

    results, wall = run_workers(concurrency, work)
    phases = []
    for name in ("login", "get_batch", "send_batch"):
        phase = PhaseResult(f"loop:{name}", clips, concurrency, 0, wall)
        for calls, _ in results:
            phase.latencies += calls[name][0]
            phase.statuses += calls[name][1]
        phase.requests = len(phase.latencies)
        phases.append(phase)
    batches = sum(done for _, done in results)
    print(f"  loop C={concurrency}: {batches} batches labeled in {wall:.1f} s = {batches / wall:.2f} batches/s")
    return phases


# --- SQL queries per call (in process) -------------------------------------------------------------------


def count_queries(samples: int, show_sql: bool, *, profile: bool = False) -> dict[str, list[int]]:
    """Queries of `samples` calls of each endpoint through Django's test client on the same database;
    with `profile`, a cProfile of every call per endpoint (where the time goes, client-side queueing aside)."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient()
    counts: dict[str, list[int]] = {"login": [], "get_batch": [], "send_batch": [], "get_pos_labels": []}
    shown: set[str] = set()
    profiles = {name: cProfile.Profile() for name in counts}
    elapsed: dict[str, list[float]] = {name: [] for name in counts}
    cpu: dict[str, list[float]] = {name: [] for name in counts}

    def call(name: str, path: str, body, content_type="application/json"):
        started = time.perf_counter()
        cpu_started = time.thread_time()
        with CaptureQueriesContext(connection) as ctx:
            if profile:
                profiles[name].enable()
            response = client.post(path, body, content_type=content_type)
            if profile:
                profiles[name].disable()
        elapsed[name].append((time.perf_counter() - started) * 1000)
        cpu[name].append((time.thread_time() - cpu_started) * 1000)
        counts[name].append(len(ctx.captured_queries))
        if show_sql and name not in shown:
            shown.add(name)
            print(f"\n-- {name}: {len(ctx.captured_queries)} queries (status {response.status_code})")
            for query in ctx.captured_queries:
                print(f"   {query['time']}s  {query['sql'][:300]}")
        return response

    tokens, batches = [], []
    for n in range(samples):
        response = call("login", "/api/v1/login", {"client_id": f"uuid.sql.{secrets.token_hex(4)}.{n}"})
        tokens.append(response.json()["user_token"])
    for token in tokens:
        response = call("get_batch", "/api/v1/get_batch", {"user_token": token})
        if response.status_code == 200:
            batches.append((token, response.json()))
    time.sleep(6)
    for token, batch in batches:
        data = [{"video_id": c["id"], "label": 1 if c["id"] <= GOLD_POS else 0} for c in batch["data"]]
        call(
            "send_batch", "/api/v1/send_batch", {"user_token": token, "video_token": batch["video_token"], "data": data}
        )
    for n, token in enumerate(tokens):
        call(
            "get_pos_labels",
            "/api/v1/get_pos_labels",
            urlencode({"user_token": token, "pageSize": 16, "pageNumber": 1 + n}),
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
    CPU_PER_CALL.update({name: statistics.median(values) for name, values in cpu.items() if values})
    WALL_PER_CALL.update({name: statistics.median(values) for name, values in elapsed.items() if values})
    if profile:
        for name, prof in profiles.items():
            times = elapsed[name]
            print(
                f"\n== {name}: median {statistics.median(times):.1f} ms per call in this process, "
                "one call at a time, under cProfile"
            )
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
    return counts


# --- main ----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--clips", type=int, default=100_000)
    parser.add_argument("--small-clips", type=int, default=10_000, help="0 skips the small-table get_batch phase")
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed phase")
    parser.add_argument("--workers", type=int, default=3, help="uvicorn worker processes")
    parser.add_argument(
        "--loop-seconds", type=float, default=11.0, help="login → get_batch → wait 5 s → send_batch loop; 0 skips"
    )
    parser.add_argument(
        "--loop-start",
        choices=("spread", "lockstep"),
        default="spread",
        help="loop labelers start spread over one 5 s window (default) or all at once",
    )
    parser.add_argument("--loop-only", action="store_true", help="only the loop phase (with --loop-seconds)")
    parser.add_argument("--query-samples", type=int, default=10)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one call per endpoint")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--reuse-db", action="store_true", help="keep the loaded database of an earlier run (no drop, no load)"
    )
    parser.add_argument(
        "--profile-only",
        action="store_true",
        help="no server: count queries and print a cProfile of get_batch and send_batch in this process",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]

    log_dir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/bench-videos"))
    log_dir.mkdir(parents=True, exist_ok=True)
    env = production_env(args.database_url, args.redis_url)
    print(f"database {urlsplit(args.database_url).path.lstrip('/')}, redis {args.redis_url}, logs in {log_dir}")
    if args.reuse_db:
        migrate_and_setup(env, log_dir)
        from videos.models import Video

        args.clips = Video.objects.count()
        print(f"reusing the database: {args.clips:,} clips")
    else:
        recreate_database(args.database_url)
        flush_redis(args.redis_url)
        migrate_and_setup(env, log_dir)
        print(f"loading {args.clips:,} clips ({GOLD_POS + GOLD_NEG} gold) ...", flush=True)
        print(f"  loaded in {load_clips(args.clips):.1f} s")
    gold_pos = set(range(1, GOLD_POS + 1))
    if args.profile_only:
        counts = count_queries(args.query_samples, args.show_sql, profile=True)
        for name, values in counts.items():
            print(
                f"  {name:<15} median {statistics.median(values):>4.0f} queries  wall {WALL_PER_CALL[name]:.1f} ms"
                f"  cpu {CPU_PER_CALL[name]:.1f} ms  ({len(values)} calls)"
            )
        return

    server, url = start_server(env, log_dir, args.workers)
    results: list[PhaseResult] = []
    try:
        tokens, login = log_in_all(url, args.users, concurrency=8)
        results.append(login)
        print(f"logged in {len(tokens)} labelers: {login.rate:.0f}/s, p95 {percentile(login.latencies, 95):.1f} ms")
        if len(tokens) < args.users:
            raise SystemExit(f"only {len(tokens)} of {args.users} logins succeeded: {login.statuses}")
        positives = int(args.clips * 0.15)
        print("\n" + HEADER)
        for concurrency in levels:
            if args.loop_only:
                for phase in loop_phase(
                    url, gold_pos, concurrency, args.loop_seconds, args.clips, spread=args.loop_start == "spread"
                ):
                    results.append(phase)
                    print(phase.row(), flush=True)
                continue
            kept, phase = get_batch_phase(url, tokens, concurrency, args.seconds, args.clips)
            results.append(phase)
            print(phase.row(), flush=True)
            random.Random(concurrency).shuffle(kept)
            phase = send_batch_phase(url, kept[:KEEP_BATCHES], gold_pos, concurrency, args.clips)
            results.append(phase)
            print(phase.row(), flush=True)
            phase = listing_phase(url, tokens, concurrency, args.seconds, args.clips, pages=max(1, positives // 16))
            results.append(phase)
            print(phase.row(), flush=True)
            if args.loop_seconds:
                spread = args.loop_start == "spread"
                for phase in loop_phase(url, gold_pos, concurrency, args.loop_seconds, args.clips, spread=spread):
                    results.append(phase)
                    print(phase.row(), flush=True)

        counts = count_queries(args.query_samples, args.show_sql)
        if args.small_clips and not args.loop_only:
            shrink_clips(args.small_clips)
            for concurrency in levels:
                _, phase = get_batch_phase(url, tokens, concurrency, args.seconds, args.small_clips)
                results.append(phase)
                print(phase.row(), flush=True)
    finally:
        server.stop()

    print("\nSQL queries per call (Django CaptureQueriesContext, same views and database), and per call in this")
    print("process, one at a time: wall ms and the Django/Python CPU ms (thread time, the database's work excluded):")
    for name, values in counts.items():
        if values:
            print(
                f"  {name:<15} queries median {statistics.median(values):>3.0f} max {max(values):>3}  "
                f"wall {WALL_PER_CALL.get(name, float('nan')):>6.1f} ms  "
                f"cpu {CPU_PER_CALL.get(name, float('nan')):>5.1f} ms"
                f"  ({len(values)} calls)"
            )
    print(
        f"\n{args.workers} uvicorn workers; clients are threads in this process on the same "
        f"{os.cpu_count()} cores as the servers and MariaDB (latencies include client-side queueing)."
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "phases": [
                        {
                            "phase": r.phase,
                            "clips": r.clips,
                            "concurrency": r.concurrency,
                            "requests": r.requests,
                            "rate": r.rate,
                            "p50": percentile(r.latencies, 50),
                            "p95": percentile(r.latencies, 95),
                            "p99": percentile(r.latencies, 99),
                            "statuses": dict(r.statuses),
                        }
                        for r in results
                    ],
                    "queries": counts,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
