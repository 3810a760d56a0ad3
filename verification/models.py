"""Verification jobs and their per-rendition results.

Every `POST /verify` is a `VerificationJob` (the synchronous form waits for it). Its id is a random UUID,
which is also what `GET /verify/<id>` takes, so ids cannot be guessed or enumerated. A job's renditions
are `RenditionResult` rows, one per position in the request, unique on (job, position): a re-delivered
job overwrites them instead of adding more.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


FINAL_STATUSES = (JobStatus.DONE, JobStatus.FAILED)


class VerificationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="verification_jobs",
        help_text="The caller's account when it sent a platform token; empty for anonymous orchestrators.",
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    caller = models.CharField(
        max_length=80, help_text="`user:<id>` or `ip:<address>`: whose idempotency keys these are."
    )
    idempotency_key = models.CharField(
        max_length=128,
        null=True,
        blank=True,
        help_text="The `Idempotency-Key` header, if sent: a retry returns this job.",
    )
    fingerprint = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the request document.")
    orchestrator_id = models.CharField(max_length=255, blank=True, db_index=True)
    source_uri = models.TextField(help_text="The source URI exactly as sent.")
    request = models.JSONField(help_text="The normalised request: source and renditions with their locations.")
    result = models.JSONField(null=True, blank=True, help_text="The response document, once done.")
    error = models.JSONField(null=True, blank=True, help_text="Why the job failed: {detail, code, field}.")
    model_version = models.CharField(max_length=100, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker started it.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds spent per stage.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["caller", "idempotency_key"], name="verification_job_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"verification {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class RenditionResult(models.Model):
    job = models.ForeignKey(VerificationJob, on_delete=models.CASCADE, related_name="renditions")
    position = models.PositiveSmallIntegerField(help_text="Index in the request's renditions.")
    uri = models.TextField(help_text="The rendition URI exactly as sent.")
    video_available = models.BooleanField(default=False)
    audio_available = models.BooleanField(default=False)
    fps = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    ocsvm_dist = models.FloatField(null=True, blank=True)
    tamper_ul = models.PositiveSmallIntegerField(null=True, blank=True)
    tamper_sl = models.PositiveSmallIntegerField(null=True, blank=True)
    tamper = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    ssim_pred = models.FloatField(null=True, blank=True)
    timestamps = models.JSONField(default=list, blank=True, help_text="Source timestamps (s) that were compared.")
    document = models.JSONField(default=dict, blank=True, help_text="This rendition's entry of the response.")

    class Meta:
        ordering = ["job", "position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="verification_rendition_once")]

    def __str__(self) -> str:
        return f"{self.uri} (tamper={self.tamper})"
