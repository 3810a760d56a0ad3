"""Datasets and items in the managers' admin cockpit (qa-tasks.md §6, §8).

Managers (and superusers) only. Every write calls the service the REST endpoints call: upload
(`datasets.services.upload_dataset`), assignment (`tasks.services.assign_area`), end / reopen, review and
acceptance decisions (`tasks.services`); downloads stream `datasets.exports`, like `/dataset/download`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import managers_only
from datasets import exports, selectors, services
from datasets.forms import AssignAreaForm, DatasetUploadForm
from datasets.models import DataItem, Dataset
from labelplatform.errors import DomainError
from tasks import services as task_services
from tasks.admin import READ_ONLY_PAGE, decision_action
from tasks.forms import active_experts
from tasks.selectors import item_history


def progress_bar(done: int, total: int, *, dataset_id: int):
    """The dataset's bar and its `done / total`, marked for static/tasks/cockpit_live.js."""
    return format_html(
        '<span data-live="progress" data-dataset-id="{}"><progress max="{}" value="{}" style="width:110px"></progress>'
        " <span data-count>{} / {}</span></span>",
        dataset_id,
        total or 1,
        done,
        done,
        total,
    )


def error_text(error: DomainError) -> str:
    """A service refusal in the manager's words: the message, plus the row and field for uploads."""
    row = getattr(error, "row", None)
    if row is not None:
        return _("Row %(row)s, field %(field)s: %(message)s") % {
            "row": row,
            "field": error.field,
            "message": error.message,
        }
    if error.field:
        return f"{error.field}: {error.message}"
    return error.message


class ManagersOnlyAdmin(admin.ModelAdmin):
    """Only managers and superusers reach these pages (researchers are staff too; experts are not)."""

    def has_module_permission(self, request):
        return managers_only(request)

    def has_view_permission(self, request, obj=None):
        return managers_only(request)

    def has_add_permission(self, request):
        return managers_only(request)

    def has_change_permission(self, request, obj=None):
        return managers_only(request)

    def has_delete_permission(self, request, obj=None):
        return managers_only(request)


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("未分配", "未分配"), ("已分配", "已分配"), ("已完成", "已完成"), ("已结束", "已结束")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "已结束":
            return queryset.filter(closed_at__isnull=False)
        open_sets = queryset.filter(closed_at__isnull=True)
        if value == "已完成":
            return open_sets.filter(item_count__gt=0, labeled_count=F("item_count"))
        if value == "已分配":
            return open_sets.filter(assigned_count__gt=0).exclude(item_count__gt=0, labeled_count=F("item_count"))
        if value == "未分配":
            return open_sets.filter(assigned_count=0).exclude(item_count__gt=0, labeled_count=F("item_count"))
        return queryset


@admin.action(description=_("End dataset (已结束)"))
def end_dataset(modeladmin, request, queryset):
    done = 0
    for dataset in queryset:
        try:
            services.end_dataset(dataset=dataset, by=request.user)
            done += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{dataset}: {error_text(error)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, ngettext("%d dataset ended.", "%d datasets ended.", done) % done)


@admin.action(description=_("Reopen dataset"))
def reopen_dataset(modeladmin, request, queryset):
    done = 0
    for dataset in queryset:
        try:
            services.reopen_dataset(dataset=dataset, by=request.user)
            done += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{dataset}: {error_text(error)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, ngettext("%d dataset reopened.", "%d datasets reopened.", done) % done)


def _one_dataset_action(name: str, description, target: str, *args):
    """An action that needs exactly one dataset and redirects to one of its pages."""

    def action(modeladmin, request, queryset):
        if queryset.count() != 1:
            modeladmin.message_user(request, _("Choose exactly one dataset."), messages.WARNING)
            return None
        dataset = queryset.get()
        return HttpResponseRedirect(reverse(f"admin:datasets_dataset_{target}", args=[dataset.pk, *args]))

    action.__name__ = name
    action.short_description = description
    return action


@admin.register(Dataset)
class DatasetAdmin(ManagersOnlyAdmin):
    list_display = (
        "id",
        "name",
        "task_type",
        "source",
        "status_display",
        "items_total",
        "items_labeled",
        "progress",
        "uploaded_at",
        "last_assigned_at",
    )
    list_display_links = ("id", "name")
    list_filter = (StatusFilter, "task_type", "uploaded_at")
    search_fields = ("name", "task_type", "source")
    ordering = ("-uploaded_at", "-id")
    readonly_fields = (
        "name",
        "task_type",
        "source",
        "uploaded_by",
        "uploaded_at",
        "last_assigned_at",
        "closed_at",
        "closed_by",
        "status_display",
    )
    fields = readonly_fields
    actions = [
        _one_dataset_action("assign_area_to_experts", _("Assign area to experts"), "assign"),
        end_dataset,
        reopen_dataset,
        _one_dataset_action("download_json", _("Download JSON"), "download", "json"),
        _one_dataset_action("download_jsonl", _("Download JSON Lines"), "download", "jsonl"),
        _one_dataset_action("download_csv", _("Download CSV"), "download", "csv"),
    ]

    def get_queryset(self, request):
        return selectors.datasets_with_counts().select_related("uploaded_by", "closed_by")

    def has_delete_permission(self, request, obj=None):
        """Datasets are ended (已结束), not deleted: deleting would drop the tasks' history, and the admin's
        confirmation page would list every one of 100,000 items."""
        return False

    # `data-live` marks what static/tasks/cockpit_live.js updates in place from `task_progress` messages.
    @admin.display(description=_("status"))
    def status_display(self, obj):
        return format_html(
            '<span data-live="status" data-dataset-id="{}">{}</span>', obj.pk, selectors.status_of(obj).value
        )

    @admin.display(description=_("items"), ordering="item_count")
    def items_total(self, obj):
        return obj.item_count

    @admin.display(description=_("labeled"), ordering="labeled_count")
    def items_labeled(self, obj):
        return format_html('<span data-live="labeled" data-dataset-id="{}">{}</span>', obj.pk, obj.labeled_count)

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return progress_bar(obj.labeled_count, obj.item_count, dataset_id=obj.pk)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/assign/", wrap(self.assign_view), name=f"{prefix}_assign"),
            path("<int:pk>/download/<str:fmt>/", wrap(self.download_view), name=f"{prefix}_download"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**READ_ONLY_PAGE, **(extra_context or {})}
        dataset = self.get_object(request, object_id)
        if dataset is not None:
            extra_context["area_progress"] = selectors.area_progress(dataset)
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        """The upload form: a file through `datasets.services.upload_dataset`; any bad row refuses it all."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DatasetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                rows = services.read_upload_file(data["file"], filename=data["file"].name, fmt=data["format"] or None)
                dataset = services.upload_dataset(
                    name=data["name"],
                    task_type=data["task_type"],
                    source=data["source"],
                    rows=rows,
                    uploaded_by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error_text(error))
            else:
                self.message_user(
                    request,
                    _("Dataset “%(name)s” uploaded with %(count)d items.")
                    % {"name": dataset.name, "count": dataset.items.count()},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Upload a dataset"),
            "form": form,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/datasets/dataset/upload.html", context)

    def assign_view(self, request, pk: int):
        """ "Assign area to experts": area, experts in order (offered by area), notice, due time."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        dataset = get_object_or_404(Dataset, pk=pk)
        areas = selectors.unassigned_areas(dataset)
        area = request.GET.get("area") or request.POST.get("area") or (areas[0][0] if areas else None)
        # experts are offered by area; when nobody has that area, every expert is offered
        all_experts = request.GET.get("all_experts") == "1" or not active_experts().filter(area=area).exists()
        form = AssignAreaForm(request.POST or None, areas=areas, area=area, all_experts=all_experts)
        if dataset.closed_at is not None:
            self.message_user(request, _("This dataset is closed (已结束); reopen it first."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
        if not areas:
            self.message_user(request, _("Every item of this dataset is assigned."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                tasks = task_services.assign_area(
                    dataset=dataset,
                    area=data["area"],
                    experts=form.ordered_experts(),
                    notice=data["notice"],
                    due_time=data["due_time"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error_text(error))
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Area “%(area)s” assigned: %(count)d task created.",
                        "Area “%(area)s” assigned: %(count)d tasks created.",
                        len(tasks),
                    )
                    % {"area": data["area"], "count": len(tasks)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": dataset,
            "title": _("Assign an area of “%(name)s” to experts") % {"name": dataset.name},
            "form": form,
            "areas": selectors.area_progress(dataset),
            "area": area,
            "all_experts": all_experts,
        }
        return render(request, "admin/datasets/dataset/assign.html", context)

    def download_view(self, request, pk: int, fmt: str):
        """The dataset as JSON (the `/dataset/download` shape), JSON Lines or CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in exports.FORMATS:
            raise Http404
        dataset = get_object_or_404(Dataset, pk=pk)
        return exports.streaming_export(dataset, fmt, request=request)


class ReviewStateFilter(admin.SimpleListFilter):
    """The review queue: labeled items without a review decision, and the decided ones."""

    title = _("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("queue", _("To review (labeled, not reviewed)")),
            ("accepted", _("Accepted")),
            ("rejected", _("Rejected")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "queue":
            return queryset.filter(is_labeled=True, review_accept__isnull=True)
        if self.value() == "accepted":
            return queryset.filter(review_accept=True)
        if self.value() == "rejected":
            return queryset.filter(review_accept=False)
        return queryset


class CheckStateFilter(admin.SimpleListFilter):
    title = _("acceptance")
    parameter_name = "check"

    def lookups(self, request, model_admin):
        return [
            ("queue", _("To check (labeled, no decision)")),
            ("accepted", _("Accepted")),
            ("rejected", _("Rejected")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "queue":
            return queryset.filter(is_labeled=True, check_accept__isnull=True)
        if self.value() == "accepted":
            return queryset.filter(check_accept=True)
        if self.value() == "rejected":
            return queryset.filter(check_accept=False)
        return queryset


@admin.register(DataItem)
class DataItemAdmin(ManagersOnlyAdmin):
    """Items and the review queue; decisions go through tasks.services; the edit history is inline."""

    list_display = (
        "id",
        "dataset",
        "position",
        "area",
        "short_question",
        "task",
        "is_labeled",
        "returned",
        "review_accept",
        "review_score",
        "sampled",
        "check_accept",
        "check_score",
        "labeled_at",
    )
    list_filter = (
        ReviewStateFilter,
        CheckStateFilter,
        "is_labeled",
        "sampled",
        "returned",
        "area",
        ("dataset", admin.RelatedOnlyFieldListFilter),
        ("task", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("question", "labeled_question", "keyword", "area")
    list_select_related = ("dataset", "task", "task__expert")
    raw_id_fields = ("dataset", "task")
    ordering = ("dataset", "position")
    show_full_result_count = False
    actions = [
        decision_action("review", True),
        decision_action("review", False),
        decision_action("check", True),
        decision_action("check", False),
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Every field read-only, and the edit history: each save with its before and after, and each
        review or acceptance decision (tasks.selectors.item_history)."""
        extra_context = {**READ_ONLY_PAGE, **(extra_context or {})}
        item = self.get_object(request, object_id)
        if item is not None:
            extra_context["history"] = item_history(item)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_fields(self, request, obj=None):
        return [f.name for f in self.opts.concrete_fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("question"))
    def short_question(self, obj):
        text = obj.labeled_question or obj.question
        return text if len(text) <= 60 else text[:59] + "…"
