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
}
