"""Browser suite: headless Debian Chromium driven by Playwright (sync API) against `make run`.

The server is the real `make run` (migrate, seed_demo, uvicorn on the ASGI app) on the embedded defaults,
with a throwaway SQLite file and media folder, so these tests also prove what a newcomer gets from
`make run`. Playwright never downloads a browser: it launches /usr/bin/chromium (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.processes import BASE_DIR, ManagedProcess, free_port, wait_healthy

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Demo logins made by `make run` (accounts/management/commands/seed_demo.py).
MANAGER_LOGIN = ("manager", "manager-demo-2026")
# Variables that would take `make run` off its embedded defaults.
PRODUCTION_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "AWS_STORAGE_BUCKET_NAME",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CORS_ALLOWED_ORIGINS",
)


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_url(tmp_path_factory) -> str:
    """`make run` on a free port with a fresh SQLite file; the base URL once /healthz answers."""
    if shutil.which("make") is None:
        pytest.fail("make is required: the browser suite serves the platform with `make run`")
    workdir = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    env.update(SQLITE_PATH=str(workdir / "db.sqlite3"), MEDIA_ROOT=str(workdir / "media"), PYTHONUNBUFFERED="1")
    process = ManagedProcess(
        "make run",
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
        env=env,
        log_path=workdir / "make-run.log",
        cwd=BASE_DIR,
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        health = wait_healthy(process, url, timeout=180)
        assert health == {"status": "ok", "database": "sqlite"}
        yield url
    finally:
        process.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class PageWatcher:
    """Everything a page did that a clean page must not: failed requests, HTTP errors, console errors,
    uncaught exceptions, and requests to any origin other than the platform's."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("requestfailed", lambda request: self.failed.append(f"{request.url} ({request.failure})"))
        page.on(
            "response",
            lambda response: response.status >= 400 and self.bad_status.append(f"{response.status} {response.url}"),
        )
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = (message.location or {}).get("url", "")
            self.console_errors.append(f"{message.text} [{where}]" if where else message.text)

    def is_local(self, url: str) -> bool:
        return url.startswith((self.base_url + "/", "data:", "blob:", "about:"))

    def route(self, route) -> None:
        """Requests to any other origin never leave the machine (no test touches the network)."""
        if self.is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not self.is_local(url)]

    def assert_clean(self, *, ignore_console: tuple[str, ...] = ()) -> None:
        """`ignore_console`: substrings of console errors known and reported elsewhere (kept narrow)."""
        problems = {
            "failed requests": self.failed,
            "responses >= 400": self.bad_status,
            "console errors": [e for e in self.console_errors if not any(part in e for part in ignore_console)],
            "page errors": self.page_errors,
            "requests to other origins": self.foreign_requests(),
        }
        found = {name: items for name, items in problems.items() if items}
        assert not found, found


@pytest.fixture
def new_page(browser, live_url):
    """`new_page(**context_options)` -> (page, watcher); contexts are closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        watcher = PageWatcher(live_url)
        context.route("**/*", watcher.route)
        page = context.new_page()
        watcher.attach(page)
        return page, watcher

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page_and_watcher(new_page):
    return new_page()
