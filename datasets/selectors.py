"""Reads of datasets and items (qa-tasks.md §3.2, §4.5). Managers see every dataset (one project per
platform); experts reach items only through their own tasks (tasks.selectors)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet

from datasets.answers import ErrorCode
from datasets.models import DataItem, Dataset
from labelplatform.errors import DoesNotExist
from tasks.statuses import DatasetStatus, dataset_status


def datasets_with_counts() -> QuerySet[Dataset]:
    """Every dataset, newest upload first, with `item_count`, `labeled_count` and `assigned_count`."""
    return Dataset.objects.annotate(
        item_count=Count("items"),
        labeled_count=Count("items", filter=Q(items__is_labeled=True)),
        assigned_count=Count("items", filter=Q(items__task__isnull=False)),
    ).order_by("-uploaded_at", "-id")


def status_of(dataset: Dataset) -> DatasetStatus:
    """The dataset's status word; uses the counts of `datasets_with_counts` when present."""
    if not hasattr(dataset, "item_count"):
        dataset = datasets_with_counts().get(pk=dataset.pk)
    return dataset_status(
        closed=dataset.closed_at is not None,
        total=dataset.item_count,
        labeled=dataset.labeled_count,
        assigned=dataset.assigned_count,
    )


def get_dataset(dataset_id: int) -> Dataset:
    """A dataset by id, or DoesNotExist (数据集不存在)."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None:
        raise DoesNotExist("no such dataset", field="dataset_id", code=ErrorCode.DATASET_NOT_FOUND)
    return dataset


@dataclass
class AreaProgress:
    area: str
    total: int
    labeled: int
    assigned: int
    experts: list[str] = field(default_factory=list)

    @property
    def is_assigned(self) -> bool:
        return self.total > 0 and self.assigned == self.total

    @property
    def unassigned(self) -> int:
        return self.total - self.assigned


def area_progress(dataset: Dataset) -> list[AreaProgress]:
    """One row per area, in order of first appearance in the upload: item, labeled and assigned counts and
    the usernames of the experts whose tasks hold the area's items (task order, each once)."""
    rows = (
        DataItem.objects.filter(dataset=dataset)
        .values("area")
        .annotate(
            first=Min("position"),
            total=Count("id"),
            labeled=Count("id", filter=Q(is_labeled=True)),
            assigned=Count("id", filter=Q(task__isnull=False)),
        )
        .order_by("first")
    )
    progress = {row["area"]: AreaProgress(row["area"], row["total"], row["labeled"], row["assigned"]) for row in rows}
    holders = (
        DataItem.objects.filter(dataset=dataset, task__isnull=False)
        .values_list("area", "task_id", "task__expert__username")
        .distinct()
        .order_by("task_id")
    )
    for area, _task_id, username in holders:
        names = progress[area].experts
        if username not in names:
            names.append(username)
    return list(progress.values())


def unassigned_areas(dataset: Dataset) -> list[tuple[str, int]]:
    """(area, unassigned item count) for areas that still have unassigned items, in upload order."""
    return [(row.area, row.unassigned) for row in area_progress(dataset) if row.unassigned]


EXPORT_COLUMNS = (
    "position", "background", "question", "labeled_question", "answer", "labeled_answer", "area", "keyword", "other",
    "labeled_by__username", "data_reserve", "extra",
)  # fmt: skip


def items_for_export(dataset: Dataset, *, chunk_size: int = 2000) -> Iterator[tuple]:
    """The dataset's items by position as value tuples (EXPORT_COLUMNS without `position`), read in pages
    of `chunk_size` by keyset (`position > last`, the unique (dataset, position) index).

    Not `.iterator()`: mysqlclient's default cursor buffers a whole result set in the client, so one
    query over a million items would hold all of them in memory at once.
    """
    last = -1
    while True:
        page = list(
            DataItem.objects.filter(dataset=dataset, position__gt=last)
            .order_by("position")
            .values_list(*EXPORT_COLUMNS)[:chunk_size]
        )
        for values in page:
            yield values[1:]
        if len(page) < chunk_size:
            return
        last = page[-1][0]
