"""Celery jobs of the tasks app (here, not tasks/tasks.py, which would clash with Celery's convention).

Thin: they take ids, reload, and call services/selectors. E-mail failures are logged, never raised into a
request (qa-tasks.md §4.4, §7).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from accounts.notifications import notify_user

log = logging.getLogger(__name__)


def email_enabled() -> bool:
    """E-mail goes out only when `EMAIL_HOST` is configured."""
    return bool(getattr(settings, "EMAIL_HOST", None))


@shared_task(time_limit=120, soft_time_limit=100)
def notify_overdue_tasks_job() -> list[int]:
    """Beat: tell each overdue task's manager once (tasks.services.notify_overdue_tasks)."""
    from tasks.services import notify_overdue_tasks

    return notify_overdue_tasks()


def announce_overdue(task_id: int) -> None:
    """After commit: `task_overdue` push to the assigning manager, and an e-mail when configured."""
    from tasks.selectors import task_event

    task, data = task_event(task_id, kind="task_overdue")
    if task.assigned_by_id is None:
        return
    notify_user(task.assigned_by_id, {"type": "task_overdue", "data": data})
    if email_enabled() and task.assigned_by.email:
        send_overdue_email_job.delay(task_id)


@shared_task(time_limit=60, soft_time_limit=50)
def send_urge_email_job(task_id: int) -> bool:
    """E-mail the expert of an urged task: subject names dataset and area; body due time, progress, notice."""
    from tasks.selectors import format_time, tasks_with_progress

    task = tasks_with_progress().filter(pk=task_id).first()
    if task is None or not task.expert.email:
        return False
    subject = f"[催促 / Urged] {task.dataset.name} · {task.area}"
    body = (
        f"任务 / Task #{task.pk}: {task.dataset.name} · {task.area}\n"
        f"完成时间 / Due: {format_time(task.due_time)}\n"
        f"进度 / Progress: {task.finished_count}/{task.total_count}\n\n"
        f"注意事项 / Notice:\n{task.notice or '-'}\n"
    )
    return _send(subject, body, task.expert.email, task_id)


@shared_task(time_limit=60, soft_time_limit=50)
def send_overdue_email_job(task_id: int) -> bool:
    """E-mail the assigning manager that a task is overdue."""
    from tasks.selectors import format_time, tasks_with_progress

    task = tasks_with_progress().select_related("assigned_by").filter(pk=task_id).first()
    if task is None or task.assigned_by is None or not task.assigned_by.email:
        return False
    subject = f"[超时 / Overdue] {task.dataset.name} · {task.area} ({task.expert.username})"
    body = (
        f"任务 / Task #{task.pk}: {task.dataset.name} · {task.area}\n"
        f"专家 / Expert: {task.expert.username}\n"
        f"完成时间 / Due: {format_time(task.due_time)}\n"
        f"进度 / Progress: {task.finished_count}/{task.total_count}\n"
    )
    return _send(subject, body, task.assigned_by.email, task_id)


def _send(subject: str, body: str, address: str, task_id: int) -> bool:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception:  # noqa: BLE001 - a mail server problem must never fail the job loop
        log.exception("could not send the e-mail about task %s", task_id)
        return False
    return True
