"""Q&A datasets and their items (qa-tasks.md §2.2-2.3).

An item keeps the uploaded values untouched; the expert's latest save lives beside them
(`labeled_question`, `labeled_answer`), so a download can always show "current" values and the history
(tasks.ItemRevision) can always show the uploaded "before".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fields.related_lookups import RelatedIsNull
from django.utils import timezone

AREA_MAX = 100
SCORES = ("A", "B", "C", "D")
# Who labeled / reviewed / checked an item: audit columns, never searched by user on a hot path. Without
# a database index and constraint each a 100,000-row upload writes three fewer index entries per row;
# Django still nulls them when a user is deleted (SET_NULL runs in Python).
_AUDIT_FK = {"db_index": False, "db_constraint": False}
UNASSIGNED = 0


class IsUnassigned(RelatedIsNull):
    """`task__isnull` of a `TaskForeignKey`: true for the stored 0 (and for a NULL written by raw SQL)."""

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.lhs)
        if self.rhs:
            return f"({sql} = {UNASSIGNED} OR {sql} IS NULL)", (*params, *params)
        return f"{sql} > {UNASSIGNED}", params


class TaskForeignKey(models.ForeignKey):
    """An item's task, with "no task" stored as 0 instead of NULL; Python still sees None.

    Assignment sets `task` on every item of an area (100,000 in one request, qa-tasks.md §4.2, target
    under 1 s). InnoDB's DYNAMIC rows store no bytes for a NULL, so NULL -> id lengthens every record and
    MariaDB rebuilds it: 2.45 s for 100,000 items against 0.97 s for an in-place 0 -> id (docs/qa-tasks.md).
    There is no database foreign key (0 references no task); deletes are handled by Django as before.
    """

    def __init__(self, *args, **kwargs):
        kwargs.update(db_constraint=False, db_index=False)  # dataitem_area_task_labeled leads with dataset
        super().__init__(*args, **kwargs)

    def get_db_prep_save(self, value, connection):
        return UNASSIGNED if value is None else super().get_db_prep_save(value, connection)

    def from_db_value(self, value, expression, connection):
        return None if value == UNASSIGNED else value


TaskForeignKey.register_lookup(IsUnassigned)


class Dataset(models.Model):
    name = models.CharField(max_length=255)
    task_type = models.CharField(max_length=100)
    source = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class DataItem(models.Model):
    """One uploaded row. `task` null means not yet assigned."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    background = models.TextField(blank=True, default="")
    question = models.TextField()
    answer = models.JSONField(default=list)
    area = models.CharField(max_length=AREA_MAX)
    keyword = models.TextField(blank=True, default="")
    other = models.TextField(blank=True, default="")
    extra = models.JSONField(default=dict, blank=True)

    labeled_question = models.TextField(null=True, blank=True)
    labeled_answer = models.JSONField(null=True, blank=True)
    data_reserve = models.PositiveSmallIntegerField(null=True, blank=True)
    is_labeled = models.BooleanField(default=False, db_default=False)
    labeled_at = models.DateTimeField(null=True, blank=True)
    labeled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **_AUDIT_FK
    )
    task = TaskForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The same task, joined on (dataset, area, task): the columns of the items' one task index, so
    # `Task` -> items joins (`task.items`, `Count("items")`) read that index instead of every item.
    area_task = models.ForeignObject(
        "tasks.Task",
        on_delete=models.DO_NOTHING,
        from_fields=["dataset", "area", "task"],
        to_fields=["dataset", "area", "id"],
        related_name="items",
        null=True,
    )

    review_accept = models.BooleanField(null=True, blank=True)
    review_comment = models.CharField(max_length=256, null=True, blank=True)
    review_score = models.CharField(max_length=1, null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **_AUDIT_FK
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    sampled = models.BooleanField(default=False, db_default=False)
    check_accept = models.BooleanField(null=True, blank=True)
    check_comment = models.CharField(max_length=256, null=True, blank=True)
    check_score = models.CharField(max_length=1, null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", **_AUDIT_FK
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    returned = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dataset_id", "position"]
        constraints = [models.UniqueConstraint(fields=["dataset", "position"], name="dataitem_unique_position")]
        # One index holds `task`, so assigning an item rewrites one index entry besides the row; it serves
        # the area's unassigned items (task 0), a task's items (dataset, area and task are known together)
        # and every progress count without reading rows.
        indexes = [models.Index(fields=["dataset", "area", "task", "is_labeled"], name="dataitem_area_task_labeled")]

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.position}"

    @property
    def current_question(self) -> str:
        return self.labeled_question if self.labeled_question is not None else self.question

    @property
    def current_answer(self) -> list:
        return self.labeled_answer if self.labeled_answer is not None else self.answer
