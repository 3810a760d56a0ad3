"""Q&A datasets benchmark (qa-tasks.md, issue targets): upload, assign, list, download on MariaDB.

Runs a production-like server (uvicorn, `DEBUG=false`, MariaDB, Redis) in its own database and measures
what a manager's client sees through the seed 002 endpoints:

- `POST /dataset/upload` of N items (default 100,000): items/s (target >= 20,000 items/s);
- `POST /task/assign` of all of them to E experts (default 10): seconds (target < 1 s);
- `GET /task/list`, `/task/list-by-dataset`, `/dataset/get`, `/dataset/list`: seconds;
- `GET /dataset/download`: items/s and the server's peak RSS while streaming, for the N items and, with
  `--big-items`, for a dataset of that many items (target < 300 MB for 1,000,000), built by copying the
  uploaded rows inside MariaDB (setup, not measured);
- the SQL queries each request ran, counted in the server by a connection wrapper that this script
  installs (`bench.qa_datasets:application`, the platform's ASGI app plus a query counter and one
  private route `/__bench__/queries`).

    DATABASE_URL=mysql://root@127.0.0.1:3306/bench_qa REDIS_URL=redis://127.0.0.1:6379/4 \
        nice -n 10 .venv/bin/python bench/qa_datasets.py --items 100000 --experts 10 --big-items 1000000

The database named in DATABASE_URL is dropped and created again: never point it at real data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from bench.common import manage, production_env, recreate_database  # noqa: E402

MANAGER = ("bench-manager", "Rq5-copper-Lantern-77")
EXPERT_PASSWORD = "Tz8-velvet-Orchid-41"
AREA = "medicine"

# ---------------------------------------------------------------- server side: the counting ASGI app
_QUERY_TOTAL = [0]
_QUERY_LOCK = threading.Lock()


def _count_query(execute, sql, params, many, context):
    with _QUERY_LOCK:
        _QUERY_TOTAL[0] += 1
    return execute(sql, params, many, context)


def _install_counter(sender, connection, **kwargs):
    if _count_query not in connection.execute_wrappers:
        connection.execute_wrappers.append(_count_query)


def _make_application():
    from django.core.asgi import get_asgi_application  # noqa: F401 - settings before the platform app
    from django.db.backends.signals import connection_created

    from labelplatform.asgi import application as platform

    connection_created.connect(_install_counter)

    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/__bench__/queries":
            body = json.dumps({"pid": os.getpid(), "queries": _QUERY_TOTAL[0]}).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await platform(scope, receive, send)

    return application


def application_factory():
    """uvicorn --factory bench.qa_datasets:application_factory"""
    return _make_application()


# ---------------------------------------------------------------- client side
def _rows(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    words = ("fever", "dose", "symptom", "clinic", "therapy", "infection", "diagnosis", "chronic", "acute")
    rows = []
    for i in range(count):
        rows.append(
            {
                "data_background": f"患者 {i}: " + " ".join(rng.choice(words) for _ in range(30)),
                "data_question": f"问题 {i}: what should be done about {rng.choice(words)}?",
                "data_answer": [
                    {
                        "answer": f"答案 {k}: " + " ".join(rng.choice(words) for _ in range(15)),
                        "ranking_number": k,
                        "reserve": 1,
                    }
                    for k in range(1, 4)
                ],
                "data_area": AREA,
                "data_keyword": rng.choice(words),
                "other": "",
            }
        )
    return rows


SERVER = {"pid": None}


def server_cpu() -> float:
    """User + system CPU seconds of the server process so far (0 when unknown)."""
    import psutil

    if SERVER["pid"] is None:
        return 0.0
    times = psutil.Process(SERVER["pid"]).cpu_times()
    return times.user + times.system


class RssSampler:
    """Peak RSS (MiB) of a process and its children, sampled every 20 ms in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.process = psutil.Process(pid)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> float:
        import psutil

        total = 0
        for proc in [self.process, *self.process.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += proc.memory_info().rss
        return total / 2**20

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(0.02)

    def __enter__(self):
        self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Client:
    def __init__(self, base_url: str):
        import requests

        self.base = base_url
        self.http = requests.Session()

    def login(self, username: str, password: str) -> None:
        answer = self.http.get(f"{self.base}/user/login", params={"username": username, "password": password}).json()
        if answer.get("response") != "登录成功":
            raise SystemExit(f"login {username} failed: {answer}")
        self.http.headers["Session-Id"] = answer["Session-Id"]

    def queries(self) -> int:
        return self.http.get(f"{self.base}/__bench__/queries").json()["queries"]

    def timed(self, method: str, path: str, **kwargs):
        """(response, wall seconds, queries); `self.cpu` = the server's CPU seconds for the request, a
        figure that, unlike wall time, does not grow when other work loads the machine."""
        before = self.queries()
        cpu_before = server_cpu()
        started = time.perf_counter()
        response = self.http.request(method, f"{self.base}{path}", **kwargs)
        elapsed = time.perf_counter() - started
        self.cpu = server_cpu() - cpu_before
        queries = self.queries() - before
        if response.status_code != 200:
            raise SystemExit(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response, elapsed, queries


def _download(client: Client, dataset_id: int, sampler_pid: int) -> tuple[int, int, float, float, float, int]:
    """Stream the download; returns (items, bytes, seconds, rss_before, rss_peak, queries)."""
    before_queries = client.queries()
    sampler = RssSampler(sampler_pid)
    rss_before = sampler.current()
    size = 0
    started = time.perf_counter()
    with (
        sampler,
        client.http.get(f"{client.base}/dataset/download", params={"dataset_id": dataset_id}, stream=True) as response,
    ):
        if response.status_code != 200:
            raise SystemExit(f"download: HTTP {response.status_code}")
        key, tail, items = b'"data_background"', b"", 0
        for chunk in response.iter_content(chunk_size=1 << 16):
            size += len(chunk)
            window = tail + chunk
            items += window.count(key)
            tail = window[-(len(key) - 1) :]
    elapsed = time.perf_counter() - started
    return items, size, elapsed, rss_before, sampler.peak, client.queries() - before_queries


def _print_download(items: int, size: int, seconds: float, rss_before: float, rss_peak: float, queries: int) -> None:
    print(
        f"download   {items:>9,} items  {size / 2**20:7.1f} MiB  {seconds:7.2f} s  {items / seconds:>9,.0f} items/s  "
        f"{queries:>6} queries  server RSS {rss_before:.0f} -> peak {rss_peak:.0f} MiB",
        flush=True,
    )


def _grow_dataset(env: dict[str, str], source_id: int, target: int) -> int:
    """A new dataset of `target` items copied from `source_id` inside MariaDB (benchmark setup)."""
    code = f"""
import django, sys
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from datasets.models import Dataset, DataItem
source = Dataset.objects.get(pk={source_id})
big = Dataset.objects.create(name=source.name + ' x big', task_type=source.task_type, source=source.source,
                             uploaded_by=source.uploaded_by, uploaded_at=timezone.now())
n = DataItem.objects.filter(dataset=source).count()
table = DataItem._meta.db_table
columns = [f.column for f in DataItem._meta.concrete_fields if f.column not in ('id',)]
copied = 0
rounds = 0
while copied < {target}:
    take = min(n, {target} - copied)
    select = []
    for c in columns:
        if c == 'dataset_id': select.append('%s')
        elif c == 'position': select.append('position + %s')
        elif c == 'task_id': select.append('NULL')
        else: select.append(connection.ops.quote_name(c))
    sql = (f"INSERT INTO {{table}} ({{', '.join(connection.ops.quote_name(c) for c in columns)}}) "
           f"SELECT {{', '.join(select)}} FROM {{table}} WHERE dataset_id = %s AND position < %s")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [big.pk, copied, {source_id}, take])
    copied += take
print(big.pk)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"growing the dataset failed:\n{out.stderr}")
    return int(out.stdout.strip().splitlines()[-1])


def _start_server(env: dict[str, str], port: int, workdir: Path, *, name: str = "uvicorn"):
    from tests.processes import ManagedProcess

    return ManagedProcess(
        name,
        [
            str(BASE_DIR / ".venv" / "bin" / "uvicorn"),
            "bench.qa_datasets:application_factory",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--lifespan",
            "off",
        ],
        env=env,
        log_path=workdir / f"{name}.log",
    ).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--experts", type=int, default=10)
    parser.add_argument("--big-items", type=int, default=0, help="also download a dataset of this many items")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "mysql://root@127.0.0.1:3306/bench_qa")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/4")
    if not database_url.startswith("mysql://"):
        raise SystemExit("DATABASE_URL must be a mysql:// URL (MariaDB)")
    env = production_env(database_url, redis_url)
    from tests.processes import free_port, wait_healthy

    print(f"database {urlsplit(database_url).path.lstrip('/')}, redis {redis_url}, DEBUG=false", flush=True)
    recreate_database(database_url)
    manage(env, "migrate", "--noinput")
    manage(env, "create_user", MANAGER[0], "--role", "manager", "--password-stdin", stdin=MANAGER[1] + "\n")
    for j in range(args.experts):
        manage(
            env,
            "create_user",
            f"bench-expert-{j}",
            "--role",
            "expert",
            "--area",
            AREA,
            "--password-stdin",
            stdin=EXPERT_PASSWORD + "\n",
        )

    port = args.port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-qa-"))
    server = _start_server(env, port, workdir)
    SERVER["pid"] = server.pid
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(server, base, timeout=60)
        client = Client(base)
        client.login(*MANAGER)
        experts = client.http.get(f"{base}/user/list").json()["response"]
        expert_ids = [e["expert_id"] for e in experts if e["expert_name"].startswith("bench-expert-")]

        rows = _rows(args.items)
        body = json.dumps(
            {"dataset_name": "bench", "dataset_task_type": "qa", "dataset_source": "bench", "dataset_json": rows},
            ensure_ascii=False,
        ).encode()
        del rows
        sampler = RssSampler(server.pid)
        with sampler:
            response, upload_s, upload_q = client.timed(
                "POST", "/dataset/upload", data=body, headers={"Content-Type": "application/json"}
            )
        dataset_id = response.json()["dataset_id"]
        print(
            f"upload     {args.items:>9,} items  {len(body) / 2**20:7.1f} MiB  {upload_s:7.2f} s  "
            f"{args.items / upload_s:>9,.0f} items/s  {upload_q:>6} queries  peak RSS {sampler.peak:6.0f} MiB  "
            f"server CPU {client.cpu:.2f} s = {args.items / max(client.cpu, 1e-9):,.0f} items/CPU-s",
            flush=True,
        )
        del body

        due = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() + 7 * 86400))
        _, assign_s, assign_q = client.timed(
            "POST",
            "/task/assign",
            json={
                "dataset_id": dataset_id,
                "area": AREA,
                "expert_id_list": expert_ids,
                "notice": "bench",
                "due_time": due,
            },
        )
        print(
            f"assign     {args.items:>9,} items to {len(expert_ids)} experts  {assign_s:7.3f} s  "
            f"{assign_q:>6} queries  server CPU {client.cpu:.2f} s"
        )

        for path, params in (
            ("/task/list", {}),
            ("/task/list-by-dataset", {"dataset_id": dataset_id}),
            ("/dataset/get", {"dataset_id": dataset_id}),
            ("/dataset/list", {}),
        ):
            response, seconds, queries = client.timed("GET", path, params=params)
            rows_out = len(response.json()["response"])
            print(
                f"{path:<22} {rows_out:>5} rows  {seconds:7.3f} s  {queries:>6} queries  server CPU {client.cpu:.2f} s"
            )

        expert = Client(base)
        expert.login("bench-expert-0", EXPERT_PASSWORD)
        tasks = expert.http.get(f"{base}/task/list").json()["response"]
        response, seconds, queries = expert.timed("GET", "/data/list", params={"mission_id": tasks[0]["task_id"]})
        print(
            f"/data/list (expert)    {len(response.json()['response']):>5} items {seconds:7.3f} s  {queries:>6} queries"
        )

        _print_download(*_download(client, dataset_id, server.pid))
        if args.big_items:
            started = time.perf_counter()
            big_id = _grow_dataset(env, dataset_id, args.big_items)
            print(f"(setup: copied to {args.big_items:,} items in MariaDB in {time.perf_counter() - started:.0f} s)")
            _print_download(*_download(client, big_id, server.pid))
            # The upload above left its memory with the process (Python keeps freed arenas), so the
            # download's own footprint is also measured on a freshly started server process.
            server.stop()
            server = _start_server(env, port, workdir, name="uvicorn-fresh")
            SERVER["pid"] = server.pid
            wait_healthy(server, base, timeout=60)
            client = Client(base)
            client.login(*MANAGER)
            print("fresh server process:")
            _print_download(*_download(client, big_id, server.pid))
    finally:
        server.stop()
    print(f"server logs: {workdir}")


if __name__ == "__main__":
    main()
