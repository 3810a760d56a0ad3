"""Periodic account housekeeping (beat schedule in labelplatform/celery.py)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(time_limit=300, soft_time_limit=240)
def flush_expired_tokens_job() -> str:
    """Remove expired refresh tokens from the outstanding/blacklist tables."""
    call_command("flushexpiredtokens")
    return "flushed"


@shared_task(time_limit=300, soft_time_limit=240)
def clear_expired_sessions_job() -> str:
    call_command("clearsessions")
    return "cleared"
