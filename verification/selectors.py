"""Verification reads: which jobs a caller may see, and waiting for one to finish.

Who may read a job (`GET /verify/<id>`): job ids are random UUIDs handed only to the caller that
submitted the job. A job submitted without a token can be read by anyone holding its id (orchestrators
call without tokens, as in the seed); a job submitted with a platform token only by that user and by
managers. Anything else is answered like a missing job (404).
"""

from __future__ import annotations

import time

from django.db.models import Q, QuerySet

from verification.models import VerificationJob


def jobs_visible_to(user) -> QuerySet[VerificationJob]:
    jobs = VerificationJob.objects.all()
    if user is None or not user.is_authenticated:
        return jobs.filter(requested_by__isnull=True)
    if user.is_manager:
        return jobs
    return jobs.filter(Q(requested_by__isnull=True) | Q(requested_by=user))


def wait_for_job(*, job_id, timeout: float) -> VerificationJob:
    """Re-read the job until it is final or `timeout` seconds have passed (the database is the truth)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        job = VerificationJob.objects.get(pk=job_id)
        remaining = deadline - time.monotonic()
        if job.is_final or remaining <= 0:
            return job
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.5)
