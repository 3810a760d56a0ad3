"""What every benchmark needs around the platform: production-like settings for its server processes, a
throwaway MariaDB database (its name must start with `bench`), a flushed Redis database, migrations, and
percentiles. Run from the project root; nothing here is imported by the platform."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(database_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """DEBUG off and the platform's production code paths, on plain HTTP over loopback."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="labelplatform.settings",
        # Persistent connections leak one per executor thread under ASGI (the platform's default is 0 too).
        CONN_MAX_AGE=env.get("CONN_MAX_AGE", "0"),
    )
    env.update(overrides)
    return env


def recreate_database(database_url: str) -> None:
    """Drop and create the benchmark's own database; refuses any name that does not start with `bench`."""
    import MySQLdb

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database's name must start with bench")
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        passwd=parts.password or "",
    )
    try:
        cursor = connection.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        connection.close()


def flush_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """`manage.py ARGS` with the benchmark's environment; exits with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def setup_django(env: dict[str, str]) -> None:
    """Configure this process like the servers (same database, Redis and SECRET_KEY) and set Django up."""
    os.environ.update({key: value for key, value in env.items() if key.isupper()})
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]
