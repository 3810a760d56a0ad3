"""A real `celery worker` process, on the Redis broker and the test database, runs the periodic jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import services
from accounts.models import Role
from accounts.tasks import clear_expired_sessions_job, flush_expired_tokens_job
from labelplatform.celery import app
from tests.processes import VENV_BIN, ManagedProcess

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_registers_every_beat_job(celery_worker):
    hostname, _ = celery_worker
    registered = app.control.inspect(destination=[hostname], timeout=5).registered() or {}
    tasks = set(registered.get(hostname, []))
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in tasks


def test_beat_starts_with_the_declared_schedule(process_env, log_dir, tmp_path):
    """`celery beat` starts on the Redis broker and loads every entry of `beat_schedule` (CONVENTIONS §10)."""
    beat = ManagedProcess(
        "celery beat",
        [str(VENV_BIN / "celery"), "-A", "labelplatform", "beat", "-l", "debug", "-s", str(tmp_path / "schedule")],
        env=process_env,
        log_path=log_dir / "celery-beat.log",
    ).start()
    try:
        log = beat.wait_until(
            lambda: (text := beat.log_path.read_text()) and "Waking up in" in text and text,
            timeout=60,
            what="beat's first tick",
        )
    finally:
        beat.stop()
    assert "beat: Starting..." in log
    for name, entry in app.conf.beat_schedule.items():
        assert f"<ScheduleEntry: {name} {entry['task']}()" in log


def test_worker_flushes_expired_refresh_tokens(celery_worker, asgi_servers, evidence):
    hostname, worker = celery_worker
    server = asgi_servers[0]
    services.create_user(username="flusher", password="pw-flusher-2026", role=Role.CITIZEN, validate=False)

    # Two refresh tokens issued by a real server process: one is then made to look expired.
    for _ in range(2):
        response = requests.post(
            f"{server.url}/api/token/", json={"username": "flusher", "password": "pw-flusher-2026"}, timeout=10
        )
        assert response.status_code == 200, response.text
    expired, fresh = OutstandingToken.objects.filter(user__username="flusher").order_by("id")
    OutstandingToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))

    assert not app.conf.task_always_eager
    result = flush_expired_tokens_job.delay()
    assert result.get(timeout=60) == "flushed"
    worker.wait_until(lambda: result.id in worker.log_path.read_text(), timeout=10, what=f"task {result.id} in log")

    assert not OutstandingToken.objects.filter(pk=expired.pk).exists()
    assert OutstandingToken.objects.filter(pk=fresh.pk).exists()
    assert clear_expired_sessions_job.delay().get(timeout=60) == "cleared"
    evidence(f"celery worker pid {worker.pid} ({hostname}) ran flush_expired_tokens_job {result.id} on the test DB")
