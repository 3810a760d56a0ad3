"""The verification Celery job, on its own queue `verification` (CELERY_TASK_ROUTES in settings).

Run a worker for it with `celery -A labelplatform worker -Q verification`. The job is acknowledged only
when it has finished (`acks_late`), and a worker process lost mid-job (killed, out of memory) puts it back
on the queue (`reject_on_worker_lost`); when a whole worker host dies, Redis hands the unacknowledged job
to another worker after `VERIFY_REDELIVERY_TIMEOUT`. That is safe because `services.run_verification` is
idempotent, and bounded because it gives up after `services.MAX_ATTEMPTS` starts. Database hiccups are
retried (at most 3 times); anything else fails the job with a reason instead of crashing the worker.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from verification import services

logger = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 240
TIME_LIMIT = 300


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=2,
    retry_backoff_max=30,
)
def verify_renditions_job(job_id: str) -> str:
    """Compute one job's verdicts; returns its final status ("done" or "failed")."""
    try:
        job = services.run_verification(job_id=job_id)
    except SoftTimeLimitExceeded:
        job = services.fail_verification(
            job_id=job_id, detail=f"took longer than {SOFT_TIME_LIMIT} s", code=services.ErrorCode.TIMEOUT
        )
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("verification job %s failed", job_id)
        job = services.fail_verification(
            job_id=job_id, detail="the verifier failed on this request", code=services.ErrorCode.INTERNAL
        )
    status = job.status if job is not None else "missing"
    logger.info("verification job %s: %s (attempt %s)", job_id, status, job.attempts if job is not None else "-")
    return status
