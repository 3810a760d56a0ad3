"""Writes on tasks and items (qa-tasks.md §3.3-3.4, §4.2-4.4, §6, §7): one transaction each, shared by the
seed REST views, the seed 004 review endpoints, the admin cockpit, the commands and the beat job.

Lock order everywhere: dataset row, then task row, then item rows. Pushes and e-mails are scheduled after
commit with `robust=True` (a channel-layer or broker failure is logged, never fails the committed write);
the database stays the source of truth.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.notifications import notify_user
from accounts.selectors import active_managers
from datasets.answers import ErrorCode
from datasets.models import SCORES, DataItem, Dataset
from datasets.uploads import TEXT_MAX, clean_answers
from labelplatform.errors import Conflict, DoesNotExist, InvalidInput
from tasks.models import ItemRevision, RevisionKind, SampleRound, Task
from tasks.statuses import dataset_status, manager_status, split_evenly

NOTICE_MAX = 2000
COMMENT_MAX = 256
AREA_MAX = 100
ID_BATCH = 5000


# --- checks -----------------------------------------------------------------------------------------


def _check_experts(experts: Sequence[User], *, field: str = "expert_id_list") -> list[User]:
    if not experts:
        raise InvalidInput(f"{field} must name at least one expert", field=field)
    seen: set[int] = set()
    for expert in experts:
        if expert.pk in seen:
            raise InvalidInput(f"expert {expert.pk} is listed twice", field=field)
        seen.add(expert.pk)
        if not expert.is_expert:
            raise InvalidInput(f"user {expert.pk} is not an active expert", field=field)
    return list(experts)


def _check_due_time(due_time: datetime, *, field: str = "due_time") -> datetime:
    if not isinstance(due_time, datetime) or timezone.is_naive(due_time):
        raise InvalidInput(f"{field} must be a timezone-aware time", field=field)
    if due_time <= timezone.now():
        raise InvalidInput(f"{field} must be later than now", field=field)
    return due_time


def _check_notice(notice: str, *, field: str = "notice") -> str:
    if not isinstance(notice, str):
        raise InvalidInput(f"{field} must be a string", field=field)
    if len(notice) > NOTICE_MAX:
        raise InvalidInput(f"{field} is longer than {NOTICE_MAX} characters", field=field)
    return notice


def check_open(dataset: Dataset) -> None:
    """Conflict (数据集已结束) when the dataset is closed; services re-check under their lock."""
    if dataset.closed_at is not None:
        raise Conflict("the dataset is closed", code=ErrorCode.DATASET_CLOSED)


def _check_decision(comment: str | None, score: str | None) -> tuple[str, str | None]:
    comment = comment or ""
    if not isinstance(comment, str):
        raise InvalidInput("comment must be a string", field="comment")
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(f"comment is longer than {COMMENT_MAX} characters", field="comment")
    if score in ("", None):
        return comment, None
    if score not in SCORES:
        raise InvalidInput("score must be one of A, B, C, D", field="score")
    return comment, score


def _split_into_tasks(*, items: QuerySet[DataItem], experts: list[User], make_task) -> list[tuple[Task, int]]:
    """Give consecutive runs of `items` (by position) to the experts, §4.2: one bulk UPDATE per expert,
    never a save per item.

    Uploads insert rows in position order, so ids grow with positions and each run is a contiguous primary
    key range: `UPDATE ... WHERE id BETWEEN a AND b AND <same filter>` walks only that range (a position
    range would scan the whole dataset for every expert). Ids come in id order from the (dataset, area,
    task) index with their positions (ordering by position would read every row first); rows whose ids do
    not follow their positions (hand-made data) are sorted by position and fall back to id lists in batches.
    """
    pairs = list(items.order_by("pk").values_list("pk", "position"))
    monotonic = all(earlier[1] < later[1] for earlier, later in zip(pairs, pairs[1:], strict=False))
    if not monotonic:
        pairs.sort(key=lambda pair: pair[1])
    rows = [pk for pk, _ in pairs]
    created: list[tuple[Task, int]] = []
    start = 0
    for expert, size in zip(experts, split_evenly(len(rows), len(experts)), strict=True):
        if size == 0:
            continue
        chunk = rows[start : start + size]
        task = make_task(expert)
        if monotonic:
            moved = items.filter(pk__gte=chunk[0], pk__lte=chunk[-1]).update(task=task)
        else:
            moved = sum(
                items.filter(pk__in=chunk[i : i + ID_BATCH]).update(task=task) for i in range(0, len(chunk), ID_BATCH)
            )
        created.append((task, moved))
        start += size
    return created


def _push_assigned(created: list[tuple[Task, int]]) -> None:
    for task, total in created:
        message = {
            "type": "task_assigned",
            "data": {
                "task_id": task.pk,
                "dataset_name": task.dataset.name,
                "area": task.area,
                "due_time": _fmt(task.due_time),
                "total_count": total,
                "original_id": task.original_id if task.original_id is not None else "-",
            },
        }
        transaction.on_commit(
            lambda expert_id=task.expert_id, message=message: notify_user(expert_id, message), robust=True
        )


def _fmt(moment: datetime | None) -> str | None:
    from tasks.selectors import format_time

    return format_time(moment)


# --- live progress for the managers' cockpit ------------------------------------------------------------


def _cockpit_viewers() -> list[int]:
    """Every user who sees the cockpit: a manager's scope is the whole platform (datasets.selectors,
    tasks.selectors: one project per platform), so active, not blacklisted managers and superusers."""
    return list(active_managers().values_list("pk", flat=True))


def push_task_progress(tasks: Iterable[Task]) -> None:
    """Tell every manager's open cockpit the new progress of `tasks` (`task_progress`, one message per
    task). Call after commit: two queries (the counts of the tasks' datasets, grouped by area and task,
    and the managers' ids), then one channel-layer send per manager and task.

    Each task needs `pk`, `dataset_id`, `area` and `due_time` loaded. The counts are absolute, read after
    the write, so a message that arrives late or a dropped one never leaves a wrong total behind for long:
    the next one, or a reload, corrects it.
    """
    tasks = list({task.pk: task for task in tasks}.values())
    if not tasks:
        return
    counts: dict[tuple, list[int]] = {}  # ("set", dataset) / ("area", dataset, area) / ("task", task): [labeled, total]
    assigned: dict[int, int] = {}
    for dataset_id, area, task_id, is_labeled, n in _progress_rows({task.dataset_id for task in tasks}):
        for key in (("set", dataset_id), ("area", dataset_id, area), ("task", task_id)):
            pair = counts.setdefault(key, [0, 0])
            pair[1] += n
            if is_labeled:
                pair[0] += n
        if task_id is not None:
            assigned[dataset_id] = assigned.get(dataset_id, 0) + n
    now = timezone.now()
    messages = []
    for task in tasks:
        done, total = counts.get(("task", task.pk), (0, 0))
        area_done, area_total = counts.get(("area", task.dataset_id, task.area), (0, 0))
        set_done, set_total = counts.get(("set", task.dataset_id), (0, 0))
        set_status = dataset_status(
            closed=False, total=set_total, labeled=set_done, assigned=assigned.get(task.dataset_id, 0)
        )  # every write that pushes refuses a closed dataset under its lock
        messages.append(
            {
                "type": "task_progress",
                "data": {
                    "task_id": task.pk,
                    "dataset_id": task.dataset_id,
                    "area": task.area,
                    "finished_count": done,
                    "total_count": total,
                    "status": manager_status(done=done, total=total, due_time=task.due_time, now=now).value,
                    "area_labeled_count": area_done,
                    "area_total_count": area_total,
                    "dataset_labeled_count": set_done,
                    "dataset_total_count": set_total,
                    "dataset_status": set_status.value,
                },
            }
        )
    for user_id in _cockpit_viewers():
        for message in messages:
            notify_user(user_id, message)


def _progress_rows(dataset_ids: set[int]):
    """Item counts per (dataset, area, task, is_labeled): one `GROUP BY` over the (dataset, area, task,
    is_labeled) index alone, no item row read. Rows: (dataset id, area, task id or None, is_labeled, count)."""
    return (
        DataItem.objects.filter(dataset_id__in=dataset_ids)
        .order_by()
        .values_list("dataset_id", "area", "task_id", "is_labeled")
        .annotate(n=Count("pk"))
    )


def _push_progress_after_commit(task_ids: Iterable[int]) -> None:
    """`push_task_progress` for these tasks once the transaction commits (robust: a broken channel layer
    is logged, never fails the write)."""
    ids = sorted(set(task_ids))
    if ids:
        transaction.on_commit(
            lambda: push_task_progress(Task.objects.filter(pk__in=ids).only("pk", "dataset_id", "area", "due_time")),
            robust=True,
        )


# --- assignment, hand-over, urge, due time ------------------------------------------------------------


def assign_area(
    *, dataset: Dataset, area: str, experts: Sequence[User], notice: str = "", due_time: datetime, by: User
) -> list[Task]:
    """Split the area's unassigned items evenly into contiguous chunks, one task per expert (§4.2).

    Raises InvalidInput (area, experts, due time, notice), Conflict (closed dataset, nothing unassigned)."""
    if not isinstance(area, str) or not area.strip():
        raise InvalidInput("area must be a non-empty string", field="area")
    if len(area) > AREA_MAX:
        raise InvalidInput(f"area is longer than {AREA_MAX} characters", field="area")
    experts = _check_experts(experts)
    _check_due_time(due_time)
    notice = _check_notice(notice)
    now = timezone.now()
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        check_open(locked)
        items = DataItem.objects.filter(dataset=locked, area=area, task__isnull=True)
        if not items.exists():
            raise Conflict("the area has no unassigned item", code=ErrorCode.AREA_FULLY_ASSIGNED)

        def make_task(expert: User) -> Task:
            return Task.objects.create(
                dataset=locked, area=area, expert=expert, notice=notice, due_time=due_time, assigned_by=by,
                assigned_at=now,
            )  # fmt: skip

        created = _split_into_tasks(items=items, experts=experts, make_task=make_task)
        Dataset.objects.filter(pk=locked.pk).update(last_assigned_at=now)
        _push_assigned(created)
    return [task for task, _ in created]


def hand_over_task(
    *, task: Task, experts: Sequence[User], notice: str | None = None, due_time: datetime, by: User
) -> list[Task]:
    """Move the task's unfinished items to new tasks (split as in assignment, `original` = this task);
    finished items stay with it and it shows 已移交 in the dataset history (§4.3)."""
    experts = _check_experts(experts)
    _check_due_time(due_time, field="mission_due_time")
    if notice is not None:
        notice = _check_notice(notice, field="mission_notice")
    now = timezone.now()
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=task.dataset_id)
        old = Task.objects.select_for_update().get(pk=task.pk)
        check_open(dataset)
        items = old.items.filter(is_labeled=False)
        if not items.exists():
            raise Conflict("the task has no unfinished item", code=ErrorCode.TASK_HAS_NO_UNFINISHED)
        new_notice = old.notice if notice is None else notice

        def make_task(expert: User) -> Task:
            return Task.objects.create(
                dataset=dataset, area=old.area, expert=expert, notice=new_notice, due_time=due_time,
                assigned_by=by, assigned_at=now, original=old,
            )  # fmt: skip

        created = _split_into_tasks(items=items, experts=experts, make_task=make_task)
        Task.objects.filter(pk=old.pk).update(handed_over_at=now, handed_over_by=by, is_highlight=False)
        Dataset.objects.filter(pk=dataset.pk).update(last_assigned_at=now)
        for new_task, _ in created:
            new_task.dataset = dataset
        _push_assigned(created)
        transaction.on_commit(lambda: push_task_progress([old]), robust=True)  # its total shrank
    return [new_task for new_task, _ in created]


def urge_task(*, task: Task, by: User) -> Task:
    """Highlight the task for its expert, count the urge, push `task_urged` live and e-mail the expert when
    e-mail is configured (§4.4). Never changes the owner or the due time."""
    now = timezone.now()
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=task.dataset_id)
        check_open(dataset)
        if not task.items.filter(is_labeled=False).exists():
            raise Conflict("the task has no unfinished item", code=ErrorCode.TASK_HAS_NO_UNFINISHED)
        Task.objects.filter(pk=task.pk).update(is_highlight=True, urged_at=now, urge_count=F("urge_count") + 1)
        urged = Task.objects.select_related("dataset", "expert").get(pk=task.pk)
        transaction.on_commit(lambda: _after_urge(urged.pk), robust=True)
    return urged


def _after_urge(task_id: int) -> None:
    from tasks import jobs
    from tasks.selectors import task_event

    task, data = task_event(task_id, kind="task_urged")
    notify_user(task.expert_id, {"type": "task_urged", "data": data})
    if jobs.email_enabled() and task.expert.email:
        jobs.send_urge_email_job.delay(task_id)


def extend_due_time(*, task: Task, due_time: datetime, by: User) -> Task:
    """A new due time later than now; clears `overdue_notified_at` so a new lateness is reported again."""
    _check_due_time(due_time)
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(due_time=due_time, overdue_notified_at=None)
        return Task.objects.get(pk=task.pk)


def notify_overdue_tasks(*, now: datetime | None = None) -> list[int]:
    """Tasks past due that still hold unfinished items, not handed over and not yet reported: mark them
    (conditional UPDATE, so two beat runs never report one twice) and tell each task's manager after
    commit (§7). Returns the ids reported."""
    from tasks import jobs

    now = now or timezone.now()
    candidates = list(
        Task.objects.filter(
            due_time__lt=now, overdue_notified_at__isnull=True, handed_over_at__isnull=True, items__is_labeled=False
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    reported: list[int] = []
    with transaction.atomic():
        for task_id in candidates:
            if Task.objects.filter(pk=task_id, overdue_notified_at__isnull=True).update(overdue_notified_at=now):
                reported.append(task_id)
        for task_id in reported:
            transaction.on_commit(lambda task_id=task_id: jobs.announce_overdue(task_id), robust=True)
    return reported


# --- labeling ---------------------------------------------------------------------------------------


def label_item(*, item_id: int, by: User, question: str, answers: object, data_reserve: int) -> DataItem:
    """Save an expert's question, ranked answers and keep/drop decision on an item of one of their own
    tasks; clears review and acceptance decisions (a new round) and records the change (§3.4)."""
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput("data_question must be a non-empty string", field="data_question")
    if len(question) > TEXT_MAX:
        raise InvalidInput(f"data_question is longer than {TEXT_MAX} characters", field="data_question")
    answers = clean_answers(answers, row=None, field="data_answer", fill_defaults=False)
    if isinstance(data_reserve, bool) or data_reserve not in (0, 1):
        raise InvalidInput("data_reserve must be 0 or 1", field="data_reserve")
    now = timezone.now()
    with transaction.atomic():
        item = _lock_own_item(item_id, by)
        check_open(Dataset.objects.get(pk=item.dataset_id))
        newly_labeled = not item.is_labeled
        item.labeled_question, item.labeled_answer, item.data_reserve = question, answers, data_reserve
        item.is_labeled, item.returned, item.labeled_at, item.labeled_by = True, False, now, by
        item.review_accept = item.review_comment = item.review_score = item.reviewed_by = item.reviewed_at = None
        item.check_accept = item.check_comment = item.check_score = item.checked_by = item.checked_at = None
        item.updated_at = now
        item.save(
            update_fields=[
                "labeled_question", "labeled_answer", "data_reserve", "is_labeled", "returned", "labeled_at",
                "labeled_by", "review_accept", "review_comment", "review_score", "reviewed_by", "reviewed_at",
                "check_accept", "check_comment", "check_score", "checked_by", "checked_at", "updated_at",
            ]
        )  # fmt: skip
        ItemRevision.objects.create(
            item=item, task=item.task, kind=RevisionKind.LABEL, by=by, created_at=now, question=question,
            answer=answers, data_reserve=data_reserve,
        )  # fmt: skip
        if not item.task.items.filter(is_labeled=False).exists():
            Task.objects.filter(pk=item.task_id, is_highlight=True).update(is_highlight=False)
        if newly_labeled:  # a second save of a labeled item changes no count: nothing to push
            task = item.task
            transaction.on_commit(lambda: push_task_progress([task]), robust=True)
    return item


def _lock_own_item(item_id: int, by: User) -> DataItem:
    """Lock the caller's item after its task (the lock order of hand-over: task, then items), or
    DoesNotExist. No joins in the locking query: MariaDB would lock the joined dataset row too."""
    for _ in range(3):
        task_id = DataItem.objects.filter(pk=item_id, task__expert=by).values_list("task_id", flat=True).first()
        if task_id is None:
            break
        task = Task.objects.select_for_update().filter(pk=task_id).first()
        item = DataItem.objects.select_for_update().filter(pk=item_id).first()
        if task is not None and item is not None and item.task_id == task_id and task.expert_id == by.pk:
            item.task = task
            return item
        # handed over between the read and the locks: look again
    raise DoesNotExist("no such item in your tasks", code=ErrorCode.ITEM_NOT_FOUND)


# --- review and acceptance ----------------------------------------------------------------------------


def _decide(
    *,
    items: Iterable[DataItem],
    kind: str,
    accept: bool,
    comment: str | None,
    score: str | None,
    by: User,
    push: bool = True,
) -> int:
    if not isinstance(accept, bool):
        raise InvalidInput("accept must be true or false", field="accept")
    comment, score = _check_decision(comment, score)
    ids = [item.pk for item in items]
    if not ids:
        return 0
    now = timezone.now()
    prefix = "review" if kind == RevisionKind.REVIEW else "check"
    by_field = "reviewed_by" if kind == RevisionKind.REVIEW else "checked_by"
    at_field = "reviewed_at" if kind == RevisionKind.REVIEW else "checked_at"
    with transaction.atomic():
        dataset_ids = set(DataItem.objects.filter(pk__in=ids).values_list("dataset_id", flat=True))
        for dataset in Dataset.objects.select_for_update().filter(pk__in=dataset_ids).order_by("pk"):
            check_open(dataset)
        locked = list(DataItem.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(locked) != len(set(ids)):
            raise DoesNotExist("no such item", code=ErrorCode.ITEM_NOT_FOUND)
        unlabeled = [item.pk for item in locked if not item.is_labeled]
        if unlabeled:
            raise Conflict(f"item {unlabeled[0]} is not labeled", field="sample_id", code=ErrorCode.ITEM_NOT_LABELED)
        changes = {
            f"{prefix}_accept": accept,
            f"{prefix}_comment": comment,
            f"{prefix}_score": score,
            by_field: by,
            at_field: now,
            "updated_at": now,
        }
        if not accept:
            changes.update(is_labeled=False, returned=True)
            if push:  # a rejection lowers the labeled counts the cockpit shows
                _push_progress_after_commit(item.task_id for item in locked if item.task_id is not None)
        DataItem.objects.filter(pk__in=[item.pk for item in locked]).update(**changes)
        ItemRevision.objects.bulk_create(
            ItemRevision(
                item_id=item.pk, task_id=item.task_id, kind=kind, by=by, created_at=now, accept=accept,
                comment=comment, score=score,
            )
            for item in locked
        )  # fmt: skip
    return len(locked)


def review_items(
    *, items: Iterable[DataItem], accept: bool, comment: str | None = "", score: str | None = None, by: User
) -> int:
    """Review decision on labeled items; a rejection sends each back to its expert (§6)."""
    return _decide(items=items, kind=RevisionKind.REVIEW, accept=accept, comment=comment, score=score, by=by)


def review_item(
    *, item: DataItem, accept: bool, comment: str | None = "", score: str | None = None, by: User
) -> DataItem:
    review_items(items=[item], accept=accept, comment=comment, score=score, by=by)
    return DataItem.objects.get(pk=item.pk)


def check_items(
    *, items: Iterable[DataItem], accept: bool, comment: str | None = "", score: str | None = None, by: User
) -> int:
    """Acceptance decision on labeled items, sampled or not; a rejection sends each back (§6)."""
    return _decide(items=items, kind=RevisionKind.CHECK, accept=accept, comment=comment, score=score, by=by)


def check_item(
    *, item: DataItem, accept: bool, comment: str | None = "", score: str | None = None, by: User
) -> DataItem:
    check_items(items=[item], accept=accept, comment=comment, score=score, by=by)
    return DataItem.objects.get(pk=item.pk)


def decide_samples(
    *, task: Task, decisions: Sequence[tuple[int, bool, str | None, str | None]], kind: str, by: User
) -> int:
    """Several decisions (item id, accept, comment, score) on items of one task, in one transaction; an id
    that is not one of the task's items is DoesNotExist and nothing is decided. `kind`: review or check."""
    if kind not in (RevisionKind.REVIEW, RevisionKind.CHECK):
        raise InvalidInput("kind must be review or check", field="kind")
    ids = [item_id for item_id, *_ in decisions]
    with transaction.atomic():
        found = set(task.items.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [item_id for item_id in ids if item_id not in found]
        if missing:
            raise DoesNotExist(
                f"sample {missing[0]} is not in this task", field="sample_id", code=ErrorCode.ITEM_NOT_FOUND
            )
        if len(set(ids)) != len(ids):
            raise InvalidInput("a sample is decided twice", field="sample_id")
        for item_id, accept, comment, score in decisions:
            _decide(
                items=[DataItem(pk=item_id)], kind=kind, accept=accept, comment=comment, score=score, by=by, push=False
            )
        if any(not decision[1] for decision in decisions):
            _push_progress_after_commit([task.pk])  # once for the whole batch
    return len(ids)


def draw_sample(
    *, task: Task, rate: float | None = None, count: int | None = None, by: User, rng: random.Random | None = None
) -> SampleRound:
    """Draw an acceptance sample among the task's labeled, not yet sampled items: `count` items or
    ⌈rate × candidates⌉ (rate in (0, 1]), uniformly at random, fewer if fewer exist (§6)."""
    if (rate is None) == (count is None):
        raise InvalidInput("give either a rate or a count", field="rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate <= 1):
        raise InvalidInput("rate must be a number in (0, 1]", field="rate")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise InvalidInput("count must be an integer of at least 1", field="count")
    now = timezone.now()
    with transaction.atomic():
        dataset = Dataset.objects.select_for_update().get(pk=task.dataset_id)
        check_open(dataset)
        Task.objects.select_for_update().get(pk=task.pk)
        candidates = list(task.items.filter(is_labeled=True, sampled=False).order_by("pk").values_list("pk", flat=True))
        if not candidates:
            raise Conflict("the task has no labeled item left to sample", code=ErrorCode.NOTHING_TO_SAMPLE)
        wanted = math.ceil(rate * len(candidates)) if rate is not None else count
        chosen = (rng or random.SystemRandom()).sample(candidates, min(wanted, len(candidates)))
        DataItem.objects.filter(pk__in=chosen).update(sampled=True)
        sample_round = SampleRound.objects.create(task_id=task.pk, drawn_by=by, drawn_at=now, rate=rate, count=count)
        sample_round.items.add(*chosen)
    return sample_round


def decide_sampled(*, task: Task, accept: bool, comment: str | None = "", score: str | None = None, by: User) -> int:
    """Accept all / reject all: an acceptance decision on every sampled, labeled, not yet checked item of
    the task. Returns how many items were decided."""
    items = task.items.filter(sampled=True, is_labeled=True, check_accept__isnull=True)
    return check_items(items=list(items.only("pk")), accept=accept, comment=comment, score=score, by=by)
