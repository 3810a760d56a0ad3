"""The videos admin (videos.md §7.5) for managers and researchers; the labelers (users) pages for managers.

Every change goes through `videos.services` / `accounts.services`, the same functions the API and the
commands call: a researcher state set here is a `Label` row by the acting admin, exactly like
`set_label_state`. No model form ever saves a clip or a profile row directly (states and scores are
server-owned and hot rows), so the forms only collect a choice and hand it to a service.

- Videos: list, filters, search, actions; the clip page plays the clip (320 and 180 pixels) and shows
  its full label history, and offers the same state change as the actions.
- Labelers: each labeler's client id and type, score, raw score, tutorial, batches passed and failed;
  client-type actions; the labeler page lists their batches and labels.
- Labels, batches, views, tutorial records: read-only lists for audit.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.admin import managers_only
from accounts.models import ClientType
from labelplatform.errors import DomainError
from videos import selectors, services, states
from videos.models import Batch, Label, LabelerProfile, Tutorial, Video, View
from videos.pages import CLIENT_TYPE_TITLES, STATE_TITLES

S = states.LabelState
# "Set researcher state: ..." actions (§7.5), in the order the spec lists them.
RESEARCHER_STATE_ACTIONS = (
    (S.GOLD_POS, _("Gold Pos")),
    (S.GOLD_NEG, _("Gold Neg")),
    (S.STRONG_POS, _("Strong Pos")),
    (S.STRONG_NEG, _("Strong Neg")),
    (S.WEAK_POS, _("Weak Pos")),
    (S.WEAK_NEG, _("Weak Neg")),
    (S.BAD, _("Bad")),
    (S.NO_DATA, _("No Data")),
)
# The final label's names in the reader's language (a clip's column, the filter's choices).
FINAL_LABEL_TITLES = {
    states.FinalLabel.POSITIVE: _("positive"),
    states.FinalLabel.NEGATIVE: _("negative"),
    states.FinalLabel.UNDECIDED: _("undecided"),
    states.FinalLabel.NONE: _("gold or bad"),
}
MARK_BAD_BOTH = "bad-both"
HISTORY_LIMIT = 500  # label rows shown on a clip page (a clip has a handful; the cap keeps the page small)
RECENT_LIMIT = 50  # batches / labels shown on a labeler page


def _interpolate(message, values: dict) -> str:
    return str(message) % values


# `gettext_lazy(...) % {...}` would translate at import; this waits for the request's language.
interpolate_lazy = lazy(_interpolate, str)


def clip_url(video: Video, size: int = 180) -> str:
    """Where the clip plays (the API's `url_root` + `url_part`, at `size` pixels; videos.md §6.5)."""
    return states.variant_url(selectors.url_root() + video.url_part, size)


def _state_name(code: int | None) -> str:
    if code is None:
        return "–"
    return str(STATE_TITLES.get(code, code))


def _label_name(label: Label) -> str:
    """A batch answer is 0/1; a researcher's row holds the requested code."""
    if label.batch_id is not None:
        return gettext("yes (smoke)") if label.label == 1 else gettext("no")
    if label.label in (0, 1):
        meaning = gettext("yes → %(state)s") if label.label == 1 else gettext("no → %(state)s")
        return meaning % {"state": _state_name(states.researcher_transition(label.label))}
    return gettext("set %(state)s") % {"state": _state_name(label.label)}


def _report(modeladmin, request, action):
    """Run `action()`; a domain error becomes an admin message instead of a 500."""
    try:
        return action()
    except DomainError as exc:
        modeladmin.message_user(request, str(exc), messages.ERROR)
        return None


# --- videos --------------------------------------------------------------------------------------------


def _state_action(state: int, name):
    def action(modeladmin, request, queryset: QuerySet[Video]):
        ids = list(queryset.values_list("pk", flat=True))
        count = _report(
            modeladmin, request, lambda: services.set_researcher_state(user=request.user, video_ids=ids, state=state)
        )
        if count is not None:
            message = ngettext(
                "%(count)d clip now has researcher state %(name)s.",
                "%(count)d clips now have researcher state %(name)s.",
                count,
            )
            modeladmin.message_user(request, message % {"count": count, "name": name}, messages.SUCCESS)

    action.__name__ = f"set_researcher_state_{state}".replace("-", "minus_")
    action.short_description = interpolate_lazy(_("Set researcher state: %(name)s"), {"name": name})
    action.allowed_permissions = ("change",)
    return action


def mark_bad_recorded(*, user, video_ids: list[int]) -> int:
    """ "Mark as bad (both columns)" from the admin: the researcher decision Bad through `set_label_state`
    (a Label row by the acting admin, so it shows in the clip's history), then `mark_videos_bad` for the
    citizens' column; one transaction. (`mark_bad_videos`, the command, writes no Label rows: §7.2.)"""
    with transaction.atomic():
        services.set_researcher_state(user=user, video_ids=video_ids, state=int(S.BAD))
        return services.mark_videos_bad(video_ids=video_ids)


@admin.action(description=_("Mark as bad (both columns)"), permissions=["change"])
def mark_bad(modeladmin, request, queryset: QuerySet[Video]):
    ids = list(queryset.values_list("pk", flat=True))
    count = _report(modeladmin, request, lambda: mark_bad_recorded(user=request.user, video_ids=ids))
    if count is not None:
        message = ngettext("%(count)d clip marked as bad.", "%(count)d clips marked as bad.", count)
        modeladmin.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.action(description=_("Mark similar clips as bad"), permissions=["change"])
def mark_similar_bad(modeladmin, request, queryset: QuerySet[Video]):
    """The `mark_bad_videos` rule (same region, same day) for each selected clip, recorded like "Mark as bad"."""
    ids: set[int] = set()
    for video in queryset.order_by("pk"):
        ids.update(selectors.similar_to_video(video).values_list("pk", flat=True))
    count = _report(modeladmin, request, lambda: mark_bad_recorded(user=request.user, video_ids=sorted(ids)))
    if count is not None:
        message = ngettext(
            "%(count)d clip similar to the selection marked as bad.",
            "%(count)d clips similar to the selection marked as bad.",
            count,
        )
        modeladmin.message_user(request, message % {"count": count}, messages.SUCCESS)


class FinalLabelFilter(admin.SimpleListFilter):
    title = _("final label")
    parameter_name = "final"

    def lookups(self, request, model_admin):
        return [(final.value, title) for final, title in FINAL_LABEL_TITLES.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "positive":
            return queryset.filter(selectors.FINAL_POSITIVE)
        if value == "negative":
            return queryset.filter(selectors.FINAL_NEGATIVE)
        if value == "undecided":
            return queryset.filter(selectors.NOT_EXCLUDED).exclude(selectors.FINAL_POSITIVE | selectors.FINAL_NEGATIVE)
        if value == "none":
            return queryset.filter(label_state_admin__in=states.EXCLUDED)
        return queryset


class VideoStateForm(forms.ModelForm):
    """The clip page's one writable control: a researcher decision, applied through the services."""

    new_state = forms.ChoiceField(
        label=_("Change researcher state"),
        required=False,
        choices=[("", _("— keep —"))]
        + [
            (str(int(code)), interpolate_lazy(_("Set researcher state: %(name)s"), {"name": name}))
            for code, name in RESEARCHER_STATE_ACTIONS
        ]
        + [(MARK_BAD_BOTH, _("Mark as bad (both columns)"))],
        help_text=_("Recorded in the label history as a label by you."),
    )

    class Meta:
        model = Video
        fields: list[str] = []


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    form = VideoStateForm
    list_display = (
        "id",
        "file_name",
        "camera_id",
        "view_id",
        "start_time",
        "citizen_state",
        "researcher_state",
        "final_label",
        "label_update_time",
    )
    list_filter = ("label_state", "label_state_admin", FinalLabelFilter, "camera_id", "view_id")
    search_fields = ("file_name",)
    ordering = ("-id",)
    show_full_result_count = False
    list_per_page = 50
    actions = [*(_state_action(int(code), name) for code, name in RESEARCHER_STATE_ACTIONS), mark_bad, mark_similar_bad]
    readonly_fields = (
        "player",
        "file_name",
        "citizen_state",
        "researcher_state",
        "final_label",
        "label_update_time",
        "start_time",
        "end_time",
        "camera_id",
        "view_id",
        "left",
        "top",
        "width",
        "height",
        "scale",
        "source_url",
    )
    fieldsets = (
        (None, {"fields": ("player", "file_name", "new_state")}),
        (_("Labels"), {"fields": ("citizen_state", "researcher_state", "final_label", "label_update_time")}),
        (
            _("Clip"),
            {"fields": ("start_time", "end_time", "camera_id", "view_id", "left", "top", "width", "height", "scale")},
        ),
        (_("Source"), {"classes": ("collapse",), "fields": ("source_url",)}),
    )

    @admin.display(description=_("citizen state"), ordering="label_state")
    def citizen_state(self, video: Video) -> str:
        return _state_name(video.label_state)

    @admin.display(description=_("researcher state"), ordering="label_state_admin")
    def researcher_state(self, video: Video) -> str:
        return _state_name(video.label_state_admin)

    @admin.display(description=_("final label"))
    def final_label(self, video: Video) -> str:
        return str(FINAL_LABEL_TITLES[video.final_label])

    @admin.display(description=_("clip"))
    def player(self, video: Video) -> str:
        return format_html(
            '<video data-testid="clip-player" src="{}" width="320" height="320" controls loop muted autoplay '
            'playsinline preload="metadata"></video><p><a href="{}">320 px</a> · <a href="{}">180 px</a></p>',
            clip_url(video, 320),
            clip_url(video, 320),
            clip_url(video, 180),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The clip page: the player (a read-only field) and the full label history below the form."""
        video = selectors.video_by_id(int(object_id)) if str(object_id).isdigit() else None
        extra = dict(extra_context or {})
        if video is not None:
            link_users = managers_only(request)
            extra["label_history"] = [
                {
                    "time": label.time,
                    "user": label.user.get_username(),
                    "user_url": reverse("admin:videos_labelerprofile_change", args=[label.user_id])
                    if link_users
                    else None,
                    "source": gettext("batch %(id)s") % {"id": label.batch_id}
                    if label.batch_id
                    else gettext("researcher decision"),
                    "label": label.label,
                    "meaning": _label_name(label),
                }
                for label in selectors.label_history(video)[:HISTORY_LIMIT]
            ]
            extra["label_history_limit"] = HISTORY_LIMIT
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def has_add_permission(self, request):
        return False  # clips arrive through `import_videos` (or the demo data)

    def has_delete_permission(self, request, obj=None):
        return False  # clips keep their history; bad clips are marked, never deleted

    def save_model(self, request, obj, form, change):
        """Never saves the row itself: the chosen decision goes through the services."""
        choice = form.cleaned_data.get("new_state")
        if not choice:
            return
        if choice == MARK_BAD_BOTH:
            done = _report(self, request, lambda: mark_bad_recorded(user=request.user, video_ids=[obj.pk]))
        else:
            done = _report(
                self,
                request,
                lambda: services.set_researcher_state(user=request.user, video_ids=[obj.pk], state=int(choice)),
            )
        obj.refresh_from_db()
        if done is None:
            return

    def save_related(self, request, form, formsets, change):
        return None

    def log_change(self, request, obj, message):
        return None  # the Label rows are the history; the admin log would duplicate them


# --- labelers ----------------------------------------------------------------------------------------------


def _client_type_name(client_type: ClientType):
    return _("blacklist") if client_type == ClientType.BLACKLISTED else CLIENT_TYPE_TITLES[client_type]


def _client_type_action(client_type: ClientType):
    def action(modeladmin, request, queryset: QuerySet[LabelerProfile]):
        count = 0
        for profile in queryset.select_related("user"):
            if _report(
                modeladmin,
                request,
                lambda profile=profile: account_services.set_client_type(user=profile.user, client_type=client_type),
            ):
                count += 1
        message = ngettext(
            "%(count)d labeler now has client type %(name)s.",
            "%(count)d labelers now have client type %(name)s.",
            count,
        )
        name = _client_type_name(client_type)
        modeladmin.message_user(request, message % {"count": count, "name": name}, messages.SUCCESS)

    action.__name__ = f"set_client_type_{int(client_type)}".replace("-", "minus_")
    action.short_description = interpolate_lazy(
        _("Set client type: %(name)s"), {"name": _client_type_name(client_type)}
    )
    return action


class ScoreFilter(admin.SimpleListFilter):
    title = _("score")
    parameter_name = "score_range"
    RANGES = {"0": (0, 0), "1-99": (1, 99), "100-999": (100, 999), "1000+": (1000, None)}

    def lookups(self, request, model_admin):
        return [(key, key) for key in self.RANGES]

    def queryset(self, request, queryset):
        bounds = self.RANGES.get(self.value())
        if bounds is None:
            return queryset
        low, high = bounds
        queryset = queryset.filter(score__gte=low)
        return queryset if high is None else queryset.filter(score__lte=high)


class LabelerForm(forms.ModelForm):
    """Score corrections go through `services.set_labeler_scores` (never a plain save of the row)."""

    class Meta:
        model = LabelerProfile
        fields = ("score", "raw_score")


@admin.register(LabelerProfile)
class LabelerAdmin(admin.ModelAdmin):
    """The users pages of the videos app: managers only (§7.5)."""

    form = LabelerForm
    list_display = (
        "user",
        "client_id",
        "client_type",
        "score",
        "raw_score",
        "best_tutorial_action",
        "batches_passed",
        "batches_failed",
    )
    list_filter = ("user__client_type", ScoreFilter, "best_tutorial_action", "user__is_active")
    search_fields = ("user__username", "user__client_id", "user__email")
    ordering = ("-score", "user_id")
    list_select_related = ("user",)
    actions = [_client_type_action(ct) for ct in ClientType]
    readonly_fields = (
        "user_link",
        "client_id",
        "client_type",
        "best_tutorial_action",
        "summary",
        "recent_batches",
        "recent_labels",
    )
    fieldsets = (
        (None, {"fields": ("user_link", "client_id", "client_type")}),
        (_("Scores"), {"fields": ("score", "raw_score", "best_tutorial_action", "summary")}),
        (_("Activity"), {"fields": ("recent_batches", "recent_labels")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                passed_count=Count("user__video_batches", filter=Q(user__video_batches__score__gt=0)),
                failed_count=Count("user__video_batches", filter=Q(user__video_batches__score=0)),
            )
        )

    @admin.display(description=_("user"), ordering="user__username")
    def user_link(self, profile: LabelerProfile) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[profile.user_id]), profile.user
        )

    @admin.display(description=_("client id"), ordering="user__client_id")
    def client_id(self, profile: LabelerProfile) -> str:
        return profile.user.client_id or "–"

    @admin.display(description=_("client type"), ordering="user__client_type")
    def client_type(self, profile: LabelerProfile) -> str:
        return str(CLIENT_TYPE_TITLES[ClientType(profile.user.client_type)])

    @admin.display(description=_("batches passed"), ordering="passed_count")
    def batches_passed(self, profile) -> int:
        return profile.passed_count

    @admin.display(description=_("batches failed"), ordering="failed_count")
    def batches_failed(self, profile) -> int:
        return profile.failed_count

    @admin.display(description=_("activity"))
    def summary(self, profile: LabelerProfile) -> str:
        s = selectors.labeler_summary(profile.user)
        failed = Batch.objects.filter(user=profile.user, score=0).count()
        return format_html(
            '<dl data-testid="labeler-summary"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>'
            "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
            gettext("batches issued"),
            s.batches_issued,
            gettext("batches returned"),
            s.batches_returned,
            gettext("batches passed"),
            s.batches_passed,
            gettext("batches failed"),
            failed,
            gettext("labels"),
            s.labels,
        )

    @admin.display(description=interpolate_lazy(_("latest %(count)d batches"), {"count": RECENT_LIMIT}))
    def recent_batches(self, profile: LabelerProfile) -> str:
        rows = list(selectors.batches_of_user(profile.user)[:RECENT_LIMIT])
        if not rows:
            return gettext("No batches yet.")

        def outcome(batch: Batch) -> str:
            if batch.return_time is None:
                return gettext("not returned")
            if batch.score is None:
                return gettext("researcher batch")
            return gettext("passed (+%(score)d)") % {"score": batch.score} if batch.score > 0 else gettext("failed")

        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    batch.pk,
                    batch.request_time.strftime("%Y-%m-%d %H:%M:%S"),
                    batch.return_time.strftime("%Y-%m-%d %H:%M:%S") if batch.return_time else "–",
                    outcome(batch),
                    "–" if batch.user_score is None else f"{batch.user_score} / {batch.user_raw_score}",
                )
                for batch in rows
            ),
        )
        return format_html(
            '<table data-testid="labeler-batches"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("batch"),
            gettext("issued"),
            gettext("returned"),
            gettext("outcome"),
            gettext("score / raw before"),
            body,
        )

    @admin.display(description=interpolate_lazy(_("latest %(count)d labels"), {"count": RECENT_LIMIT}))
    def recent_labels(self, profile: LabelerProfile) -> str:
        rows = list(selectors.labels_of_user(profile.user)[:RECENT_LIMIT])
        if not rows:
            return gettext("No labels yet.")
        body = format_html_join(
            "",
            "<tr><td>{}</td><td><a href='{}'>{}</a></td><td>{}</td></tr>",
            (
                (
                    label.time.strftime("%Y-%m-%d %H:%M:%S"),
                    reverse("admin:videos_video_change", args=[label.video_id]),
                    label.video.file_name,
                    _label_name(label),
                )
                for label in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("time"),
            gettext("clip"),
            gettext("label"),
            body,
        )

    def save_model(self, request, obj, form, change):
        if not form.changed_data:
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ("score", "raw_score")}
        _report(self, request, lambda: services.set_labeler_scores(user=obj.user, **changes))

    def has_module_permission(self, request):
        return managers_only(request)

    def has_view_permission(self, request, obj=None):
        return managers_only(request)

    def has_change_permission(self, request, obj=None):
        return managers_only(request)

    def has_add_permission(self, request):
        return False  # created with the labeler (login, first batch or tutorial record)

    def has_delete_permission(self, request, obj=None):
        return False


# --- audit lists ---------------------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Label)
class LabelAdmin(ReadOnlyAdmin):
    list_display = ("id", "time", "video", "user", "batch", "label")
    list_filter = ("label",)
    search_fields = ("=video__id", "video__file_name", "user__username", "user__client_id")
    list_select_related = ("video", "user")
    raw_id_fields = ("video", "user", "batch")
    ordering = ("-id",)


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "client_type", "request_time", "return_time", "score", "user_score", "user_raw_score")
    list_filter = ("client_type", ("return_time", admin.EmptyFieldListFilter))
    search_fields = ("=id", "user__username", "user__client_id")
    list_select_related = ("user",)
    raw_id_fields = ("user", "connection")
    ordering = ("-id",)


@admin.register(View)
class ViewAdmin(ReadOnlyAdmin):
    list_display = ("id", "time", "connection", "video", "query_type")
    list_filter = ("query_type",)
    search_fields = ("=video__id", "connection__user__username")
    list_select_related = ("connection__user", "video")
    raw_id_fields = ("connection", "video")
    ordering = ("-id",)


@admin.register(Tutorial)
class TutorialAdmin(ReadOnlyAdmin):
    list_display = ("id", "time", "user", "action_type", "query_type")
    list_filter = ("action_type", "query_type")
    search_fields = ("user__username", "user__client_id")
    list_select_related = ("user",)
    raw_id_fields = ("user", "connection")
    ordering = ("-id",)
