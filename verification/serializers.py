"""The `/verify` document in and out.

Input: seed 003's document; numbers may arrive as strings (the seed's examples quote them), the
orchestrator as `orchestratorID` or `orchestrator_id`. The values a client sent are kept as sent, for
the echo (`uri`, `source`, `resolution`, `pixels` come back unchanged). Errors name the field with its
path, e.g. `renditions[1].resolution.height`. Output serializers describe the answer for the OpenAPI
schema; the document itself is built by `services` and stored with the job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from labelplatform.errors import InvalidInput

MAX_DIMENSION = 16384


class ResolutionIn(serializers.Serializer):
    height = serializers.IntegerField(min_value=1, max_value=MAX_DIMENSION)
    width = serializers.IntegerField(min_value=1, max_value=MAX_DIMENSION)


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class RenditionIn(serializers.Serializer):
    uri = serializers.CharField(max_length=2048, trim_whitespace=False)
    resolution = ResolutionIn(required=False)
    frame_rate = FiniteFloatField(required=False, min_value=0, max_value=1000, help_text="0: same as the source")
    pixels = serializers.IntegerField(required=False, min_value=1, help_text="expected width x height x frames")


class VerifyIn(serializers.Serializer):
    source = serializers.CharField(max_length=2048, trim_whitespace=False)
    renditions = RenditionIn(many=True, allow_empty=False)
    orchestratorID = serializers.CharField(required=False, allow_blank=True, max_length=255)  # noqa: N815
    orchestrator_id = serializers.CharField(required=False, allow_blank=True, max_length=255)


class VerifyMultipartIn(serializers.Serializer):
    json = serializers.CharField(help_text="The same document as the JSON form, as a string.")
    file1 = serializers.FileField(required=False, help_text="Files: any unique field names; filenames = URIs.")


@dataclass(frozen=True)
class RenditionRequest:
    uri: str
    sent: dict  # the rendition object as sent (for the echo of resolution / frame_rate / pixels)
    height: int | None
    width: int | None
    frame_rate: float | None  # None: not sent; 0: the source's
    pixels: int | None


@dataclass(frozen=True)
class VerifyRequest:
    source: str
    orchestrator_id: str | None
    renditions: tuple[RenditionRequest, ...]


def _first_error(errors, path: str = "") -> tuple[str, str]:
    """The first leaf of a DRF error tree, with its dotted/indexed field path."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                return _first_error(value, path)
            if value:
                if isinstance(key, int):
                    return _first_error(value, f"{path}[{key}]")
                return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list) and value:
                child = f"{path}[{index}]" if isinstance(value, dict) else path
                return _first_error(value, child)
            if not isinstance(value, dict | list):
                return path, str(value)
    return path, str(errors)


def parse_document(data, *, max_renditions: int) -> VerifyRequest:
    """Validate a `/verify` document; raises `InvalidInput` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    serializer = VerifyIn(data=data)
    if not serializer.is_valid():
        field, message = _first_error(serializer.errors)
        raise InvalidInput(f"{field}: {message}", field=field or "body")
    if len(data["renditions"]) > max_renditions:
        raise InvalidInput(f"renditions: at most {max_renditions} renditions per request", field="renditions")
    values = serializer.validated_data
    orchestrator = values.get("orchestratorID", values.get("orchestrator_id"))
    renditions = []
    for sent, valid in zip(data["renditions"], values["renditions"], strict=True):
        resolution = valid.get("resolution") or {}
        renditions.append(
            RenditionRequest(
                uri=valid["uri"],
                sent=sent,
                height=resolution.get("height"),
                width=resolution.get("width"),
                frame_rate=valid.get("frame_rate"),
                pixels=valid.get("pixels"),
            )
        )
    return VerifyRequest(source=values["source"], orchestrator_id=orchestrator, renditions=tuple(renditions))


# --- answers (for the schema; services build the documents) ------------------------------------------


class ResolutionOut(serializers.Serializer):
    height = serializers.JSONField(help_text="as sent")
    width = serializers.JSONField(help_text="as sent")
    height_pre_verification = serializers.FloatField(help_text="measured / expected; 1.0 = match")
    width_pre_verification = serializers.FloatField(help_text="measured / expected; 1.0 = match")


class RenditionOut(serializers.Serializer):
    uri = serializers.CharField(help_text="as sent")
    video_available = serializers.BooleanField()
    audio_available = serializers.BooleanField()
    fps = serializers.FloatField(required=False, help_text="measured")
    width = serializers.IntegerField(required=False, help_text="measured")
    height = serializers.IntegerField(required=False, help_text="measured")
    frame_rate = serializers.BooleanField(required=False, help_text="only if sent: measured fps within 0.1 of it")
    resolution = ResolutionOut(required=False, help_text="only if sent")
    pixels = serializers.JSONField(required=False, help_text="only if sent; as sent")
    pixels_pre_verification = serializers.FloatField(
        required=False, allow_null=True, help_text="expected / measured (W x H x frames); 1.0 = match"
    )
    ocsvm_dist = serializers.FloatField(required=False, help_text="signed distance; negative = outlier")
    tamper_ul = serializers.IntegerField(required=False, help_text="0/1, one-class model")
    tamper_sl = serializers.IntegerField(required=False, help_text="0/1, CatBoost model")
    tamper = serializers.IntegerField(required=False, help_text="0/1, final verdict (1 = tampered)")
    ssim_pred = serializers.FloatField(required=False, help_text="predicted SSIM to the source, 0..1")
    timestamps = serializers.ListField(
        child=serializers.FloatField(), required=False, help_text="source timestamps (s) compared"
    )


class VerifyOut(serializers.Serializer):
    orchestrator_id = serializers.CharField(allow_null=True)
    source = serializers.CharField(help_text="as sent")
    model = serializers.CharField(help_text="the verifier's model version id")
    results = RenditionOut(many=True)


class JobAcceptedOut(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    url = serializers.CharField(help_text="poll it with GET")


class JobErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False)


@extend_schema_field(VerifyOut)
class _ResultField(serializers.JSONField):
    pass


@extend_schema_field(JobErrorOut)
class _ErrorField(serializers.JSONField):
    pass


class JobOut(serializers.Serializer):
    """A job's state; `result` only when done, `error` only when failed."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    model = serializers.CharField(source="model_version", allow_blank=True)
    result = _ResultField(required=False, help_text="when done: the same document as a synchronous call")
    error = _ErrorField(required=False, help_text="when failed")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key in ("result", "error"):
            if data.get(key) is None:
                data.pop(key, None)
        return data
