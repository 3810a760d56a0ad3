"""Forms of the managers' admin cockpit (qa-tasks.md §8): they only check and shape input; every write
goes through `tasks.services`, the same functions as the REST endpoints."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts.models import User
from datasets.models import SCORES as SCORE_LETTERS
from tasks.services import COMMENT_MAX, NOTICE_MAX

SCORES = [("", "—"), *((letter, letter) for letter in SCORE_LETTERS)]


def active_experts():
    """The experts a manager can assign work to (accounts.selectors), by name for the forms' lists."""
    return account_selectors.active_experts().order_by("username")


class ExpertChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.username} ({obj.area})" if obj.area else obj.username


class FutureDateTimeField(forms.DateTimeField):
    """A due time: browser `datetime-local` input, read in the platform's zone, later than now."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def clean(self, value):
        value = super().clean(value)
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("The due time must be later than now."), code="past")
        return value


class OrderedExpertsMixin(forms.Form):
    """Experts ticked in a list; `expert_order` (filled by static/tasks/assign.js) keeps the order in which
    they were ticked, which decides who gets the remainder of an uneven split. Without it: listed order."""

    expert_order = forms.CharField(required=False, widget=forms.HiddenInput)

    def ordered_experts(self) -> list[User]:
        chosen = list(self.cleaned_data["experts"])
        by_id = {str(user.pk): user for user in chosen}
        order = [part for part in (self.cleaned_data.get("expert_order") or "").split(",") if part in by_id]
        ordered = [by_id[part] for part in dict.fromkeys(order)]
        return ordered + [user for user in chosen if user not in ordered]


class HandOverForm(OrderedExpertsMixin):
    experts = ExpertChoiceField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Experts"),
        help_text=_("The unfinished items are split among them, in the order ticked."),
    )
    notice = forms.CharField(
        required=False,
        max_length=NOTICE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Notice"),
        help_text=_("Leave empty to keep the old task's notice."),
    )
    due_time = FutureDateTimeField(label=_("Due time"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].queryset = active_experts()


class ExtendDueTimeForm(forms.Form):
    due_time = FutureDateTimeField(
        label=_("New due time"), help_text=_("The task may be reported overdue again after this time.")
    )


class DecisionForm(forms.Form):
    """A review or acceptance decision on labeled items."""

    comment = forms.CharField(
        required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3}), label=_("Comment")
    )
    score = forms.ChoiceField(choices=SCORES, required=False, label=_("Score"))


class SampleForm(forms.Form):
    """Acceptance sampling: a rate in (0, 1] of the labeled, not yet sampled items, or a count."""

    rate = forms.FloatField(
        required=False, min_value=0.0, max_value=1.0, label=_("Rate"), help_text=_("For example 0.1 for 10 %.")
    )
    count = forms.IntegerField(required=False, min_value=1, label=_("Count"))

    def clean(self):
        cleaned = super().clean()
        rate, count = cleaned.get("rate"), cleaned.get("count")
        if self.errors:
            return cleaned
        if (rate is None) == (count is None):
            raise forms.ValidationError(_("Give either a rate or a count."), code="one_of")
        if rate is not None and rate <= 0:
            self.add_error("rate", _("The rate must be greater than 0."))
        return cleaned
