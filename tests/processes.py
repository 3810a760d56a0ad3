"""Real server and worker processes for the integration and browser suites.

Each process runs in its own session (process group) with its output in a log file, so teardown can end
it and every child it started (`make run` starts uvicorn; a Celery worker forks its pool) by the group
id, and a failing test can show the log's tail.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = BASE_DIR / ".venv" / "bin"

# Processes alive right now, so a failed test's report can carry their logs (see conftest hooks).
RUNNING: list[ManagedProcess] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessFailed(RuntimeError):
    pass


class ManagedProcess:
    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log_path: Path, cwd: Path = BASE_DIR):
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_path
        self.cwd = cwd
        self.popen: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        RUNNING.append(self)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, message: str) -> None:
        raise ProcessFailed(f"{self.name}: {message}\n--- {self.log_path} (tail) ---\n{self.tail()}")

    def wait_until(self, check, *, timeout: float, what: str, interval: float = 0.25):
        """Poll `check()` until it returns a truthy value; fail early if the process dies."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if not self.alive():
                self.fail(f"exited with code {self.popen.returncode} while waiting for {what}")
            try:
                result = check()
            except Exception as exc:  # noqa: BLE001 - any error means "not yet"
                last_error = exc
            else:
                if result:
                    return result
            time.sleep(interval)
        self.fail(f"no {what} after {timeout:.0f}s (last error: {last_error!r})")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left."""
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        # Children (a Celery pool process, make's uvicorn) may outlive the leader briefly.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if self in RUNNING:
            RUNNING.remove(self)
        if self._log:
            self._log.close()


def get_json(url: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def wait_healthy(process: ManagedProcess, base_url: str, *, timeout: float = 90) -> dict:
    """Wait until `/healthz` answers 200 and return its body."""

    def check():
        try:
            return get_json(f"{base_url}/healthz", timeout=3)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    return process.wait_until(check, timeout=timeout, what="answer from /healthz")
