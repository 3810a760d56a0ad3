"""Reads of tasks, items, history and sample rounds, scoped to the caller (qa-tasks.md §3.3-3.4, §4.5, §6).

An expert reaches a task or item only when it is theirs; "not yours" and "does not exist" are the same
DoesNotExist (404). Managers see every task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from datasets.answers import ErrorCode
from datasets.models import DataItem, Dataset
from labelplatform.errors import DoesNotExist, InvalidInput
from tasks.models import ItemRevision, RevisionKind, SampleRound, Task
from tasks.statuses import (
    ExpertStatus,
    HistoryStatus,
    ManagerStatus,
    expert_status,
    history_status,
    is_highlighted,
    manager_status,
)


def format_time(moment: datetime | None) -> str | None:
    """`YYYY/MM/DD HH:MM:SS` in the platform's zone (§1.3)."""
    return timezone.localtime(moment).strftime("%Y/%m/%d %H:%M:%S") if moment else None


def format_date(moment: datetime | None, *, empty: str = "-/-/-") -> str:
    """`YYYY/MM/DD` in the platform's zone, or `-/-/-` (§3.2)."""
    return timezone.localtime(moment).strftime("%Y/%m/%d") if moment else empty


# --- tasks ------------------------------------------------------------------------------------------


def tasks_with_progress() -> QuerySet[Task]:
    """Tasks with `total_count` and `finished_count` (labeled items), dataset and expert joined."""
    return Task.objects.select_related("dataset", "expert").annotate(
        total_count=Count("items"), finished_count=Count("items", filter=Q(items__is_labeled=True))
    )


def _progress(task: Task) -> tuple[int, int]:
    if not hasattr(task, "total_count"):
        task = tasks_with_progress().get(pk=task.pk)
    return task.finished_count, task.total_count


def expert_status_of(task: Task, *, now: datetime | None = None) -> ExpertStatus:
    done, total = _progress(task)
    return expert_status(done=done, total=total, due_time=task.due_time, now=now or timezone.now())


def manager_status_of(task: Task, *, now: datetime | None = None) -> ManagerStatus:
    done, total = _progress(task)
    return manager_status(done=done, total=total, due_time=task.due_time, now=now or timezone.now())


def history_status_of(task: Task) -> HistoryStatus:
    done, total = _progress(task)
    return history_status(done=done, total=total, handed_over=task.handed_over_at is not None)


def highlight_of(task: Task) -> int:
    done, total = _progress(task)
    return is_highlighted(is_highlight=task.is_highlight, done=done, total=total)


def listed_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """What `/task/list` shows: tasks with items, not handed over unless they hold unfinished items."""
    return queryset.filter(total_count__gt=0).filter(
        Q(handed_over_at__isnull=True) | Q(finished_count__lt=F("total_count"))
    )


def tasks_of_expert(user: User) -> list[Task]:
    """The expert's listed tasks: urged (and unfinished) first, then by due time, then id."""
    tasks = list(listed_tasks(tasks_with_progress().filter(expert=user)))
    tasks.sort(key=lambda task: (-highlight_of(task), task.due_time, task.pk))
    return tasks


def tasks_for_managers() -> QuerySet[Task]:
    """Every listed task, newest assignment first."""
    return listed_tasks(tasks_with_progress()).order_by("-assigned_at", "-id")


def dataset_history(dataset: Dataset) -> QuerySet[Task]:
    """The dataset's whole task history, oldest first (handed-over and empty tasks included)."""
    return tasks_with_progress().filter(dataset=dataset).order_by("assigned_at", "id")


def task_for_expert(*, user: User, task_id: int) -> Task:
    """One of the expert's own tasks, or DoesNotExist (任务不存在)."""
    task = tasks_with_progress().filter(pk=task_id, expert=user).first()
    if task is None:
        raise DoesNotExist("no such task", field="mission_id", code=ErrorCode.TASK_NOT_FOUND)
    return task


def task_for_manager(*, task_id: int, dataset_id: int | None = None) -> Task:
    """Any task (optionally of a given dataset), or DoesNotExist (任务不存在)."""
    tasks = tasks_with_progress().filter(pk=task_id)
    if dataset_id is not None:
        tasks = tasks.filter(dataset_id=dataset_id)
    task = tasks.first()
    if task is None:
        raise DoesNotExist("no such task", field="mission_id", code=ErrorCode.TASK_NOT_FOUND)
    return task


def task_for_user(*, user: User, task_id: int, dataset_id: int | None = None) -> Task:
    """Managers: any task; experts: their own; anything else is DoesNotExist."""
    if user.is_manager:
        return task_for_manager(task_id=task_id, dataset_id=dataset_id)
    task = task_for_expert(user=user, task_id=task_id)
    if dataset_id is not None and task.dataset_id != dataset_id:
        raise DoesNotExist("no such task", field="mission_id", code=ErrorCode.TASK_NOT_FOUND)
    return task


def task_items(task: Task) -> QuerySet[DataItem]:
    """The task's items by position."""
    return task.items.order_by("position")


def task_event(task_id: int, *, kind: str) -> tuple[Task, dict]:
    """The `data` of a live `task_urged` / `task_overdue` message (§7), read after commit."""
    task = tasks_with_progress().get(pk=task_id)
    data = {
        "task_id": task.pk,
        "dataset_name": task.dataset.name,
        "area": task.area,
        "due_time": format_time(task.due_time),
        "finished_count": task.finished_count,
        "total_count": task.total_count,
    }
    if kind == "task_urged":
        data.update(urge_count=task.urge_count, urged_at=format_time(task.urged_at))
    elif kind == "task_overdue":
        data.update(expert_name=task.expert.username)
    return task, data


def experts_in_order(ids: list[int], *, field: str = "expert_id_list") -> list[User]:
    """The users with these ids, in the given order; InvalidInput naming the first id that is not an
    active expert."""
    from accounts.selectors import active_experts

    found = {user.pk: user for user in active_experts().filter(pk__in=ids)}
    for user_id in ids:
        if user_id not in found:
            raise InvalidInput(f"user {user_id} is not an active expert", field=field)
    return [found[user_id] for user_id in ids]


def return_comment(item: DataItem) -> str | None:
    """The comment of the decision that sent a returned item back (acceptance first, then review)."""
    if not item.returned:
        return None
    if item.check_accept is False:
        return item.check_comment or ""
    if item.review_accept is False:
        return item.review_comment or ""
    return None


# --- history and sampling ---------------------------------------------------------------------------


@dataclass
class Change:
    """One `/data/label` save: who, when, and the values before and after it."""

    revision: ItemRevision
    before_question: str
    before_answer: list
    before_reserve: int | None
    after_question: str
    after_answer: list
    after_reserve: int | None


def item_history(item: DataItem) -> list[ItemRevision | Change]:
    """The item's revisions, oldest first; each label save paired with its "before" (the previous save, or
    the uploaded values). Decision rows are returned as they are."""
    before = (item.question, item.answer, None)
    history: list[ItemRevision | Change] = []
    for revision in ItemRevision.objects.filter(item=item).select_related("by").order_by("id"):
        if revision.kind == RevisionKind.LABEL:
            after = (revision.question, revision.answer, revision.data_reserve)
            history.append(Change(revision, *before, *after))
            before = after
        else:
            history.append(revision)
    return history


@dataclass
class RoundStats:
    sample_round: SampleRound
    size: int
    accepted: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def unchecked(self) -> int:
        return self.size - self.decided

    @property
    def pass_rate(self) -> float | None:
        """accepted ÷ decided, None while nothing is decided."""
        return self.accepted / self.decided if self.decided else None


def sample_rounds(task: Task) -> list[RoundStats]:
    """The task's acceptance-sampling rounds, newest first, with their pass rates."""
    rounds = SampleRound.objects.filter(task=task).annotate(
        size=Count("items"),
        accepted=Count("items", filter=Q(items__check_accept=True)),
        rejected=Count("items", filter=Q(items__check_accept=False)),
    )
    return [RoundStats(r, r.size, r.accepted, r.rejected) for r in rounds.order_by("-drawn_at", "-id")]
