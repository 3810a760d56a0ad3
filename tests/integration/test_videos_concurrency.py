"""Seed 000 on real MariaDB with real threads (videos.md §5.3, §9 item 1; CONVENTIONS.md Layers 7):
a batch sent several times at once is applied once, simultaneous labels on one clip never lose a vote,
the generated pool columns agree with videos.states, and batch selection reads index ranges."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.integration.races import run_together
from tests.videos.conftest import log_in
from tests.videos.factories import VideoFactory, gold_videos
from videos import states, tokens
from videos.models import Batch, Label, LabelerProfile, Video

pytestmark = pytest.mark.django_db(transaction=True)


def _post(path: str, body: dict):
    return APIClient().generic("POST", path, json.dumps(body), content_type="application/json")


def _issue(user_token: str) -> dict:
    response = _post("/api/v1/get_batch", {"user_token": user_token})
    assert response.status_code == 200, response.content
    return response.json()


def _ready_token(user, body: dict) -> str:
    """The same batch's video token, issued 10 s ago (past its 5 s nbf) so the race need not sleep."""
    claims = json.loads(tokens.jwt.api_jws.base64url_decode(body["video_token"].split(".")[1]))
    return tokens.issue_video_token(
        batch_id=claims["batch_id"], user_id=user.pk, video_ids=claims["video_id_list"], issued_at=time.time() - 10
    )


def _correct(video_id: int) -> int:
    return 0 if Video.objects.get(pk=video_id).label_state_admin == 32 else 1


def test_duplicate_sends_apply_once(evidence):
    gold_videos(3, 3)
    VideoFactory.create_batch(20)
    user, user_tokens = log_in(3)
    body = _issue(user_tokens["user_token"])
    payload = {
        "data": [{"video_id": c["id"], "label": _correct(c["id"])} for c in body["data"]],
        "user_token": user_tokens["user_token"],
        "video_token": _ready_token(user, body),
    }
    workers = 8
    results, errors = run_together(workers, lambda i: _post("/api/v1/send_batch", payload))
    assert not errors, errors
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] + [409] * (workers - 1)
    assert {r.json()["message"] for r in results if r.status_code == 409} == {"This batch was already returned"}
    profile = LabelerProfile.objects.get(user=user)
    assert (profile.score, profile.raw_score) == (12, 12)
    assert Label.objects.count() == 16
    assert Batch.objects.get().return_time is not None
    evidence(f"videos: {workers} simultaneous send_batch of one token -> statuses {statuses}; score 12, 16 labels")


def test_simultaneous_labels_on_one_clip_never_lose_a_vote(evidence):
    """Two labelers answer the same 12 clips at once, one "yes" and one "no": every clip must end in
    Discord (3); a lost update would leave 5 or 4. Repeated over several rounds."""
    gold_videos(3, 3)
    rounds = 4
    for round_number in range(rounds):
        Video.objects.filter(label_state_admin=-1).update(label_state_admin=16)  # retire earlier rounds' clips
        clips = VideoFactory.create_batch(12)
        yes_user, yes_tokens = log_in(3)
        no_user, no_tokens = log_in(2)
        prepared = []
        for user, user_tokens, answer in ((yes_user, yes_tokens, 1), (no_user, no_tokens, 0)):
            body = _issue(user_tokens["user_token"])
            data = []
            for clip in body["data"]:
                gold = Video.objects.get(pk=clip["id"]).label_state_admin
                label = {47: 1, 32: 0}.get(gold, answer)
                data.append({"video_id": clip["id"], "label": label})
            prepared.append(
                {"data": data, "user_token": user_tokens["user_token"], "video_token": _ready_token(user, body)}
            )
        results, errors = run_together(2, lambda i, sends=prepared: _post("/api/v1/send_batch", sends[i]))
        assert not errors, errors
        assert [r.status_code for r in results] == [200, 200]
        final = set(Video.objects.filter(pk__in=[c.pk for c in clips]).values_list("label_state", flat=True))
        assert final == {3}, f"round {round_number}: {final}"
        assert Label.objects.filter(video__in=clips).count() == 24
    evidence(f"videos: {rounds} rounds of a simultaneous yes + no on the same 12 clips -> always Discord (3)")


def test_simultaneous_researcher_decisions(evidence):
    """Six researchers' set_label_state on one clip at once: every request is recorded as a Label row
    and the clip ends in the state of the last row written (the writes are serialised on the clip)."""
    clip = VideoFactory(label_state=3)
    researchers = [log_in(0) for _ in range(6)]
    codes = [47, 32, 23, 16, -2, 19]

    def act(i):
        return _post(
            "/api/v1/set_label_state",
            {"data": [{"video_id": clip.pk, "label": codes[i]}], "user_token": researchers[i][1]["user_token"]},
        ).status_code

    results, errors = run_together(6, act)
    assert not errors and results == [204] * 6
    clip.refresh_from_db()
    assert Label.objects.filter(video=clip).count() == 6
    last = Label.objects.filter(video=clip).order_by("-id").first()
    # serialised per clip: the last Label row (ids are taken under the clip's lock) is the final state
    assert clip.label_state_admin == states.researcher_transition(last.label) and clip.label_state == 3
    evidence(f"videos: 6 simultaneous set_label_state on one clip -> 6 Label rows, final = last row ({last.label})")


def test_generated_pools_match_states_on_mariadb():
    pairs = list(itertools.product(states.ALL_STATES, states.ALL_STATES))
    Video.objects.bulk_create(
        [
            Video(file_name=f"0-0-2019-01-01-{i}-0-0-0-180-180-0-0-0", label_state=c, label_state_admin=a)
            for i, (c, a) in enumerate(pairs)
        ]
    )
    for video in Video.objects.all():
        assert video.citizen_pool == states.citizen_pool(video.label_state, video.label_state_admin)
        assert video.researcher_pool == int(states.researcher_pool(video.label_state_admin))
        assert video.final_label_code == states.final_label_code(video.label_state, video.label_state_admin)
        assert video.citizen_decision == states.citizen_decision(video.label_state, video.label_state_admin)
        assert video.researcher_decision == states.researcher_decision(video.label_state_admin)
    Video.objects.update(label_state_admin=47)
    assert set(Video.objects.values_list("citizen_pool", flat=True)) == {states.CitizenPool.GOLD_POS}


def test_batch_selection_uses_the_pool_index_and_query_budget(evidence):
    gold_videos(20, 20)
    Video.objects.bulk_create(
        [Video(file_name=f"0-1-2019-01-17-{i}-928-0-0-180-180-{i}-1547732890-1547733065") for i in range(3000)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE videos_video")
    user, user_tokens = log_in(3)
    with CaptureQueriesContext(connection) as queries:
        body = _issue(user_tokens["user_token"])
    get_count = len(queries)
    plans = []
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SELECT") and "videos_video" in sql and "rand_key" in sql:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql)
                columns = [c[0] for c in cursor.description]
                rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
            video_row = next(r for r in rows if r["table"] == "videos_video")
            plans.append((video_row["key"], video_row["rows"]))
            assert video_row["key"] == "video_citizen_pool", rows
            assert "filesort" not in (video_row.get("Extra") or "").lower(), rows
    payload = {
        "data": [{"video_id": c["id"], "label": _correct(c["id"])} for c in body["data"]],
        "user_token": user_tokens["user_token"],
        "video_token": _ready_token(user, body),
    }
    with CaptureQueriesContext(connection) as queries:
        response = _post("/api/v1/send_batch", payload)
    assert response.status_code == 200
    send_count = len(queries)
    assert get_count <= 12 and send_count <= 12
    evidence(f"videos: get_batch {get_count} SQL queries, send_batch {send_count}; selection plans {plans}")


def test_listings_read_an_index_in_order(evidence):
    """get_pos_labels / get_neg_labels / *_by_citizen: one index range read in listing order (no
    filesort), so a page costs the same on 100 or 100,000 clips."""
    from django.utils import timezone

    from videos import selectors

    now = timezone.now()
    Video.objects.bulk_create(
        [
            Video(
                file_name=f"0-1-2019-01-17-{i}-928-0-0-180-180-{i}-1547732890-1547733065",
                label_state=(23, 16, 5, -1)[i % 4],
                label_state_admin=(-1, -1, 23, 16, -1)[i % 5],
                label_update_time=now if i % 3 else None,
            )
            for i in range(4000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE videos_video")
    plans = {}
    for name, index in [
        ("get_pos_labels", "video_final_time"),
        ("get_neg_labels", "video_final_time"),
        ("get_pos_labels_by_citizen", "video_citizen_decision_time"),
        ("get_neg_labels_by_researcher", "video_researcher_decision_time"),
    ]:
        sql, params = selectors.listing_videos(name)[:16].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            columns = [c[0] for c in cursor.description]
            row = dict(zip(columns, cursor.fetchone(), strict=True))
        assert row["key"] == index, row
        assert "filesort" not in (row.get("Extra") or "").lower(), row
        plans[name] = (row["key"], row["Extra"])
        ids = [v.pk for v in selectors.listing_videos(name)[:50]]
        times = list(Video.objects.filter(pk__in=ids).values_list("pk", "label_update_time"))
        assert len(ids) == 50 and len(times) == 50
    evidence(f"videos: listing plans {plans}")
