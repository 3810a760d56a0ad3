"""Expert tasks, item history and acceptance-sampling rounds (qa-tasks.md §2.4-2.6).

Statuses are never stored: they are computed from labeled/total counts and the due time at read time
(`tasks.statuses`), so no job can leave one stale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Task(models.Model):
    """One area of a dataset given to one expert (the seed's task / mission)."""

    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="tasks")
    area = models.CharField(max_length=100)
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_tasks")
    notice = models.TextField(blank=True, default="")
    due_time = models.DateTimeField()
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="handed_over_to"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_highlight = models.BooleanField(default=False)
    urged_at = models.DateTimeField(null=True, blank=True)
    urge_count = models.PositiveIntegerField(default=0)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["due_time", "overdue_notified_at"], name="task_overdue_scan")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.area} → {self.expert_id}"

    @property
    def is_handed_over(self) -> bool:
        return self.handed_over_at is not None


class RevisionKind(models.TextChoices):
    LABEL = "label", "label"
    REVIEW = "review", "review"
    CHECK = "check", "check"


class ItemRevision(models.Model):
    """Append-only history: each `label` row is the "after" of a save; the item's previous `label` row
    (or its uploaded values) is the "before". Decision rows record review/acceptance decisions."""

    item = models.ForeignKey("datasets.DataItem", on_delete=models.CASCADE, related_name="revisions")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions")
    kind = models.CharField(max_length=10, choices=RevisionKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    question = models.TextField(null=True, blank=True)
    answer = models.JSONField(null=True, blank=True)
    data_reserve = models.PositiveSmallIntegerField(null=True, blank=True)
    accept = models.BooleanField(null=True, blank=True)
    comment = models.CharField(max_length=256, null=True, blank=True)
    score = models.CharField(max_length=1, null=True, blank=True)

    class Meta:
        ordering = ["item_id", "id"]
        indexes = [models.Index(fields=["item", "kind"], name="revision_item_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of item {self.item_id}"


class SampleRound(models.Model):
    """One acceptance-sampling draw; its pass rate is accepted ÷ decided among its items."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="sample_rounds")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(default=timezone.now)
    rate = models.FloatField(null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    items = models.ManyToManyField("datasets.DataItem", related_name="sample_rounds", blank=True)

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self) -> str:
        return f"sample round {self.pk} of task {self.task_id}"
