"""Celery jobs of the videos app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from videos.backup import back_up_database


@shared_task(time_limit=3600, soft_time_limit=3500)
def backup_data_job(keep: int | None = None) -> str | None:
    """Daily backup (videos.md §7.4); a no-op when BACKUP_DIR is unset."""
    if not settings.BACKUP_DIR:
        return None
    return str(back_up_database(output_dir=settings.BACKUP_DIR, keep=keep).path)
