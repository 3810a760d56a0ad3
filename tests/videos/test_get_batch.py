"""POST /api/v1/get_batch (videos.md §5.2, §6.3)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.videos.factories import LabelFactory, VideoFactory, gold_videos
from tests.videos.helpers import claims_of, get_batch, message, post
from videos.models import Batch, Video

pytestmark = pytest.mark.django_db


def _world(fresh=30, partial=0, decided=0):
    gold = gold_videos(3, 3)
    videos = VideoFactory.create_batch(fresh)
    videos += VideoFactory.create_batch(partial, label_state=5)
    videos += VideoFactory.create_batch(decided, label_state_admin=23)
    return gold, videos


def test_citizen_batch_has_16_clips_4_gold_and_no_state(client, labeler):
    user, tokens = labeler
    gold, _ = _world()
    response = get_batch(client, tokens["user_token"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "video_token"}
    assert len(body["data"]) == 16
    for clip in body["data"]:
        assert set(clip) == {"id", "file_name", "url_root", "url_part"}
        assert clip["url_root"] == "http://testserver/media/videos/180/"
        assert clip["url_part"].endswith(clip["file_name"] + ".mp4")
    ids = [clip["id"] for clip in body["data"]]
    gold_ids = {v.pk for v in gold}
    in_batch = [Video.objects.get(pk=i).label_state_admin for i in ids if i in gold_ids]
    assert len(in_batch) == 4 and 1 <= in_batch.count(47) <= 3 and in_batch.count(32) == 4 - in_batch.count(47)
    batch = Batch.objects.get()
    assert batch.user == user and batch.video_ids == ids and batch.client_type == 3
    assert (batch.num_unlabeled, batch.num_gold_standard, batch.return_time, batch.score) == (12, 4, None, None)


def test_gold_positive_count_is_1_to_3_and_varies(client, labeler):
    _, tokens = labeler
    gold, _ = _world(fresh=40)
    gold_pos = {v.pk for v in gold if v.label_state_admin == 47}
    seen = Counter()
    for _ in range(40):
        ids = [clip["id"] for clip in get_batch(client, tokens["user_token"]).json()["data"]]
        seen[len(gold_pos & set(ids))] += 1
    assert set(seen) == {1, 2, 3}


def test_video_token_claims(client, labeler):
    user, tokens = labeler
    _world()
    before = int(time.time())
    body = get_batch(client, tokens["user_token"]).json()
    claims = claims_of(body["video_token"])
    assert set(claims) == {"iat", "nbf", "jti", "video_id_list", "batch_id", "user_id"}
    assert before <= claims["iat"] <= time.time() and claims["nbf"] == claims["iat"] + 5
    assert claims["video_id_list"] == [clip["id"] for clip in body["data"]]
    assert claims["user_id"] == user.pk and claims["batch_id"] == Batch.objects.get().pk
    assert len(claims["jti"]) == 32 and int(claims["jti"], 16) >= 0


def test_partially_labeled_first_then_fresh(client, labeler):
    _, tokens = labeler
    _, videos = _world(fresh=20, partial=8)
    ids = {clip["id"] for clip in get_batch(client, tokens["user_token"]).json()["data"]}
    partial = {v.pk for v in videos if v.label_state == 5}
    assert partial <= ids  # all 8 partial clips before any fresh one
    for state in (3, 4):
        VideoFactory.create_batch(12, label_state=state)
    ids = {clip["id"] for clip in get_batch(client, tokens["user_token"]).json()["data"]}
    non_gold = Video.objects.filter(pk__in=ids).exclude(label_state_admin__in=(47, 32))
    assert non_gold.count() == 12
    assert set(non_gold.values_list("label_state", flat=True)) <= {3, 4, 5}  # 32 partial clips: no fresh one


def test_never_a_clip_the_user_labeled_nor_a_researcher_decided_one(client, labeler):
    user, tokens = labeler
    gold, videos = _world(fresh=20, decided=30)
    mine = videos[:8]
    for video in mine:
        LabelFactory(video=video, user=user, label=0)
    for _ in range(10):
        ids = {clip["id"] for clip in get_batch(client, tokens["user_token"]).json()["data"]}
        assert not ids & {v.pk for v in mine}
        assert not ids & {v.pk for v in videos if v.label_state_admin == 23}


def test_gold_clips_are_not_filtered_by_own_labels(client, labeler):
    user, tokens = labeler
    gold, _ = _world()
    for video in gold:
        LabelFactory(video=video, user=user)
    assert get_batch(client, tokens["user_token"]).status_code == 200


@pytest.mark.parametrize("gold_pos,gold_neg,fresh", [(0, 3, 40), (3, 0, 40), (3, 3, 11), (1, 1, 40)])
def test_no_full_batch_is_204_and_writes_nothing(client, labeler, gold_pos, gold_neg, fresh):
    _, tokens = labeler
    gold_videos(gold_pos, gold_neg)
    VideoFactory.create_batch(fresh)
    statuses = {get_batch(client, tokens["user_token"]).status_code for _ in range(6)}
    assert statuses == {204}
    assert Batch.objects.count() == 0


def test_204_has_empty_body(client, labeler):
    response = get_batch(client, labeler[1]["user_token"])
    assert response.status_code == 204 and response.content == b""


def test_researcher_batch_16_undecided_no_gold(client, research):
    user, tokens = research
    gold, videos = _world(fresh=10, partial=6, decided=10)
    VideoFactory.create_batch(5, label_state_admin=3)
    mine = VideoFactory(label_state_admin=-1)
    LabelFactory(video=mine, user=user, label=23)
    response = get_batch(client, tokens["user_token"])
    assert response.status_code == 200
    ids = [clip["id"] for clip in response.json()["data"]]
    assert len(ids) == 16 and mine.pk not in ids
    assert {Video.objects.get(pk=i).label_state_admin for i in ids} <= {-1, 3, 4, 5}
    batch = Batch.objects.get()
    assert (batch.client_type, batch.num_unlabeled, batch.num_gold_standard) == (0, 16, 0)


def test_researcher_with_fewer_than_16_open_clips_gets_204(client, research):
    VideoFactory.create_batch(15)
    gold_videos(5, 5)
    assert get_batch(client, research[1]["user_token"]).status_code == 204


def test_bearer_header_works_and_body_wins(client, labeler, amateur):
    _world()
    assert post(client, "/api/v1/get_batch", bearer=labeler[1]["user_token"]).status_code == 200
    response = post(client, "/api/v1/get_batch", {"user_token": amateur[1]["user_token"]}, bearer="garbage")
    assert response.status_code == 200
    assert Batch.objects.order_by("id").last().user == amateur[0]


def test_input_errors(client, labeler):
    assert message(post(client, "/api/v1/get_batch")) == "Missing json"
    response = client.generic("POST", "/api/v1/get_batch", "{not json", content_type="application/json")
    assert (response.status_code, message(response)) == (400, "Missing json")
    response = client.generic(
        "POST", "/api/v1/get_batch", "user_token=x", content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, message(response)) == (400, "Missing json")
    assert message(post(client, "/api/v1/get_batch", {"other": 1})) == "Missing field: user_token"
    response = post(client, "/api/v1/get_batch", {"user_token": "abc"})
    assert (response.status_code, message(response)) == (401, "Not enough segments")
    response = client.get("/api/v1/get_batch")
    assert (response.status_code, message(response)) == (405, "Method not allowed")
    assert Batch.objects.count() == 0


def test_blacklisted_and_deleted_users(client, blacklisted, labeler):
    _world()
    response = get_batch(client, blacklisted[1]["user_token"])
    assert (response.status_code, message(response)) == (403, "Permission denied")
    user, tokens = labeler
    user.is_active = False
    user.save()
    response = get_batch(client, tokens["user_token"])
    assert (response.status_code, message(response)) == (401, "User not found")


def test_demotion_applies_at_once(client, research):
    """The current type is read from the database: a demoted researcher gets a citizen batch."""
    from accounts import services as account_services

    user, tokens = research
    _world()
    account_services.set_client_type(user=user, client_type=2)
    assert get_batch(client, tokens["user_token"]).status_code == 200
    assert Batch.objects.get().client_type == 2


def test_trailing_slash_tolerated(client, labeler):
    _world()
    response = post(client, "/api/v1/get_batch/", {"user_token": labeler[1]["user_token"]})
    assert response.status_code == 200


def test_query_count(client, labeler, django_assert_max_num_queries):
    _world(fresh=50, partial=5)
    with django_assert_max_num_queries(12):
        assert get_batch(client, labeler[1]["user_token"]).status_code == 200


def test_selection_reads_index_ranges_not_the_whole_table(client, labeler):
    """No ORDER BY RAND(): every selection query is a rand_key range with a LIMIT on one pool."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _world(fresh=50, partial=5)
    with CaptureQueriesContext(connection) as queries:
        get_batch(client, labeler[1]["user_token"])
    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "videos_video" in q["sql"]]
    assert selects
    for sql in selects:
        assert "RAND" not in sql.upper().replace("RAND_KEY", "")
        assert "LIMIT" in sql and "rand_key" in sql and ("citizen_pool" in sql or "researcher_pool" in sql)


def test_expired_user_token_is_401(client, labeler):
    """Deliberate difference 3: user tokens expire (USER_TOKEN_LIFETIME)."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    _world()
    with freeze_time(timezone.now() + timedelta(days=7, seconds=5)):
        response = get_batch(client, labeler[1]["user_token"])
    assert (response.status_code, message(response)) == (401, "Signature has expired")


def test_url_root_setting(client, labeler, settings):
    """Deliberate difference 9: url_root comes from VIDEO_URL_ROOT, else the platform's media URL."""
    _world()
    settings.VIDEO_URL_ROOT = "https://clips.example.org/videos/180/"
    clip = get_batch(client, labeler[1]["user_token"]).json()["data"][0]
    assert clip["url_root"] == "https://clips.example.org/videos/180/"
    settings.VIDEO_URL_ROOT = None
    settings.MEDIA_URL = "https://cdn.example.org/media/"
    assert get_batch(client, labeler[1]["user_token"]).json()["data"][0]["url_root"] == (
        "https://cdn.example.org/media/videos/180/"
    )
