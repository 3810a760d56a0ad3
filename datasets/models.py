"""Q&A datasets and their items (qa-tasks.md §2.2-2.3).

An item keeps the uploaded values untouched; the expert's latest save lives beside them
(`labeled_question`, `labeled_answer`), so a download can always show "current" values and the history
(tasks.ItemRevision) can always show the uploaded "before".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

AREA_MAX = 100
SCORES = ("A", "B", "C", "D")
# Who labeled / reviewed / checked an item: audit columns, never searched by user on a hot path. Without
# a database index and constraint each a 100,000-row upload writes three fewer index entries per row;
# Django still nulls them when a user is deleted (SET_NULL runs in Python).
_AUDIT_FK = {"db_index": False, "db_constraint": False}


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
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")

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
        indexes = [
            models.Index(fields=["dataset", "area", "task"], name="dataitem_area_task"),
            models.Index(fields=["task", "is_labeled"], name="dataitem_task_labeled"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}#{self.position}"

    @property
    def current_question(self) -> str:
        return self.labeled_question if self.labeled_question is not None else self.question

    @property
    def current_answer(self) -> list:
        return self.labeled_answer if self.labeled_answer is not None else self.answer
