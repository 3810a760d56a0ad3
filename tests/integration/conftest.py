"""Integration suite: real MariaDB, real Redis, a real Celery worker and two real ASGI server processes.

Runs only when `DATABASE_URL` is a mysql:// URL (`.ci/run` sets it, together with `REDIS_URL`); anywhere
else every test here is skipped with the reason. pytest-django creates `test_<NAME>` on the server; the
worker and the servers are pointed at that test database, and the tests that talk to them use
`transaction=True` so what they write is committed and visible to the other processes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.processes import VENV_BIN, ManagedProcess, free_port, wait_healthy

HERE = Path(__file__).resolve().parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_MYSQL = urlsplit(DATABASE_URL).scheme in {"mysql", "mysql2", "mysqlgis", "mariadb"}
SKIP_REASON = (
    "integration tests need DATABASE_URL=mysql://... (MariaDB/MySQL) and REDIS_URL; "
    f"DATABASE_URL is {urlsplit(DATABASE_URL).scheme + '://...' if DATABASE_URL else 'unset'} (.ci/run sets both)"
)
SUMMARY_KEY = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    if ON_MYSQL:
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


def pytest_configure(config):
    config.stash[SUMMARY_KEY] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(SUMMARY_KEY, [])
    if lines:
        terminalreporter.section("integration evidence")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def evidence(request, capsys):
    """`evidence("...")` prints a line now (visible with -s) and again in the terminal summary."""

    def record(line: str) -> None:
        request.config.stash[SUMMARY_KEY].append(line)
        with capsys.disabled():
            sys.stdout.write(f"\n[integration] {line}\n")

    return record


@pytest.fixture(autouse=True)
def _fresh_state():
    """Overrides the root fixture: `cache.clear()` would FLUSHDB the shared Redis database and wipe the
    Celery broker's bindings and the channel layer's groups under the running processes. Only the
    platform's own cache keys (throttle counters) are dropped between tests."""
    _drop_cache_keys()
    yield
    _drop_cache_keys()


def _drop_cache_keys() -> None:
    if not (ON_MYSQL and REDIS_URL):
        return
    import redis
    from django.conf import settings

    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not REDIS_URL.startswith(("redis://", "rediss://")):
        pytest.fail("REDIS_URL must point at Redis for the integration suite (.ci/run sets redis://127.0.0.1:6379/15)")
    return REDIS_URL


@pytest.fixture(scope="session")
def test_database_url(django_db_setup) -> str:
    """DATABASE_URL rewritten to the database pytest-django created (`test_<NAME>`)."""
    from django.db import connections

    name = connections["default"].settings_dict["NAME"]
    parts = urlsplit(DATABASE_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    path = Path(os.environ.get("CI_LOG_DIR") or tmp_path_factory.mktemp("process-logs"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def process_env(test_database_url, redis_url) -> dict[str, str]:
    """Production-like settings for the child processes (plain HTTP on loopback aside), sharing this
    process's SECRET_KEY so the JWTs the tests issue are valid there."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    return env


class AsgiServer:
    def __init__(self, label: str, process: ManagedProcess, port: int, health: dict):
        self.label = label
        self.process = process
        self.port = port
        self.health = health
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"

    def __str__(self) -> str:
        return f"{self.label}:{self.port}"


@pytest.fixture(scope="session")
def asgi_servers(process_env, log_dir):
    """Two uvicorn processes serving labelplatform.asgi:application, same test database, same Redis."""
    servers: list[AsgiServer] = []
    processes: list[ManagedProcess] = []
    try:
        for label in ("A", "B"):
            port = free_port()
            process = ManagedProcess(
                f"uvicorn {label}",
                [
                    str(VENV_BIN / "uvicorn"),
                    "labelplatform.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--lifespan",
                    "off",
                ],
                env=process_env,
                log_path=log_dir / f"uvicorn-{label}.log",
            ).start()
            processes.append(process)
            servers.append(AsgiServer(label, process, port, {}))
        for server in servers:
            server.health = wait_healthy(server.process, server.url)
        yield servers
    finally:
        for process in processes:
            process.stop()


@pytest.fixture(scope="session")
def celery_worker(process_env, log_dir):
    """A real `celery worker` process on the Redis broker, answering a control ping before tests use it."""
    from labelplatform.celery import app

    hostname = f"ci-{os.getpid()}@localhost"
    process = ManagedProcess(
        "celery worker",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "labelplatform",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "1",
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        env=process_env,
        log_path=log_dir / "celery-worker.log",
    ).start()
    try:
        process.wait_until(
            lambda: app.control.ping(destination=[hostname], timeout=1.0),
            timeout=90,
            what="reply to a Celery control ping",
        )
        yield hostname, process
    finally:
        process.stop(timeout=30)
