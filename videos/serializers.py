"""Seed 000 clip output (videos.md §5.2, §5.5) and the OpenAPI shapes of the crowd endpoints.

Output is built by plain functions (the listings and get_all_labels write thousands of rows; a DRF
serializer per row would dominate their cost). The Serializer classes only document the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from rest_framework import serializers

from videos import states

PUBLIC_FIELDS = ("id", "file_name", "start_time", "camera_id", "view_id", "url_root", "url_part")
STATE_FIELDS = ("label_state", "label_state_admin")


def epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def batch_item(video_id: int, file_name: str, *, url_root: str) -> dict:
    """A clip in get_batch: no state, so gold clips cannot be told apart (§5.2)."""
    return {"id": video_id, "file_name": file_name, "url_root": url_root, "url_part": states.url_part(file_name)}


def listing_item(video, *, url_root: str, with_states: bool) -> dict:
    """A clip in a listing (§5.5 field sets); `video` is a Video or a values() dict."""
    get = video.get if isinstance(video, dict) else lambda name: getattr(video, name)
    item = {
        "id": get("id"),
        "file_name": get("file_name"),
        "start_time": epoch(get("start_time")),
        "camera_id": get("camera_id"),
        "view_id": get("view_id"),
        "url_root": url_root,
        "url_part": states.url_part(get("file_name")),
    }
    if with_states:
        item["label_state"] = get("label_state")
        item["label_state_admin"] = get("label_state_admin")
    return item


def all_labels_chunks(chunks: Iterable[list[dict]], *, url_root: str) -> Iterator[str]:
    """The get_all_labels document `{"data": [...]}` as text pieces, one per chunk of rows."""
    yield '{"data": ['
    first = True
    for rows in chunks:
        if not rows:
            continue
        text = ", ".join(json.dumps(listing_item(row, url_root=url_root, with_states=True)) for row in rows)
        yield text if first else ", " + text
        first = False
    yield "]}"


# --- OpenAPI shapes --------------------------------------------------------------------------------------


class UserTokenRequest(serializers.Serializer):
    user_token = serializers.CharField(required=False, help_text="From /api/v1/login (or the Bearer header).")


class BatchClip(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    url_root = serializers.CharField()
    url_part = serializers.CharField()


class BatchResponse(serializers.Serializer):
    data = BatchClip(many=True)
    video_token = serializers.CharField(help_text="Return it with the labels; valid from 5 s after issue, once.")


class BatchAnswer(serializers.Serializer):
    video_id = serializers.IntegerField()
    label = serializers.ChoiceField(choices=[0, 1], help_text="1 = smoke, 0 = no smoke")


class SendBatchRequest(serializers.Serializer):
    data = BatchAnswer(many=True)
    user_token = serializers.CharField(required=False)
    video_token = serializers.CharField()


class BatchScoreSerializer(serializers.Serializer):
    batch = serializers.IntegerField(allow_null=True)
    user = serializers.IntegerField(allow_null=True)
    raw = serializers.IntegerField(allow_null=True)


class SendBatchData(serializers.Serializer):
    score = BatchScoreSerializer()


class SendBatchResponse(serializers.Serializer):
    data = SendBatchData()


class LabelStateItem(serializers.Serializer):
    video_id = serializers.IntegerField()
    label = serializers.ChoiceField(choices=sorted(states.RESEARCHER_LABELS))


class SetLabelStateRequest(serializers.Serializer):
    data = LabelStateItem(many=True)
    user_token = serializers.CharField(required=False)


class ListingRequest(serializers.Serializer):
    user_token = serializers.CharField(required=False)
    pageNumber = serializers.IntegerField(required=False, help_text="Page, default 1 (alias page_number).")
    pageSize = serializers.IntegerField(
        required=False, help_text="Page size, default 16, at most 1000 (alias page_size)."
    )
    page_number = serializers.IntegerField(required=False)
    page_size = serializers.IntegerField(required=False)


class ListingClip(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    start_time = serializers.IntegerField(allow_null=True, help_text="Epoch seconds.")
    camera_id = serializers.IntegerField()
    view_id = serializers.IntegerField()
    url_root = serializers.CharField()
    url_part = serializers.CharField()
    label_state = serializers.IntegerField(required=False, help_text="Types 0/1, user-id mode and get_all_labels only.")
    label_state_admin = serializers.IntegerField(required=False)


class ListingResponse(serializers.Serializer):
    data = ListingClip(many=True)
    total = serializers.IntegerField()


class AllLabelsResponse(serializers.Serializer):
    data = ListingClip(many=True)


class StatisticsResponse(serializers.Serializer):
    num_all_videos = serializers.IntegerField()
    num_fully_labeled = serializers.IntegerField()
    num_partially_labeled = serializers.IntegerField()


class TutorialRequest(serializers.Serializer):
    action_type = serializers.IntegerField(min_value=0, max_value=4)
    query_type = serializers.IntegerField(min_value=0, max_value=2)
    user_token = serializers.CharField(required=False)
