"""The Celery app. Without REDIS_URL tasks run eagerly in-process; with it, `celery -A labelplatform worker`
and `celery -A labelplatform beat` run them. Periodic jobs are declared here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelplatform.settings")

app = Celery("labelplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["tasks"], related_name="jobs")

app.conf.beat_schedule = {
    "flush-expired-tokens": {
        "task": "accounts.tasks.flush_expired_tokens_job",
        "schedule": crontab(hour=3, minute=17),
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions_job",
        "schedule": crontab(hour=3, minute=47),
    },
    # No-op unless BACKUP_DIR is set (videos.md §7.4).
    "backup-data": {
        "task": "videos.tasks.backup_data_job",
        "schedule": crontab(hour=2, minute=37),
    },
    # Tell managers about tasks past their due time, once each (qa-tasks.md §7).
    "notify-overdue-qa-tasks": {
        "task": "tasks.jobs.notify_overdue_tasks_job",
        "schedule": crontab(minute="*/5"),
    },
    # No-op unless FRAME_RETENTION_DAYS is set (alerts.md §7).
    "purge-old-frames": {
        "task": "alerts.tasks.purge_old_frames_job",
        "schedule": crontab(hour=4, minute=7),
    },
}
