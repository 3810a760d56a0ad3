"""Crowd video labeling data (videos.md §2): clips, append-only label history, batches, gallery views,
tutorial records and each labeler's scores. State codes and rules live in `videos.states`."""

from __future__ import annotations

import random

from django.conf import settings
from django.db import models
from django.db.models import Case, Value, When
from django.utils import timezone

from videos import states

STATE_CHOICES = states.LabelState.choices()


class LabelerProfile(models.Model):
    """A crowd labeler's scores (videos.md §2.1); created the first time it is needed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="labeler_profile"
    )
    score = models.PositiveIntegerField(default=0, db_index=True)
    raw_score = models.PositiveIntegerField(default=0, db_index=True)
    best_tutorial_action = models.SmallIntegerField(default=-1, db_index=True)

    def __str__(self) -> str:
        return f"{self.user} score {self.score}/{self.raw_score}"


def new_rand_key() -> float:
    """Each clip's fixed random position; batch selection reads a random range of it (no ORDER BY RAND())."""
    return random.random()


def _citizen_pool_expression():
    """The database's copy of `states.citizen_pool` (kept equal by tests)."""
    P = states.CitizenPool
    return Case(
        When(label_state_admin__in=sorted(states.GOLD_POS), then=Value(int(P.GOLD_POS))),
        When(label_state_admin__in=sorted(states.GOLD_NEG), then=Value(int(P.GOLD_NEG))),
        When(label_state_admin__in=sorted(states.RESEARCHER_DECIDED), then=Value(int(P.NONE))),
        When(label_state=int(states.LabelState.NO_DATA), then=Value(int(P.FRESH))),
        When(label_state__in=sorted(states.PARTIAL), then=Value(int(P.PARTIAL))),
        default=Value(int(P.NONE)),
    )


def _researcher_pool_expression():
    return Case(
        When(label_state_admin__in=sorted(states.RESEARCHER_BATCH_STATES), then=Value(1)),
        default=Value(0),
    )


def _final_label_expression():
    """The database's copy of `states.final_label_code`."""
    return Case(
        When(label_state_admin__in=sorted(states.EXCLUDED), then=Value(None)),
        When(label_state_admin__in=sorted(states.POS), then=Value(1)),
        When(label_state_admin__in=sorted(states.NEG), then=Value(0)),
        When(label_state__in=sorted(states.POS), then=Value(1)),
        When(label_state__in=sorted(states.NEG), then=Value(0)),
        default=Value(-1),
        output_field=models.SmallIntegerField(null=True),
    )


def _citizen_decision_expression():
    """The database's copy of `states.citizen_decision`."""
    return Case(
        When(label_state_admin__in=sorted(states.EXCLUDED), then=Value(None)),
        When(label_state__in=sorted(states.POS), then=Value(1)),
        When(label_state__in=sorted(states.NEG), then=Value(0)),
        default=Value(None),
        output_field=models.SmallIntegerField(null=True),
    )


def _researcher_decision_expression():
    """The database's copy of `states.researcher_decision`."""
    return Case(
        When(label_state_admin__in=sorted(states.POS), then=Value(1)),
        When(label_state_admin__in=sorted(states.NEG), then=Value(0)),
        default=Value(None),
        output_field=models.SmallIntegerField(null=True),
    )


class Video(models.Model):
    """One short clip cut from a camera panorama (§2.3).

    `citizen_pool` / `researcher_pool` are generated (stored) columns derived from the two states, so
    every write path (services, bulk imports, demo data, raw updates) keeps them right; with `rand_key`
    they let `get_batch` pick random clips through an index range instead of scanning the table.
    """

    file_name = models.CharField(max_length=255, unique=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    width = models.IntegerField(default=180)
    height = models.IntegerField(default=180)
    scale = models.FloatField(default=1.0)
    left = models.IntegerField(default=0)
    top = models.IntegerField(default=0)
    source_url = models.CharField(max_length=768, null=True, blank=True)
    label_state = models.SmallIntegerField(choices=STATE_CHOICES, default=int(states.LabelState.NO_DATA), db_index=True)
    label_state_admin = models.SmallIntegerField(
        choices=STATE_CHOICES, default=int(states.LabelState.NO_DATA), db_index=True
    )
    label_update_time = models.DateTimeField(null=True, blank=True, db_index=True)
    camera_id = models.IntegerField(default=-1, db_index=True)
    view_id = models.IntegerField(default=-1, db_index=True)
    rand_key = models.FloatField(default=new_rand_key, editable=False)
    citizen_pool = models.GeneratedField(
        expression=_citizen_pool_expression(), output_field=models.SmallIntegerField(), db_persist=True
    )
    researcher_pool = models.GeneratedField(
        expression=_researcher_pool_expression(), output_field=models.SmallIntegerField(), db_persist=True
    )
    # listings: get_pos/neg_labels read `final_label_code`, get_pos/neg_labels_by_citizen `citizen_decision`,
    # each through an index that also gives the listing order (no filesort, LIMIT stops early)
    final_label_code = models.GeneratedField(
        expression=_final_label_expression(), output_field=models.SmallIntegerField(null=True), db_persist=True
    )
    citizen_decision = models.GeneratedField(
        expression=_citizen_decision_expression(), output_field=models.SmallIntegerField(null=True), db_persist=True
    )
    researcher_decision = models.GeneratedField(
        expression=_researcher_decision_expression(), output_field=models.SmallIntegerField(null=True), db_persist=True
    )

    class Meta:
        constraints = [
            # a constraint rather than unique=True: MariaDB's 3072-byte key limit fits varchar(768) utf8mb4
            models.UniqueConstraint(fields=["source_url"], name="video_source_url_unique"),
        ]
        indexes = [
            models.Index(fields=["citizen_pool", "rand_key"], name="video_citizen_pool"),
            models.Index(fields=["researcher_pool", "rand_key"], name="video_researcher_pool"),
            # listings: filter on one value, order by label_update_time desc, id desc
            models.Index(fields=["final_label_code", "label_update_time", "id"], name="video_final_time"),
            models.Index(fields=["citizen_decision", "label_update_time", "id"], name="video_citizen_decision_time"),
            models.Index(
                fields=["researcher_decision", "label_update_time", "id"], name="video_researcher_decision_time"
            ),
            models.Index(fields=["label_state_admin", "label_update_time", "id"], name="video_admin_time"),
            models.Index(fields=["label_state", "label_update_time", "id"], name="video_citizen_time"),
            models.Index(fields=["left", "top", "width", "height"], name="video_region"),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def url_part(self) -> str:
        return states.url_part(self.file_name)

    @property
    def final_label(self) -> states.FinalLabel:
        return states.final_label(self.label_state, self.label_state_admin)


class Batch(models.Model):
    """One issued batch (§2.5); `return_time` is set exactly once (single-use video token)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_batches")
    client_type = models.SmallIntegerField()
    video_ids = models.JSONField(default=list)
    request_time = models.DateTimeField(default=timezone.now, db_index=True)
    return_time = models.DateTimeField(null=True, blank=True, db_index=True)
    connection = models.ForeignKey(
        "accounts.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="video_batches"
    )
    score = models.IntegerField(null=True, blank=True)
    num_unlabeled = models.IntegerField()
    num_gold_standard = models.IntegerField()
    user_score = models.IntegerField(null=True, blank=True)
    user_raw_score = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"batch {self.pk} of {self.user_id}"

    @property
    def is_researcher_batch(self) -> bool:
        return self.client_type == 0


class Label(models.Model):
    """Append-only history of every answer (§2.4); `batch` null = set by a researcher outside a batch."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="labels")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_labels")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="labels")
    label = models.SmallIntegerField()
    time = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # "clips this user labeled" (batch exclusion, user-id mode of get_pos_labels)
            models.Index(fields=["user", "video"], name="label_user_video"),
            models.Index(fields=["user", "label", "video"], name="label_user_label_video"),
            models.Index(fields=["video", "time"], name="label_video_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} said {self.label} on {self.video_id}"


class ViewQueryType(models.IntegerChoices):
    BY_STATE = 0, "by label state"
    BY_USER = 1, "by user id"


class View(models.Model):
    """A clip shown in the gallery to a connected labeler (§2.6)."""

    connection = models.ForeignKey("accounts.Connection", on_delete=models.CASCADE, related_name="video_views")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="views")
    query_type = models.SmallIntegerField(choices=ViewQueryType.choices)
    time = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.connection_id} saw {self.video_id}"


class TutorialAction(models.IntegerChoices):
    TOOK = 0, "took the tutorial"
    FAILED_LAST = 1, "did not pass the last batch"
    PASSED_THIRD_TRY = 2, "passed the last batch on the third try with hints"
    PASSED_SECOND_TRY = 3, "passed on the second try after the answers were shown"
    PASSED_FIRST_TRY = 4, "passed on the first try"


class TutorialQuery(models.IntegerChoices):
    ENTERED_PAGE = 0, "entered the tutorial page"
    PAGE_BUTTON = 1, "clicked the tutorial button on the page"
    PROMPT_BUTTON = 2, "clicked it in the prompt dialog"


class Tutorial(models.Model):
    """A tutorial record (§2.7)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tutorials")
    connection = models.ForeignKey(
        "accounts.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="tutorials"
    )
    action_type = models.SmallIntegerField(choices=TutorialAction.choices)
    query_type = models.SmallIntegerField(choices=TutorialQuery.choices)
    time = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} tutorial {self.action_type}/{self.query_type}"
