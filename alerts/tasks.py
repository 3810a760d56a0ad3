"""Frame retention (alerts.md §7): the daily beat job behind `FRAME_RETENTION_DAYS`
(schedule in labelplatform/celery.py). `manage.py purge_frames` does the same by hand."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from alerts import services

logger = logging.getLogger(__name__)


@shared_task(time_limit=3600, soft_time_limit=3300)
def purge_old_frames_job() -> dict:
    """Delete frames and safe frames older than `FRAME_RETENTION_DAYS`; nothing when it is unset.

    Idempotent (a second run finds nothing older), so a retried or overlapping run is harmless.
    """
    days = settings.FRAME_RETENTION_DAYS
    if not days:
        return {"skipped": "FRAME_RETENTION_DAYS is not set"}
    cutoff = timezone.now() - timedelta(days=days)
    result = services.purge_frames(older_than=cutoff)
    logger.info(
        "purged %d frames and %d safe frames older than %s (%d bytes)",
        result.frames,
        result.safe_frames,
        cutoff.isoformat(),
        result.bytes,
    )
    return {
        "frames": result.frames,
        "safe_frames": result.safe_frames,
        "bytes": result.bytes,
        "before": cutoff.isoformat(),
    }
