"""Verification jobs in the admin: read-only (jobs are written by `/verify` and its worker only).

Managers filter by status, verdict, model version and date, search by job id, orchestrator or source,
and open a job to see its request, the answer document, the per-rendition verdicts, the timings per
stage and the model version that answered.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from verification.models import RenditionResult, VerificationJob


def _pretty(value) -> str:
    if value in (None, "", {}, []):
        return "-"
    return format_html("<pre style='white-space:pre-wrap;margin:0'>{}</pre>", json.dumps(value, indent=2))


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RenditionResultInline(ReadOnlyMixin, admin.TabularInline):
    model = RenditionResult
    extra = 0
    can_delete = False
    fields = (
        "position",
        "uri",
        "video_available",
        "audio_available",
        "width",
        "height",
        "fps",
        "tamper",
        "tamper_sl",
        "tamper_ul",
        "ocsvm_dist",
        "ssim_pred",
    )
    readonly_fields = fields


class TamperedFilter(admin.SimpleListFilter):
    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        return [("tampered", "some rendition tampered"), ("honest", "no rendition tampered")]

    def queryset(self, request, queryset):
        if self.value() == "tampered":
            return queryset.filter(renditions__tamper=1).distinct()
        if self.value() == "honest":
            return queryset.filter(status="done").exclude(renditions__tamper=1)
        return queryset


class OwnerFilter(admin.SimpleListFilter):
    title = "caller"
    parameter_name = "caller"

    def lookups(self, request, model_admin):
        return [("anonymous", "anonymous (no token)"), ("user", "platform user")]

    def queryset(self, request, queryset):
        if self.value() == "anonymous":
            return queryset.filter(requested_by__isnull=True)
        if self.value() == "user":
            return queryset.filter(requested_by__isnull=False)
        return queryset


@admin.register(VerificationJob)
class VerificationJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "orchestrator_id",
        "source_uri",
        "rendition_count",
        "tampered_count",
        "model_version",
        "total_seconds",
        "attempts",
        "created_at",
    )
    list_filter = ("status", TamperedFilter, OwnerFilter, "model_version", "created_at")
    search_fields = ("=id", "orchestrator_id", "source_uri", "requested_by__username")
    date_hierarchy = "created_at"
    list_select_related = ("requested_by",)
    inlines = [RenditionResultInline]
    fields = (
        "id",
        "status",
        "requested_by",
        "client_ip",
        "orchestrator_id",
        "source_uri",
        "model_version",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "timings_display",
        "error_display",
        "result_display",
        "request_display",
        "idempotency_key",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return (
            super()
            .get_queryset(request)
            .annotate(
                _renditions=Count("renditions", distinct=True),
                _tampered=Count("renditions", filter=Q(renditions__tamper=1), distinct=True),
            )
        )

    @admin.display(description="renditions", ordering="_renditions")
    def rendition_count(self, job):
        return job._renditions or len(job.request.get("renditions", []))

    @admin.display(description="tampered", ordering="_tampered")
    def tampered_count(self, job):
        return job._tampered if job.status == "done" else "-"

    @admin.display(description="seconds")
    def total_seconds(self, job):
        return job.timings.get("total", "-") if job.timings else "-"

    @admin.display(description="timings (s)")
    def timings_display(self, job):
        return _pretty(job.timings)

    @admin.display(description="error")
    def error_display(self, job):
        return _pretty(job.error)

    @admin.display(description="result document")
    def result_display(self, job):
        return _pretty(job.result)

    @admin.display(description="request")
    def request_display(self, job):
        return _pretty(job.request)
