"""Verification rows without running the pipeline (admin and access tests)."""

from __future__ import annotations

import factory
from django.utils import timezone

from verification.models import JobStatus, RenditionResult, VerificationJob


class VerificationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationJob

    status = JobStatus.DONE
    requested_by = None
    caller = factory.LazyAttribute(lambda o: f"user:{o.requested_by.pk}" if o.requested_by else "ip:127.0.0.1")
    orchestrator_id = factory.Sequence(lambda n: f"orchestrator-{n}")
    source_uri = "stream/source.mp4"
    request = factory.LazyAttribute(
        lambda o: {
            "source": {"uri": o.source_uri, "location": {"kind": "path", "target": "/media/verification/x.mp4"}},
            "orchestrator_id": o.orchestrator_id,
            "renditions": [],
        }
    )
    result = factory.LazyAttribute(
        lambda o: (
            {"orchestrator_id": o.orchestrator_id, "source": o.source_uri, "model": o.model_version, "results": []}
            if o.status == JobStatus.DONE
            else None
        )
    )
    model_version = "verifier-test"
    attempts = 1
    timings = factory.LazyFunction(lambda: {"features": 0.2, "classify": 0.01, "total": 0.25})
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyFunction(timezone.now)


class RenditionResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RenditionResult

    job = factory.SubFactory(VerificationJobFactory)
    position = factory.Sequence(lambda n: n)
    uri = factory.Sequence(lambda n: f"stream/{n}.mp4")
    video_available = True
    width, height, fps = 256, 144, 24.0
    ocsvm_dist = 0.1
    tamper_ul = tamper_sl = tamper = 0
    ssim_pred = 0.9
