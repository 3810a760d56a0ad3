"""Every seed 000 endpoint × every caller: anonymous, layperson (3), amateur (2), expert labeler (1),
researcher (0), blacklisted (-1): the documented status and field set (videos.md §4, §5)."""

from __future__ import annotations

import pytest

from tests.videos.conftest import log_in
from tests.videos.factories import VideoFactory, gold_videos
from tests.videos.helpers import post
from videos.models import Batch, Label, Tutorial

pytestmark = pytest.mark.django_db

BASIC = {"id", "file_name", "start_time", "camera_id", "view_id", "url_root", "url_part"}
FULL = BASIC | {"label_state", "label_state_admin"}
CALLERS = ["anonymous", 3, 2, 1, 0, -1]
PUBLIC = ["get_pos_labels", "get_neg_labels", "get_maybe_pos_labels", "get_maybe_neg_labels", "get_discorded_labels"]
DASHBOARD = [
    "get_pos_gold_labels",
    "get_neg_gold_labels",
    "get_pos_labels_by_researcher",
    "get_neg_labels_by_researcher",
    "get_pos_labels_by_citizen",
    "get_neg_labels_by_citizen",
    "get_bad_labels",
    "get_all_labels",
]


@pytest.fixture
def world(db):
    gold_videos(3, 3)
    VideoFactory.create_batch(20)
    for c, a in [(23, -1), (16, -1), (5, -1), (4, -1), (3, -1), (-1, 23), (-1, 16), (23, -2)]:
        VideoFactory(label_state=c, label_state_admin=a)


def _token(caller):
    return None if caller == "anonymous" else log_in(caller)[1]["user_token"]


def _body(token, **extra):
    return {**({"user_token": token} if token else {}), **extra}


def _fields(response) -> set:
    if getattr(response, "streaming", False):
        import json

        return set(json.loads(b"".join(response.streaming_content))["data"][0])
    return set(response.json()["data"][0])


@pytest.mark.parametrize("caller", CALLERS)
def test_listings(client, world, caller):
    token = _token(caller)
    for name in PUBLIC:
        response = post(client, f"/api/v1/{name}", _body(token), form=True)
        if caller == -1:
            assert response.status_code == 403
            continue
        assert response.status_code == 200, name
        assert _fields(response) == (FULL if caller in (0, 1) else BASIC)
        assert client.get(f"/api/v1/{name}").status_code == 200
    for name in DASHBOARD:
        response = post(client, f"/api/v1/{name}", _body(token), form=True)
        expected = {"anonymous": 400, 3: 403, 2: 403, 1: 200, 0: 200, -1: 403}[caller]
        assert response.status_code == expected, name
        if expected == 200:
            assert _fields(response) == FULL
        assert client.get(f"/api/v1/{name}").status_code == 405


@pytest.mark.parametrize("caller", CALLERS)
def test_user_id_mode_fields(client, world, caller):
    user, _ = log_in(3)
    video = VideoFactory()
    Label.objects.create(video=video, user=user, label=1)
    response = post(client, f"/api/v1/get_pos_labels?user_id={user.pk}", _body(_token(caller)), form=True)
    if caller == -1:
        assert response.status_code == 403
    else:
        assert response.status_code == 200 and _fields(response) == FULL


@pytest.mark.parametrize("caller", CALLERS)
def test_labeling_endpoints(client, world, caller):
    token = _token(caller)
    response = post(client, "/api/v1/get_batch", _body(token))
    expected = {"anonymous": 400, -1: 403}.get(caller, 200)
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert set(body) == {"data", "video_token"} and set(body["data"][0]) == {
            "id",
            "file_name",
            "url_root",
            "url_part",
        }
        assert Batch.objects.get().num_gold_standard == (0 if caller == 0 else 4)
    video = VideoFactory()
    response = post(client, "/api/v1/set_label_state", _body(token, data=[{"video_id": video.pk, "label": 1}]))
    assert response.status_code == {"anonymous": 400, 0: 204}.get(caller, 403)
    response = post(client, "/api/v1/add_tutorial_record", _body(token, action_type=0, query_type=0))
    assert response.status_code == {"anonymous": 400, -1: 403}.get(caller, 204)
    assert Tutorial.objects.count() == (0 if caller in ("anonymous", -1) else 1)
    response = client.get("/api/v1/get_label_statistics")
    assert response.status_code == 200 and set(response.json()) == {
        "num_all_videos",
        "num_fully_labeled",
        "num_partially_labeled",
    }


def test_cors_preflight_for_the_labeling_front_end(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://smoke.example.org"]
    settings.CORS_ALLOW_ALL_ORIGINS = False
    response = client.options(
        "/api/v1/send_batch",
        HTTP_ORIGIN="https://smoke.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,authorization",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://smoke.example.org"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "authorization" in allowed
