"""POST /api/v1/send_batch (videos.md §5.3, §6.4) and the single-use video token (§9 item 1)."""

from __future__ import annotations

import json

import pytest

from accounts import services as account_services
from accounts.models import Connection
from tests.videos.factories import VideoFactory, gold_videos
from tests.videos.helpers import answers_for, claims_of, get_batch, message, post, send_batch
from videos import tokens as video_tokens
from videos.models import Batch, Label, LabelerProfile, Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    gold = gold_videos(3, 3)
    return {"gold": gold, "videos": VideoFactory.create_batch(30)}


def correct(clip):
    state = Video.objects.get(pk=clip["id"]).label_state_admin
    return 0 if state == 32 else 1


def wrong_gold(clip):
    state = Video.objects.get(pk=clip["id"]).label_state_admin
    return 1 if state == 32 else 1  # every gold negative answered "yes": fails


def _issue(client, tokens):
    response = get_batch(client, tokens["user_token"])
    assert response.status_code == 200
    return response.json()


def test_passed_citizen_batch(client, labeler, world):
    user, tokens = labeler
    body = _issue(client, tokens)
    response = send_batch(client, tokens["user_token"], body["video_token"], answers_for(body, correct))
    assert response.status_code == 200
    assert response.json() == {"data": {"score": {"batch": 12, "user": 12, "raw": 12}}}
    batch = Batch.objects.get()
    assert batch.score == 12 and (batch.user_score, batch.user_raw_score) == (0, 0) and batch.return_time
    assert batch.connection == Connection.objects.filter(user=user).latest("id")
    profile = LabelerProfile.objects.get(user=user)
    assert (profile.score, profile.raw_score) == (12, 12)
    assert Label.objects.filter(batch=batch, user=user).count() == 16
    for clip in body["data"]:
        video = Video.objects.get(pk=clip["id"])
        assert video.label_update_time is not None
        # every clip moved from -1 (5 on a "yes", 4 on a "no"), gold clips included
        assert video.label_state == (4 if video.label_state_admin == 32 else 5)


def test_second_batch_credits_on_top(client, labeler, world):
    user, tokens = labeler
    for expected in (12, 24):
        body = _issue(client, tokens)
        response = send_batch(client, tokens["user_token"], body["video_token"], answers_for(body, correct))
        assert response.json()["data"]["score"] == {"batch": 12, "user": expected, "raw": expected}
    last = Batch.objects.order_by("id").last()
    assert (last.user_score, last.user_raw_score) == (12, 12)


def test_failed_citizen_batch_scores_zero_and_changes_no_state(client, labeler, world):
    user, tokens = labeler
    body = _issue(client, tokens)
    response = send_batch(client, tokens["user_token"], body["video_token"], answers_for(body, wrong_gold))
    assert response.json() == {"data": {"score": {"batch": 0, "user": 0, "raw": 12}}}
    assert Batch.objects.get().score == 0
    assert Label.objects.count() == 0
    assert not Video.objects.exclude(label_state=-1).exists()
    assert not Video.objects.filter(label_update_time__isnull=False).exists()


def test_gold_state_is_read_at_return_time(client, labeler, world):
    """The current researcher state decides what is gold: a clip promoted to gold after issue is no
    longer counted in n; passing needs at least 4 correct gold answers (the spec's arithmetic)."""
    user, tokens = labeler
    body = _issue(client, tokens)
    ordinary = next(c for c in body["data"] if Video.objects.get(pk=c["id"]).label_state_admin == -1)
    Video.objects.filter(pk=ordinary["id"]).update(label_state_admin=32)
    data = answers_for(body, correct)
    for item in data:
        if item["video_id"] == ordinary["id"]:
            item["label"] = 1  # wrong for a gold negative, but the 4 issued gold answers are right
    assert send_batch(client, tokens["user_token"], body["video_token"], data).json()["data"]["score"]["batch"] == 11


def test_gold_demoted_after_issue_fails_the_batch(client, labeler, world):
    user, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    gold_clip = next(c for c in body["data"] if Video.objects.get(pk=c["id"]).label_state_admin == 47)
    Video.objects.filter(pk=gold_clip["id"]).update(label_state_admin=-1)
    assert send_batch(client, tokens["user_token"], body["video_token"], data).json()["data"]["score"] == {
        "batch": 0,
        "user": 0,
        "raw": 12,
    }


def test_two_labelers_decide_a_clip(client, labeler, amateur, world):
    target = None
    for _, tokens in (labeler, amateur):
        body = _issue(client, tokens)
        send_batch(client, tokens["user_token"], body["video_token"], answers_for(body, correct))
    target = Video.objects.filter(label_state=23).exclude(label_state_admin__in=(47, 32))
    partial = Video.objects.filter(label_state=5).exclude(label_state_admin__in=(47, 32))
    assert target.count() + partial.count() >= 12
    assert Label.objects.count() == 32


def test_researcher_batch(client, research, world):
    user, tokens = research
    body = _issue(client, tokens)
    data = answers_for(body, lambda clip: clip["id"] % 2)
    response = send_batch(client, tokens["user_token"], body["video_token"], data)
    assert response.json() == {"data": {"score": {"batch": None, "user": None, "raw": None}}}
    batch = Batch.objects.get()
    assert batch.score is None and batch.return_time and batch.user_score is None
    assert not LabelerProfile.objects.filter(user=user, raw_score__gt=0).exists()
    for item in data:
        video = Video.objects.get(pk=item["video_id"])
        assert video.label_state_admin == (23 if item["label"] else 16)
        assert video.label_state == -1
    assert Label.objects.filter(batch=batch).count() == 16


def test_single_use_token_409(client, labeler, world):
    user, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    assert send_batch(client, tokens["user_token"], body["video_token"], data).status_code == 200
    response = send_batch(client, tokens["user_token"], body["video_token"], data)
    assert (response.status_code, message(response)) == (409, "This batch was already returned")
    assert LabelerProfile.objects.get(user=user).score == 12
    assert Label.objects.count() == 16


def test_nbf_five_seconds_no_leeway(client, labeler, world):
    from datetime import UTC, datetime

    from freezegun import freeze_time

    _, tokens = labeler
    body = _issue(client, tokens)
    iat = claims_of(body["video_token"])["iat"]
    payload = {
        "data": answers_for(body, correct),
        "user_token": tokens["user_token"],
        "video_token": body["video_token"],
    }
    with freeze_time(datetime.fromtimestamp(iat + 4, tz=UTC)):
        response = post(client, "/api/v1/send_batch", payload)
    assert (response.status_code, message(response)) == (401, "The token is not yet valid (nbf)")
    assert Batch.objects.get().return_time is None
    with freeze_time(datetime.fromtimestamp(iat + 5, tz=UTC)):
        assert post(client, "/api/v1/send_batch", payload).status_code == 200


def test_ids_must_match_the_token(client, labeler, world):
    _, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    for broken in (data[:-1], data + [data[0]], [*data[:-1], {"video_id": 999999, "label": 1}]):
        response = send_batch(client, tokens["user_token"], body["video_token"], broken)
        assert (response.status_code, message(response)) == (401, "Signature of the video batch is not valid")
    shuffled = list(reversed(data))
    assert send_batch(client, tokens["user_token"], body["video_token"], shuffled).status_code == 200


def test_another_users_batch(client, labeler, amateur, world):
    _, tokens = labeler
    body = _issue(client, tokens)
    response = send_batch(client, amateur[1]["user_token"], body["video_token"], answers_for(body, correct))
    assert (response.status_code, message(response)) == (401, "Signature of the video batch is not valid")
    assert Batch.objects.get().return_time is None


def test_forged_and_foreign_tokens(client, labeler, world, settings):
    user, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    claims = claims_of(body["video_token"])
    forged = video_tokens.issue_video_token(
        batch_id=claims["batch_id"] + 1, user_id=user.pk, video_ids=claims["video_id_list"], issued_at=claims["iat"]
    )
    response = send_batch(client, tokens["user_token"], forged, data)
    assert (response.status_code, message(response)) == (401, "Signature of the video batch is not valid")
    import jwt

    other_key = jwt.encode(claims, "not-the-platform-key-but-32-bytes-long", algorithm="HS256")
    response = send_batch(client, tokens["user_token"], other_key, data)
    assert (response.status_code, message(response)) == (401, "Signature verification failed")
    response = post(
        client,
        "/api/v1/send_batch",
        {"data": data, "user_token": tokens["user_token"], "video_token": tokens["user_token"]},
    )
    assert (response.status_code, message(response)) == (401, 'Token is missing the "nbf" claim')
    response = post(
        client, "/api/v1/send_batch", {"data": data, "user_token": tokens["user_token"], "video_token": "x.y"}
    )
    assert (response.status_code, message(response)) == (401, "Not enough segments")


def test_labels_must_be_0_or_1(client, labeler, world):
    _, tokens = labeler
    body = _issue(client, tokens)
    for bad in (2, -1, 23, True, "1", None, 1.0):
        data = answers_for(body, correct)
        data[3]["label"] = bad
        response = send_batch(client, tokens["user_token"], body["video_token"], data)
        assert (response.status_code, message(response)) == (400, "Invalid field: data[3].label"), bad
    assert Batch.objects.get().return_time is None and Label.objects.count() == 0


@pytest.mark.parametrize(
    "data,expected",
    [
        ("x", "Invalid field: data"),
        ({"video_id": 1}, "Invalid field: data"),
        ([1, 2], "Invalid field: data[0]"),
        ([{"video_id": 1, "label": 1, "extra": 1}], "Invalid field: data[0].extra"),
        ([{"label": 1}], "Invalid field: data[0].video_id"),
        ([{"video_id": "1", "label": 1}], "Invalid field: data[0].video_id"),
        ([{"video_id": True, "label": 1}], "Invalid field: data[0].video_id"),
        ([{"video_id": 10**30, "label": 1}], "Invalid field: data[0].video_id"),
        ([{"video_id": 1}], "Invalid field: data[0].label"),
    ],
)
def test_malformed_data(client, labeler, world, data, expected):
    _, tokens = labeler
    body = _issue(client, tokens)
    response = send_batch(client, tokens["user_token"], body["video_token"], data)
    assert (response.status_code, message(response)) == (400, expected)


def test_check_order(client, labeler, blacklisted, world):
    _, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    vt = body["video_token"]
    ut = tokens["user_token"]
    cases = [
        (None, 400, "Missing json"),
        ({"user_token": ut, "video_token": vt}, 400, "Missing field: data"),
        ({"data": data, "video_token": vt}, 400, "Missing field: user_token"),
        ({"data": data, "user_token": ut}, 400, "Missing field: video_token"),
        ({"data": "x", "user_token": "bad", "video_token": "bad"}, 400, "Invalid field: data"),
        ({"data": data, "user_token": "bad", "video_token": "bad"}, 401, "Not enough segments"),  # video token first
        ({"data": data, "user_token": "bad", "video_token": vt}, 401, "Not enough segments"),
        ({"data": data, "user_token": blacklisted[1]["user_token"], "video_token": vt}, 403, "Permission denied"),
    ]
    for payload, status, text in cases:
        response = _send_raw(client, payload, vt)
        assert (response.status_code, message(response)) == (status, text), payload
    assert Batch.objects.get().return_time is None


def _send_raw(client, payload, video_token):
    from datetime import UTC, datetime

    from freezegun import freeze_time

    with freeze_time(datetime.fromtimestamp(claims_of(video_token)["iat"] + 6, tz=UTC)):
        return post(client, "/api/v1/send_batch", payload)


def test_researcher_batch_after_demotion_is_refused(client, research, world):
    user, tokens = research
    body = _issue(client, tokens)
    account_services.set_client_type(user=user, client_type=1)
    response = send_batch(client, tokens["user_token"], body["video_token"], answers_for(body))
    assert (response.status_code, message(response)) == (403, "Permission denied")
    assert Batch.objects.get().return_time is None


def test_citizen_batch_returned_by_promoted_researcher_is_scored_as_citizen(client, labeler, world):
    user, tokens = labeler
    body = _issue(client, tokens)
    account_services.set_client_type(user=user, client_type=0)
    response = send_batch(client, tokens["user_token"], body["video_token"], answers_for(body, correct))
    assert response.json()["data"]["score"] == {"batch": 12, "user": 12, "raw": 12}
    assert not Video.objects.exclude(label_state_admin__in=(-1, 47, 32)).exists()


def test_token_for_other_app_records_no_connection(client, labeler, world):
    _, tokens = labeler
    body = _issue(client, tokens)
    data = answers_for(body, correct)
    assert send_batch(client, tokens["user_token_for_other_app"], body["video_token"], data).status_code == 200
    assert Batch.objects.get().connection is None


def test_bearer_user_token(client, labeler, world):
    from datetime import UTC, datetime

    from freezegun import freeze_time

    _, tokens = labeler
    body = _issue(client, tokens)
    payload = {"data": answers_for(body, correct), "video_token": body["video_token"]}
    with freeze_time(datetime.fromtimestamp(claims_of(body["video_token"])["iat"] + 6, tz=UTC)):
        response = post(client, "/api/v1/send_batch", payload, bearer=tokens["user_token"])
    assert response.status_code == 200


def test_query_count(client, labeler, world, django_assert_max_num_queries):
    from datetime import UTC, datetime

    from freezegun import freeze_time

    _, tokens = labeler
    body = _issue(client, tokens)
    payload = {
        "data": answers_for(body, correct),
        "user_token": tokens["user_token"],
        "video_token": body["video_token"],
    }
    later = datetime.fromtimestamp(claims_of(body["video_token"])["iat"] + 6, tz=UTC)
    with freeze_time(later), django_assert_max_num_queries(12):
        assert post(client, "/api/v1/send_batch", payload).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/send_batch", "/api/v1/get_batch", "/api/v1/set_label_state"])
def test_oversize_and_malformed_bodies(client, labeler, path):
    big = json.dumps({"user_token": labeler[1]["user_token"], "pad": "x" * (2 * 1024 * 1024)})
    response = client.generic("POST", path, big, content_type="application/json")
    assert response.status_code == 413 and "larger than" in message(response)
    for raw in ("{", "[1, 2]", '"text"', "null"):
        response = client.generic("POST", path, raw, content_type="application/json")
        assert (response.status_code, message(response)) == (400, "Missing json"), raw
    assert not Batch.objects.exists()
