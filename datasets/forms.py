"""Forms of the datasets admin (qa-tasks.md §8): upload a file, assign an area to experts.

They check and shape input only; the admin views hand it to the same services as the REST endpoints
(`datasets.services.upload_dataset`, `tasks.services.assign_area`), which validate every row and write.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tasks.forms import ExpertChoiceField, FutureDateTimeField, OrderedExpertsMixin, active_experts
from tasks.services import NOTICE_MAX

FORMATS = [("", _("From the file name")), ("json", "JSON"), ("jsonl", "JSON Lines"), ("csv", "CSV")]


class DatasetUploadForm(forms.Form):
    name = forms.CharField(max_length=255, label=_("Name"))
    task_type = forms.CharField(max_length=100, label=_("Task type"))
    source = forms.CharField(max_length=255, label=_("Source"))
    file = forms.FileField(
        label=_("File"), help_text=_("A JSON array, JSON Lines (.jsonl) or CSV file; UTF-8."), allow_empty_file=False
    )
    format = forms.ChoiceField(choices=FORMATS, required=False, label=_("Format"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.QA_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MiB.") % {"size": limit // (1024 * 1024)}, code="too_large"
            )
        return upload

    def clean_name(self):
        return self._non_blank("name")

    def clean_task_type(self):
        return self._non_blank("task_type")

    def clean_source(self):
        return self._non_blank("source")

    def _non_blank(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise forms.ValidationError(_("This field is required."), code="required")
        return value


class AssignAreaForm(OrderedExpertsMixin):
    """`areas`: [(area, unassigned count)] of the dataset; experts offered are those of `area` unless
    `all_experts` (any active expert may be chosen: assignment does not require matching areas, §9)."""

    area = forms.ChoiceField(label=_("Area"))
    experts = ExpertChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple, label=_("Experts"))
    notice = forms.CharField(
        required=False, max_length=NOTICE_MAX, widget=forms.Textarea(attrs={"rows": 4}), label=_("Notice")
    )
    due_time = FutureDateTimeField(label=_("Due time"))

    field_order = ["area", "experts", "notice", "due_time", "expert_order"]

    def __init__(self, *args, areas: list[tuple[str, int]], area: str | None, all_experts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [
            (name, _("%(area)s (%(count)s not yet assigned)") % {"area": name, "count": count}) for name, count in areas
        ]
        experts = active_experts()
        if area and not all_experts:
            experts = experts.filter(area=area)
        self.fields["experts"].queryset = experts
        if area:
            self.fields["area"].initial = area
