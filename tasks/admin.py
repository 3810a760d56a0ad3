"""Tasks in the managers' admin cockpit (qa-tasks.md §4.3-4.5, §6, §8).

Managers (and superusers) only. Urge, hand over, extend the due time, draw acceptance samples and
decide sampled items through `tasks.services`, the functions the REST endpoints call.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, F, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import managers_only
from labelplatform.errors import DomainError
from tasks import services
from tasks.forms import DecisionForm, ExtendDueTimeForm, HandOverForm, SampleForm
from tasks.models import Task
from tasks.selectors import sample_rounds
from tasks.statuses import manager_status

# Change pages in this cockpit are read-only: every change goes through an action (a service).
READ_ONLY_PAGE = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}


def refusal(error: DomainError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


def action_form(modeladmin, request, queryset, *, form_class, action: str, title, submit_label, intro=None, apply):
    """Django's intermediate-page pattern: show `form_class`; once posted valid (`apply` set), run
    `apply(form)` and return to the list. The selected rows travel as `_selected_action`."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        apply(form)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": title,
        "intro": intro,
        "form": form,
        "queryset": queryset,
        "action": action,
        "submit_label": submit_label,
    }
    return render(request, "admin/tasks/action_form.html", context)


def _run_each(modeladmin, request, objects, call, done_message) -> int:
    """Call the service once per object (one transaction each); refusals are listed, not fatal."""
    done = 0
    for obj in objects:
        try:
            call(obj)
            done += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {refusal(error)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message(done), messages.SUCCESS)
    return done


def decision_action(kind: str, accept: bool):
    """Review (`review`) or acceptance (`check`) accept / reject of items, with comment and score."""
    service = services.review_item if kind == "review" else services.check_item
    verb = {
        ("review", True): _("Review: accept"),
        ("review", False): _("Review: reject (send back)"),
        ("check", True): _("Acceptance: accept"),
        ("check", False): _("Acceptance: reject (send back)"),
    }[(kind, accept)]
    name = f"{kind}_{'accept' if accept else 'reject'}"

    def action(modeladmin, request, queryset):
        def apply(form):
            data = form.cleaned_data
            _run_each(
                modeladmin,
                request,
                queryset.select_related("task"),
                lambda item: service(
                    item=item, accept=accept, comment=data["comment"], score=data["score"] or None, by=request.user
                ),
                lambda n: ngettext("%d item decided.", "%d items decided.", n) % n,
            )

        return action_form(
            modeladmin,
            request,
            queryset,
            form_class=DecisionForm,
            action=name,
            title=verb,
            submit_label=verb,
            intro=None if accept else _("Rejected items go back to their expert as unlabeled, with your comment."),
            apply=apply,
        )

    action.__name__ = name
    action.short_description = verb
    return action


class TaskStatusFilter(admin.SimpleListFilter):
    """The manager's statuses (§4.5), first match wins: 已完成, 超时, 已分配, 标注中."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("已分配", "已分配"), ("标注中", "标注中"), ("超时", "超时"), ("已完成", "已完成")]

    def queryset(self, request, queryset):
        now = timezone.now()
        complete = Q(n_total__gt=0, n_done=F("n_total"))
        value = self.value()
        if value == "已完成":
            return queryset.filter(complete)
        if value == "超时":
            return queryset.exclude(complete).filter(due_time__lt=now)
        if value == "已分配":
            return queryset.exclude(complete).filter(due_time__gte=now, n_done=0)
        if value == "标注中":
            return queryset.exclude(complete).filter(due_time__gte=now, n_done__gt=0)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue with unfinished items")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        late = Q(due_time__lt=timezone.now(), n_done__lt=F("n_total"))
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class UrgedFilter(admin.SimpleListFilter):
    title = _("urged")
    parameter_name = "urged"

    def lookups(self, request, model_admin):
        return [("now", _("Urged, not yet complete")), ("ever", _("Urged at least once")), ("never", _("Never urged"))]

    def queryset(self, request, queryset):
        if self.value() == "now":
            return queryset.filter(is_highlight=True, n_done__lt=F("n_total"))
        if self.value() == "ever":
            return queryset.filter(urge_count__gt=0)
        if self.value() == "never":
            return queryset.filter(urge_count=0)
        return queryset


@admin.action(description=_("Urge"))
def urge(modeladmin, request, queryset):
    _run_each(
        modeladmin,
        request,
        queryset,
        lambda task: services.urge_task(task=task, by=request.user),
        lambda n: ngettext("%d task urged.", "%d tasks urged.", n) % n,
    )


@admin.action(description=_("Hand over"))
def hand_over(modeladmin, request, queryset):
    def apply(form):
        data = form.cleaned_data
        _run_each(
            modeladmin,
            request,
            queryset,
            lambda task: services.hand_over_task(
                task=task,
                experts=form.ordered_experts(),
                notice=data["notice"] or None,
                due_time=data["due_time"],
                by=request.user,
            ),
            lambda n: ngettext("%d task handed over.", "%d tasks handed over.", n) % n,
        )

    return action_form(
        modeladmin,
        request,
        queryset,
        form_class=HandOverForm,
        action="hand_over",
        title=_("Hand over tasks"),
        submit_label=_("Hand over"),
        intro=_("Finished items stay on the old task; unfinished items move to new tasks of these experts."),
        apply=apply,
    )


@admin.action(description=_("Extend due time"))
def extend_due_time(modeladmin, request, queryset):
    def apply(form):
        _run_each(
            modeladmin,
            request,
            queryset,
            lambda task: services.extend_due_time(task=task, due_time=form.cleaned_data["due_time"], by=request.user),
            lambda n: ngettext("%d due time extended.", "%d due times extended.", n) % n,
        )

    return action_form(
        modeladmin,
        request,
        queryset,
        form_class=ExtendDueTimeForm,
        action="extend_due_time",
        title=_("Extend due time"),
        submit_label=_("Extend"),
        apply=apply,
    )


@admin.action(description=_("Draw acceptance sample"))
def draw_sample(modeladmin, request, queryset):
    def apply(form):
        data = form.cleaned_data
        _run_each(
            modeladmin,
            request,
            queryset,
            lambda task: services.draw_sample(task=task, rate=data["rate"], count=data["count"], by=request.user),
            lambda n: ngettext("Sample drawn for %d task.", "Samples drawn for %d tasks.", n) % n,
        )

    return action_form(
        modeladmin,
        request,
        queryset,
        form_class=SampleForm,
        action="draw_sample",
        title=_("Draw acceptance sample"),
        submit_label=_("Draw"),
        intro=_("Picks labeled, not yet sampled items of each task uniformly at random."),
        apply=apply,
    )


def _decide_sampled_action(accept: bool):
    verb = _("Accept all sampled") if accept else _("Reject all sampled (send back)")
    name = "accept_all_sampled" if accept else "reject_all_sampled"

    def action(modeladmin, request, queryset):
        def apply(form):
            data = form.cleaned_data
            _run_each(
                modeladmin,
                request,
                queryset,
                lambda task: services.decide_sampled(
                    task=task, accept=accept, comment=data["comment"], score=data["score"] or None, by=request.user
                ),
                lambda n: ngettext("Sampled items of %d task decided.", "Sampled items of %d tasks decided.", n) % n,
            )

        return action_form(
            modeladmin,
            request,
            queryset,
            form_class=DecisionForm,
            action=name,
            title=verb,
            submit_label=verb,
            apply=apply,
        )

    action.__name__ = name
    action.short_description = verb
    return action


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "dataset",
        "area",
        "expert",
        "status_display",
        "progress",
        "due_time",
        "is_highlight",
        "urge_count",
        "original",
        "assigned_at",
    )
    list_filter = (
        TaskStatusFilter,
        OverdueFilter,
        UrgedFilter,
        ("dataset", admin.RelatedOnlyFieldListFilter),
        ("expert", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("area", "expert__username", "dataset__name", "notice")
    list_select_related = ("dataset", "expert", "original")
    ordering = ("-assigned_at", "-id")
    readonly_fields = (
        "dataset",
        "area",
        "expert",
        "notice",
        "due_time",
        "assigned_by",
        "assigned_at",
        "original",
        "handed_over_at",
        "handed_over_by",
        "is_highlight",
        "urged_at",
        "urge_count",
        "overdue_notified_at",
        "status_display",
        "progress",
    )
    fields = readonly_fields
    actions = [
        urge,
        hand_over,
        extend_due_time,
        draw_sample,
        _decide_sampled_action(True),
        _decide_sampled_action(False),
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The task's acceptance samples with their pass rates (accepted ÷ decided, and unchecked)."""
        extra_context = {**READ_ONLY_PAGE, **(extra_context or {})}
        task = self.get_object(request, object_id)
        if task is not None:
            extra_context["sample_rounds"] = sample_rounds(task)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_total=Count("items"), n_done=Count("items", filter=Q(items__is_labeled=True)))
        )

    # `data-live` marks what static/tasks/cockpit_live.js updates in place from `task_progress` messages.
    @admin.display(description=_("status"))
    def status_display(self, obj):
        status = manager_status(done=obj.n_done, total=obj.n_total, due_time=obj.due_time, now=timezone.now())
        return format_html('<span data-live="status" data-task-id="{}">{}</span>', obj.pk, status.value)

    @admin.display(description=_("progress"), ordering="n_done")
    def progress(self, obj):
        """The bar links to the task's items (the review queue filtered to this task)."""
        return format_html(
            '<a href="{}?{}" title="{}" data-live="progress" data-task-id="{}">'
            '<progress max="{}" value="{}" style="width:90px"></progress> <span data-count>{} / {}</span></a>',
            reverse("admin:datasets_dataitem_changelist"),
            # dataset and area too: with the task they are the prefix of the items' task index
            urlencode({"dataset__id__exact": obj.dataset_id, "area__exact": obj.area, "task__id__exact": obj.pk}),
            _("Items of this task"),
            obj.pk,
            obj.n_total or 1,
            obj.n_done,
            obj.n_done,
            obj.n_total,
        )

    def has_module_permission(self, request):
        return managers_only(request)

    def has_view_permission(self, request, obj=None):
        return managers_only(request)

    def has_change_permission(self, request, obj=None):
        return managers_only(request)

    def has_add_permission(self, request):
        return False  # tasks come from "Assign area to experts" and "Hand over"

    def has_delete_permission(self, request, obj=None):
        return False  # the history of a dataset (已移交, original_id) must stay whole
