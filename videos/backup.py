"""Project-wide database backups (videos.md §7.4): `backup_data` and its daily Celery job.

MySQL/MariaDB: `mysqldump --single-transaction` (a consistent snapshot without locking tables), the
password passed through the environment (MYSQL_PWD), never on the command line, gzip-compressed.
SQLite: an online copy through SQLite's backup API. Media files are not included.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

BACKUP_PATTERN = re.compile(r"^(?:.+_\d{8}-\d{6}\.sql\.gz|db_\d{8}-\d{6}\.sqlite3)$")


class BackupFailed(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: list[Path]


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def _dump_command() -> str:
    for name in ("mysqldump", "mariadb-dump"):
        found = shutil.which(name)
        if found:
            return found
    raise BackupFailed("mysqldump (or mariadb-dump) is not installed")


def _mysql_backup(db: dict, directory: Path, stamp: str) -> Path:
    target = directory / f"{db['NAME']}_{stamp}.sql.gz"
    command = [_dump_command(), "--single-transaction", "--routines", "--triggers", "--no-tablespaces"]
    if db.get("HOST"):
        command += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        command += ["--port", str(db["PORT"])]
    if db.get("USER"):
        command += ["--user", str(db["USER"])]
    command.append(str(db["NAME"]))
    env = {**os.environ, "MYSQL_PWD": str(db.get("PASSWORD") or "")}
    partial = target.with_suffix(".partial")
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
            with gzip.open(partial, "wb") as out:
                shutil.copyfileobj(process.stdout, out, 1024 * 1024)
            error = process.stderr.read().decode(errors="replace").strip()
            code = process.wait()
        if code != 0:
            raise BackupFailed(f"mysqldump exited with {code}: {error}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _sqlite_backup(db: dict, directory: Path, stamp: str) -> Path:
    target = directory / f"db_{stamp}.sqlite3"
    source = sqlite3.connect(str(db["NAME"]))
    try:
        destination = sqlite3.connect(str(target))
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupFailed(f"SQLite backup failed: {exc}") from exc
    finally:
        source.close()
    return target


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups (files named as this module names them) in `directory`."""
    backups = sorted(
        (p for p in directory.iterdir() if p.is_file() and BACKUP_PATTERN.match(p.name)),
        key=lambda p: (p.stat().st_mtime, p.name),
        reverse=True,
    )
    removed = backups[keep:]
    for path in removed:
        path.unlink()
    return removed


def back_up_database(*, output_dir: str | None = None, keep: int | None = None, alias: str = "default") -> BackupResult:
    """Write one backup of database `alias` to `output_dir` (default BACKUP_DIR) and prune to `keep`."""
    directory = output_dir or settings.BACKUP_DIR
    if not directory:
        raise BackupFailed("no output directory: pass --output-dir or set BACKUP_DIR")
    if keep is not None and keep < 1:
        raise BackupFailed("--keep must be at least 1")
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    db = connections[alias].settings_dict
    vendor = connections[alias].vendor
    stamp = _stamp()
    if vendor == "mysql":
        target = _mysql_backup(db, path, stamp)
    elif vendor == "sqlite":
        if str(db["NAME"]).startswith(":memory:") or "mode=memory" in str(db["NAME"]):
            raise BackupFailed("an in-memory SQLite database cannot be backed up")
        target = _sqlite_backup(db, path, stamp)
    else:
        raise BackupFailed(f"backups of {vendor} databases are not supported")
    removed = prune_backups(path, keep) if keep else []
    return BackupResult(path=target, size=target.stat().st_size, removed=removed)
