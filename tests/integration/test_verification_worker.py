"""Verification jobs on real Celery workers (`-Q verification`), Redis and MariaDB.

Proves: the synchronous POST /verify is answered by a worker process through the database; a worker
killed with SIGKILL in the middle of a job does not lose it: Redis hands the unacknowledged job to the
other worker (short `VERIFY_REDELIVERY_TIMEOUT` here), which recomputes it without duplicate rows.
The job is made slow on purpose by serving its source from a loopback HTTP server that trickles bytes.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tests.processes import VENV_BIN, ManagedProcess
from tests.verification.clips import make_set
from verification.models import JobStatus, RenditionResult, VerificationJob

pytestmark = pytest.mark.django_db(transaction=True)

REDELIVERY = 6
TRICKLE_SECONDS = 3.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify-worker-media")
    make_set(root / "stream")
    return root


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A small verifier artifact (the workers load it through VERIFY_MODEL_DIR)."""
    from verification import classifier, features

    rng = np.random.default_rng(3)
    n = len(features.FEATURE_NAMES)
    matrix = np.vstack([rng.normal(0, 1, (60, n)), rng.normal(2.5, 1, (40, n))])
    labels = np.array([0] * 60 + [1] * 40)
    verifier = classifier.train(
        matrix, labels, 1.0 - 0.4 * labels, np.arange(100) % 5, folds=2, catboost_params={"iterations": 10}
    )
    path = tmp_path_factory.mktemp("verify-model") / "model"
    verifier.save(path)
    return path, verifier.version


@pytest.fixture(scope="module")
def slow_host(clips):
    """127.0.0.1:<port>/source.mp4, sent in pieces over TRICKLE_SECONDS; counts the requests."""
    body = (clips / "stream" / "source.mp4").read_bytes()
    hits: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            pieces = 30
            step = len(body) // pieces + 1
            try:
                for start in range(0, len(body), step):
                    self.wfile.write(body[start : start + step])
                    self.wfile.flush()
                    time.sleep(TRICKLE_SECONDS / pieces)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture(scope="module")
def verify_env(process_env, clips, model_dir, slow_host):
    host, _ = slow_host
    env = dict(process_env)
    env.update(
        VERIFY_MEDIA_ROOT=str(clips),
        VERIFY_MODEL_DIR=str(model_dir[0]),
        VERIFY_ALLOWED_URL_HOSTS=host,
        VERIFY_REDELIVERY_TIMEOUT=str(REDELIVERY),
    )
    return env


@pytest.fixture(autouse=True)
def _same_settings_here(settings, clips, slow_host):
    """This process validates the requests (the view runs here), so it sees the workers' settings."""
    settings.VERIFY_MEDIA_ROOT = clips
    settings.VERIFY_ALLOWED_URL_HOSTS = [slow_host[0]]


def start_worker(name: str, env: dict, log_dir) -> tuple[str, ManagedProcess]:
    from labelplatform.celery import app

    hostname = f"{name}-{os.getpid()}@localhost"
    process = ManagedProcess(
        f"verification worker {name}",
        [
            str(VENV_BIN / "celery"),
            "-A",
            "labelplatform",
            "worker",
            "-Q",
            "verification",
            "-l",
            "info",
            "--concurrency",
            "1",
            "--prefetch-multiplier",
            "1",
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        log_path=log_dir / f"verification-worker-{name}.log",
    ).start()
    process.wait_until(lambda: app.control.ping(destination=[hostname], timeout=1.0), timeout=90, what="ping reply")
    return hostname, process


@pytest.fixture(scope="module")
def workers(verify_env, log_dir):
    """Two workers for the module; the kill test (last) ends one of them."""
    started = []
    try:
        for name in ("verify-a", "verify-b"):
            started.append(start_worker(name, verify_env, log_dir))
        yield started
    finally:
        for _, process in started:
            process.stop(timeout=20)


def test_sync_verify_is_answered_by_a_worker(workers, client, model_dir, evidence):
    from labelplatform.celery import app

    assert not app.conf.task_always_eager
    document = {
        "source": "stream/source.mp4",
        "renditions": [{"uri": "stream/90p.mp4", "frame_rate": "24"}, {"uri": "stream/90p_flipped.mp4"}],
        "orchestratorID": "foo",
    }
    started = time.monotonic()
    response = client.post("/verify", data=json.dumps(document), content_type="application/json")
    elapsed = time.monotonic() - started

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["model"] == model_dir[1] and [r["video_available"] for r in body["results"]] == [True, True]
    job = VerificationJob.objects.get()
    ran_on = [name for name, process in workers if str(job.pk) in process.log_path.read_text()]
    assert len(ran_on) == 1
    evidence(f"sync POST /verify answered by worker {ran_on[0]} in {elapsed:.2f}s (job {job.pk})")


def test_job_survives_a_worker_killed_mid_job(workers, client, slow_host, evidence):
    from labelplatform.celery import app

    host, hits = slow_host
    hits.clear()
    document = {
        "source": f"http://{host}/source.mp4",
        "renditions": [{"uri": "stream/90p.mp4"}, {"uri": "stream/90p_flipped.mp4"}],
        "orchestratorID": "kill-test",
    }
    response = client.post("/verify?async=1", data=json.dumps(document), content_type="application/json")
    assert response.status_code == 202
    job_id = response.json()["id"]

    by_name = dict(workers)

    def running_on():
        active = app.control.inspect(destination=list(by_name), timeout=1.0).active() or {}
        for name, jobs in active.items():
            if any(job_id in json.dumps(job.get("args")) for job in jobs):
                return name
        return None

    # killed while it downloads the (trickled) source, i.e. in the middle of the job
    victim = workers[0][1].wait_until(
        lambda: hits and running_on(), timeout=30, what=f"job {job_id} running on a worker"
    )
    assert VerificationJob.objects.get(pk=job_id).status == JobStatus.RUNNING
    killed_at = time.monotonic()
    os.killpg(by_name[victim].pid, signal.SIGKILL)
    by_name[victim].popen.wait(timeout=10)
    survivor_name = next(name for name in by_name if name != victim)
    survivor = by_name[survivor_name]

    def finished():
        job = VerificationJob.objects.get(pk=job_id)
        return job if job.is_final else None

    job = survivor.wait_until(finished, timeout=REDELIVERY + 60, what=f"job {job_id} finished after the kill")
    recovered = time.monotonic() - killed_at

    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2
    assert RenditionResult.objects.filter(job_id=job_id).count() == 2
    assert [r["video_available"] for r in job.result["results"]] == [True, True]
    assert job.result["source"] == document["source"]
    assert job_id in survivor.log_path.read_text()
    assert len(hits) >= 2
    rows = RenditionResult.objects.filter(job_id=job_id).count()
    evidence(
        f"worker {victim} SIGKILLed mid-job; job {job_id} completed on {survivor_name} "
        f"{recovered:.1f}s later (attempts={job.attempts}, {rows} rows)"
    )
