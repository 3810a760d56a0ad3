"""The verification job (the worker's side): idempotent re-delivery, the attempt cap, failures with reasons."""

from __future__ import annotations

import json

import pytest

from verification import services, tasks
from verification.models import JobStatus, RenditionResult, VerificationJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verification_settings")]

DOCUMENT = {
    "source": "stream/source.mp4",
    "renditions": [{"uri": "stream/90p.mp4", "frame_rate": 24}, {"uri": "stream/90p_flipped.mp4"}],
    "orchestratorID": "foo",
}


@pytest.fixture
def queued_job(api_client, monkeypatch):
    """A job recorded by POST /verify?async=1 that no worker has picked up yet."""
    monkeypatch.setattr(services, "_schedule", lambda job_id: None)
    response = api_client.post("/verify?async=1", data=json.dumps(DOCUMENT), content_type="application/json")
    assert response.status_code == 202
    return VerificationJob.objects.get(pk=response.json()["id"])


def test_redelivered_running_job_is_recomputed_without_duplicate_rows(queued_job):
    assert tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get() == "done"
    first = VerificationJob.objects.get(pk=queued_job.pk)

    # As if the worker had died after writing its rows but before finishing: the broker delivers it again.
    VerificationJob.objects.filter(pk=queued_job.pk).update(status=JobStatus.RUNNING, result=None, finished_at=None)
    RenditionResult.objects.filter(job=queued_job, position=1).delete()
    assert tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get() == "done"

    again = VerificationJob.objects.get(pk=queued_job.pk)
    assert again.result == first.result
    assert again.attempts == 2
    assert list(again.renditions.values_list("position", flat=True)) == [0, 1]


def test_a_finished_job_delivered_again_is_left_alone(queued_job):
    tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get()
    finished = VerificationJob.objects.get(pk=queued_job.pk)
    assert tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get() == "done"
    after = VerificationJob.objects.get(pk=queued_job.pk)
    assert (after.attempts, after.finished_at, after.result) == (1, finished.finished_at, finished.result)
    assert RenditionResult.objects.filter(job=queued_job).count() == 2


def test_a_job_whose_workers_keep_dying_is_given_up(queued_job, api_client):
    VerificationJob.objects.filter(pk=queued_job.pk).update(status=JobStatus.RUNNING, attempts=services.MAX_ATTEMPTS)
    assert tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get() == "failed"
    state = api_client.get(f"/verify/{queued_job.pk}").json()
    assert state["status"] == "failed" and state["error"]["code"] == "gave_up" and "result" not in state


def test_an_unexpected_error_fails_the_job_with_a_reason(queued_job, monkeypatch, api_client):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.features, "extract_features", broken)
    assert tasks.verify_renditions_job.apply(args=[str(queued_job.pk)]).get() == "failed"
    job = VerificationJob.objects.get(pk=queued_job.pk)
    assert job.error == {"detail": "the verifier failed on this request", "code": "internal"}
    assert not RenditionResult.objects.filter(job=job).exists()


def test_a_source_that_disappears_before_the_worker_runs_fails_as_400(api_client, clip_root, monkeypatch):
    doomed = clip_root / "stream" / "doomed.mp4"
    doomed.write_bytes((clip_root / "stream" / "source.mp4").read_bytes())
    monkeypatch.setattr(services, "_schedule", lambda job_id: None)
    document = {"source": "stream/doomed.mp4", "renditions": [{"uri": "stream/90p.mp4"}]}
    job_id = api_client.post("/verify?async=1", data=json.dumps(document), content_type="application/json").json()["id"]
    doomed.unlink()
    assert tasks.verify_renditions_job.apply(args=[job_id]).get() == "failed"
    assert VerificationJob.objects.get(pk=job_id).error["code"] == "source_unreadable"


def test_sync_answer_of_a_failed_job(api_client, monkeypatch):
    def unreadable(*args, **kwargs):
        raise services.features.UnreadableSource("gone")

    monkeypatch.setattr(services.features, "extract_features", unreadable)
    response = api_client.post("/verify", data=json.dumps(DOCUMENT), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "source_unreadable" and response.json()["field"] == "source"


def test_task_is_routed_to_the_verification_queue_with_late_acks():
    from labelplatform.celery import app

    task = app.tasks["verification.tasks.verify_renditions_job"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.time_limit and task.soft_time_limit < task.time_limit
    assert app.amqp.router.route({}, task.name)["queue"].name == "verification"


def test_broker_down_fails_the_job_with_503(api_client, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks.verify_renditions_job, "delay", broker_down)
    response = api_client.post("/verify", data=json.dumps(DOCUMENT), content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "not_queued"
    assert VerificationJob.objects.get().status == JobStatus.FAILED


def test_missing_model_is_a_clear_503(api_client, monkeypatch):
    def no_model():
        raise FileNotFoundError("no verifier model at /nowhere")

    monkeypatch.setattr(services, "load_verifier", no_model)
    response = api_client.post("/verify", data=json.dumps(DOCUMENT), content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "model_unavailable"
