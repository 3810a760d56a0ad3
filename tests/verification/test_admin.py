"""The read-only verification admin: managers see jobs, their documents and timings; nobody edits them."""

from __future__ import annotations

import json

import pytest

from verification.models import VerificationJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("verification_settings")]


@pytest.fixture
def finished_job(api_client):
    document = {"source": "stream/source.mp4", "renditions": [{"uri": "stream/90p.mp4"}], "orchestratorID": "adm"}
    response = api_client.post("/verify", data=json.dumps(document), content_type="application/json")
    assert response.status_code == 200
    return VerificationJob.objects.get()


def test_manager_reads_jobs_with_filters_and_documents(client, manager, finished_job):
    client.force_login(manager)
    listing = client.get("/admin/verification/verificationjob/?status=done&verdict=honest&caller=anonymous")
    assert listing.status_code == 200
    detail = client.get(f"/admin/verification/verificationjob/{finished_job.pk}/change/")
    assert detail.status_code == 200
    page = detail.content.decode()
    assert finished_job.model_version in page and "&quot;orchestrator_id&quot;: &quot;adm&quot;" in page
    assert "features" in page  # timings per stage
    assert 'name="_save"' not in page
    assert client.get("/admin/verification/verificationjob/add/").status_code == 403
    assert client.post(f"/admin/verification/verificationjob/{finished_job.pk}/delete/").status_code == 403


def test_non_managers_do_not_reach_it(client, citizen, finished_job):
    client.force_login(citizen)
    assert client.get("/admin/verification/verificationjob/").status_code in (302, 403)


def test_verdict_and_status_filters(client, manager):
    from tests.verification.factories import RenditionResultFactory, VerificationJobFactory

    tampered = RenditionResultFactory(tamper=1, tamper_sl=1).job
    honest = RenditionResultFactory().job
    failed = VerificationJobFactory(status="failed", error={"detail": "boom", "code": "internal"})
    client.force_login(manager)

    def listed(query: str) -> set[str]:
        page = client.get(f"/admin/verification/verificationjob/?{query}").content.decode()
        return {str(job.pk) for job in (tampered, honest, failed) if str(job.pk) in page}

    assert listed("verdict=tampered") == {str(tampered.pk)}
    assert listed("verdict=honest") == {str(honest.pk)}
    assert listed("status=failed") == {str(failed.pk)}
    assert "boom" in client.get(f"/admin/verification/verificationjob/{failed.pk}/change/").content.decode()
