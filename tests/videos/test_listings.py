"""Gallery listings (videos.md §5.5-5.7), statistics (§5.8) and tutorial records (§5.9)."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.videos.factories import LabelFactory, VideoFactory
from tests.videos.helpers import message, post
from videos.models import LabelerProfile, Tutorial, View

pytestmark = pytest.mark.django_db

STATES = [47, 32, 23, 16, 19, 20, 15, 12, 5, 4, 3, -1, -2]
POS, NEG = {23, 15, 19}, {16, 12, 20}
EXCLUDED = {47, 32, -2}

# the spec's filters, written out independently of videos/selectors.py
EXPECTED = {
    "get_pos_labels": lambda c, a: a not in EXCLUDED and (a in POS or (a not in POS | NEG and c in POS)),
    "get_neg_labels": lambda c, a: a not in EXCLUDED and (a in NEG or (a not in POS | NEG and c in NEG)),
    "get_maybe_pos_labels": lambda c, a: c == 5 and a not in EXCLUDED,
    "get_maybe_neg_labels": lambda c, a: c == 4 and a not in EXCLUDED,
    "get_discorded_labels": lambda c, a: c == 3 and a not in EXCLUDED,
    "get_pos_gold_labels": lambda c, a: a == 47,
    "get_neg_gold_labels": lambda c, a: a == 32,
    "get_pos_labels_by_researcher": lambda c, a: a in POS,
    "get_neg_labels_by_researcher": lambda c, a: a in NEG,
    "get_pos_labels_by_citizen": lambda c, a: c in POS and a not in EXCLUDED,
    "get_neg_labels_by_citizen": lambda c, a: c in NEG and a not in EXCLUDED,
    "get_bad_labels": lambda c, a: a == -2,
}
PUBLIC = ["get_pos_labels", "get_neg_labels", "get_maybe_pos_labels", "get_maybe_neg_labels", "get_discorded_labels"]
DASHBOARD = [name for name in EXPECTED if name not in PUBLIC]
BASIC_FIELDS = {"id", "file_name", "start_time", "camera_id", "view_id", "url_root", "url_part"}
FULL_FIELDS = BASIC_FIELDS | {"label_state", "label_state_admin"}


@pytest.fixture
def every_pair(db):
    """One clip per (citizen state, researcher state) pair."""
    return {(c, a): VideoFactory(label_state=c, label_state_admin=a) for c, a in itertools.product(STATES, STATES)}


def _ids(response) -> set[int]:
    return {clip["id"] for clip in response.json()["data"]}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_listing_filters_every_state_pair(client, research, every_pair, name):
    response = post(client, f"/api/v1/{name}", {"user_token": research[1]["user_token"], "pageSize": 1000}, form=True)
    expected = {video.pk for (c, a), video in every_pair.items() if EXPECTED[name](c, a)}
    assert response.status_code == 200
    assert _ids(response) == expected and response.json()["total"] == len(expected)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_listing_anonymous_get_and_post(client, name):
    video = VideoFactory(
        label_state={"get_pos_labels": 23, "get_neg_labels": 16}.get(
            name, {"get_maybe_pos_labels": 5, "get_maybe_neg_labels": 4, "get_discorded_labels": 3}.get(name)
        )
    )
    for response in (client.get(f"/api/v1/{name}"), post(client, f"/api/v1/{name}", {}, form=True)):
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1 and set(body["data"][0]) == BASIC_FIELDS
        assert body["data"][0]["start_time"] == int(video.start_time.timestamp())
        assert body["data"][0]["url_part"] == f"2019-01-17/0-1/{video.file_name}.mp4"


@pytest.mark.parametrize(
    "who,fields",
    [("labeler", BASIC_FIELDS), ("amateur", BASIC_FIELDS), ("expert_labeler", FULL_FIELDS), ("research", FULL_FIELDS)],
)
def test_field_sets_per_caller(client, request, who, fields):
    VideoFactory(label_state=23)
    tokens = request.getfixturevalue(who)[1]
    response = post(client, "/api/v1/get_pos_labels", {"user_token": tokens["user_token"]}, form=True)
    assert set(response.json()["data"][0]) == fields
    response = post(client, "/api/v1/get_pos_labels", bearer=tokens["user_token"])
    assert set(response.json()["data"][0]) == fields


@pytest.mark.parametrize("name", DASHBOARD)
def test_dashboard_listing_permissions(client, labeler, amateur, expert_labeler, research, blacklisted, name):
    VideoFactory(
        label_state=23,
        label_state_admin={
            "get_pos_gold_labels": 47,
            "get_neg_gold_labels": 32,
            "get_bad_labels": -2,
            "get_neg_labels_by_researcher": 16,
            "get_neg_labels_by_citizen": -1,
        }.get(name, 23),
    )
    path = f"/api/v1/{name}"
    response = post(client, path, {}, form=True)
    assert (response.status_code, message(response)) == (400, "Missing fields: user_token")
    for caller in (labeler, amateur, blacklisted):
        response = post(client, path, {"user_token": caller[1]["user_token"]}, form=True)
        assert (response.status_code, message(response)) == (403, "Permission denied")
    response = client.get(path)
    assert (response.status_code, message(response)) == (405, "Method not allowed")
    for caller in (expert_labeler, research):
        response = post(client, path, {"user_token": caller[1]["user_token"]}, form=True)
        assert response.status_code in (200, 204)
        if response.status_code == 200:
            assert set(response.json()["data"][0]) == FULL_FIELDS


def test_invalid_token_on_public_listing_is_401(client, blacklisted):
    response = post(client, "/api/v1/get_pos_labels", {"user_token": "nope"}, form=True)
    assert (response.status_code, message(response)) == (401, "Not enough segments")
    response = post(client, "/api/v1/get_pos_labels", {"user_token": blacklisted[1]["user_token"]}, form=True)
    assert (response.status_code, message(response)) == (403, "Permission denied")


def test_token_never_read_from_query_string(client, research):
    VideoFactory(label_state_admin=47)
    response = client.post(f"/api/v1/get_pos_gold_labels?user_token={research[1]['user_token']}")
    assert (response.status_code, message(response)) == (400, "Missing fields: user_token")


def test_json_body_accepted(client, research):
    VideoFactory(label_state_admin=47)
    response = post(client, "/api/v1/get_pos_gold_labels", {"user_token": research[1]["user_token"], "page_size": 5})
    assert response.status_code == 200


def test_empty_listing_is_204_with_empty_body(client):
    response = client.get("/api/v1/get_pos_labels")
    assert response.status_code == 204 and response.content == b""


def _make_ordered(count=5):
    now = timezone.now()
    videos = [VideoFactory(label_state=23, label_update_time=now - timedelta(minutes=i)) for i in range(count)]
    never = [VideoFactory(label_state=23) for _ in range(2)]
    return videos, never


def test_order_time_desc_nulls_last_ties_by_id_desc(client):
    videos, never = _make_ordered()
    tie = VideoFactory(label_state=23, label_update_time=videos[0].label_update_time)
    ids = [clip["id"] for clip in client.get("/api/v1/get_pos_labels").json()["data"]]
    assert ids == [tie.pk, videos[0].pk] + [v.pk for v in videos[1:]] + [never[1].pk, never[0].pk]


def test_paging_rules(client):
    videos, never = _make_ordered(5)  # 7 clips
    get = client.get
    body = get("/api/v1/get_pos_labels?pageSize=3&pageNumber=2").json()
    assert [c["id"] for c in body["data"]] == [videos[3].pk, videos[4].pk, never[1].pk] and body["total"] == 7
    assert len(get("/api/v1/get_pos_labels?page_size=3&page_number=3").json()["data"]) == 1
    assert get("/api/v1/get_pos_labels?pageSize=3&pageNumber=4").status_code == 204  # past the last page
    assert get("/api/v1/get_pos_labels?pageSize=0").status_code == 204
    assert len(get("/api/v1/get_pos_labels?pageSize=-5").json()["data"]) == 7  # size < 0 → 20
    assert (
        get("/api/v1/get_pos_labels?pageNumber=-3&pageSize=2").json()["data"][0]["id"] == videos[0].pk
    )  # page < 1 → 1
    assert len(get("/api/v1/get_pos_labels?pageSize=5000").json()["data"]) == 7  # capped at 1000
    # camelCase wins over snake_case; the body wins over the query string
    assert len(get("/api/v1/get_pos_labels?pageSize=2&page_size=5").json()["data"]) == 2
    response = post(client, "/api/v1/get_pos_labels?pageSize=2", {"page_size": 4}, form=True)
    assert len(response.json()["data"]) == 4


def test_default_page_size_16(client):
    VideoFactory.create_batch(20, label_state=23)
    body = client.get("/api/v1/get_pos_labels").json()
    assert len(body["data"]) == 16 and body["total"] == 20


@pytest.mark.parametrize(
    "query,name", [("pageSize=abc", "pageSize"), ("page_number=1.5", "page_number"), ("pageNumber=", "pageNumber")]
)
def test_non_integer_paging_is_400(client, query, name):
    VideoFactory(label_state=23)
    response = client.get(f"/api/v1/get_pos_labels?{query}")
    assert (response.status_code, message(response)) == (400, f"Invalid field: {name}")


def test_user_id_mode(client, labeler, research):
    user, _ = labeler
    said_yes = VideoFactory(label_state=5)
    said_no = VideoFactory(label_state=4)
    gold_pos = VideoFactory(label_state_admin=47)
    gold_neg = VideoFactory(label_state_admin=32)
    bad = VideoFactory(label_state_admin=-2)
    for video in (said_yes, gold_pos, gold_neg, bad):
        LabelFactory(video=video, user=user, label=1)
    LabelFactory(video=said_yes, user=user, label=1)  # twice: still one clip
    LabelFactory(video=said_no, user=user, label=0)
    researcher_code = VideoFactory()
    LabelFactory(video=researcher_code, user=user, label=23)
    body = client.get(f"/api/v1/get_pos_labels?user_id={user.pk}").json()
    assert {c["id"] for c in body["data"]} == {said_yes.pk, gold_neg.pk, bad.pk} and body["total"] == 3
    assert set(body["data"][0]) == FULL_FIELDS  # every caller gets both states in user-id mode
    response = post(
        client, f"/api/v1/get_pos_labels?user_id={user.pk}", {"user_token": research[1]["user_token"]}, form=True
    )
    assert {c["id"] for c in response.json()["data"]} == {said_yes.pk, gold_neg.pk, bad.pk, researcher_code.pk}
    for bad in ("abc", "1.5", str(10**30)):
        response = client.get(f"/api/v1/get_pos_labels?user_id={bad}")
        assert (response.status_code, message(response)) == (400, "Invalid field: user_id")
    assert client.get("/api/v1/get_pos_labels?user_id=999999").status_code == 204
    # user_id comes from the query string only
    response = post(client, "/api/v1/get_pos_labels", {"user_id": user.pk}, form=True)
    assert response.status_code == 204


def test_view_rows(client, labeler, research):
    user, tokens = labeler
    videos = VideoFactory.create_batch(3, label_state=23)
    post(client, "/api/v1/get_pos_labels", {"user_token": tokens["user_token"]}, form=True)
    assert View.objects.filter(query_type=0).count() == 3
    assert set(View.objects.values_list("connection__user", flat=True)) == {user.pk}
    LabelFactory(video=videos[0], user=user, label=1)
    post(client, f"/api/v1/get_pos_labels?user_id={user.pk}", {"user_token": tokens["user_token"]}, form=True)
    assert View.objects.filter(query_type=1, video=videos[0]).count() == 1
    # no rows: anonymous, token for other apps, researchers, empty pages
    client.get("/api/v1/get_pos_labels")
    post(client, "/api/v1/get_pos_labels", {"user_token": tokens["user_token_for_other_app"]}, form=True)
    post(client, "/api/v1/get_pos_labels", {"user_token": research[1]["user_token"]}, form=True)
    assert View.objects.count() == 4


# --- get_all_labels ----------------------------------------------------------------------------------------


def _streamed(response) -> dict:
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def test_get_all_labels_streams_every_clip(client, research, expert_labeler, settings, monkeypatch):
    from videos import views

    monkeypatch.setattr(views, "ALL_LABELS_CHUNK", 3)
    videos = [VideoFactory(label_state_admin=a) for a in (47, 32, -2, -1, 23, 16, 5)]
    for caller in (research, expert_labeler):
        response = post(client, "/api/v1/get_all_labels", {"user_token": caller[1]["user_token"]}, form=True)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        body = _streamed(response)
        assert set(body) == {"data"}
        assert [c["id"] for c in body["data"]] == [v.pk for v in videos]
        assert set(body["data"][0]) == FULL_FIELDS
    assert not View.objects.exists()


def test_get_all_labels_permissions_and_204(client, research, labeler):
    path = "/api/v1/get_all_labels"
    assert message(post(client, path, {}, form=True)) == "Missing fields: user_token"
    assert post(client, path, {"user_token": research[1]["user_token"]}, form=True).status_code == 204
    VideoFactory()
    response = post(client, path, {"user_token": labeler[1]["user_token"]}, form=True)
    assert (response.status_code, message(response)) == (403, "Permission denied")
    assert client.get(path).status_code == 405


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_get_all_labels_streams_under_asgi(research, monkeypatch):
    """Under ASGI the body is an async iterator fetching keyset chunks (never the whole table)."""
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    from videos import views

    monkeypatch.setattr(views, "ALL_LABELS_CHUNK", 2)
    ids = [v.pk for v in await sync_to_async(VideoFactory.create_batch)(5)]
    response = await AsyncClient().post(
        "/api/v1/get_all_labels", {"user_token": research[1]["user_token"]}, content_type="application/json"
    )
    assert response.status_code == 200 and response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) >= 4
    assert [c["id"] for c in json.loads(b"".join(chunks))["data"]] == ids


# --- statistics ----------------------------------------------------------------------------------------------


def test_label_statistics(client, every_pair):
    body = client.get("/api/v1/get_label_statistics").json()
    pairs = [(c, a) for c, a in every_pair if a not in EXCLUDED]
    decided = POS | NEG
    assert body == {
        "num_all_videos": len(pairs),
        "num_fully_labeled": sum(1 for c, a in pairs if a in decided or c in decided),
        "num_partially_labeled": sum(1 for c, a in pairs if c in {3, 4, 5}),
    }
    # a clip decided by a researcher while partial counts in both
    assert post(client, "/api/v1/get_label_statistics", {}).status_code == 405


def test_label_statistics_empty(client):
    assert client.get("/api/v1/get_label_statistics").json() == {
        "num_all_videos": 0,
        "num_fully_labeled": 0,
        "num_partially_labeled": 0,
    }


def test_statistics_differ_from_the_original_on_partial_gold(client):
    """Deliberate difference 6: gold and bad clips are out of the partial count too."""
    VideoFactory(label_state=5, label_state_admin=47)
    VideoFactory(label_state=3, label_state_admin=-2)
    VideoFactory(label_state=4, label_state_admin=23)
    assert client.get("/api/v1/get_label_statistics").json() == {
        "num_all_videos": 1,
        "num_fully_labeled": 1,
        "num_partially_labeled": 1,
    }


# --- tutorial ------------------------------------------------------------------------------------------------

TUTORIAL = "/api/v1/add_tutorial_record"


def test_add_tutorial_record(client, labeler):
    user, tokens = labeler
    response = post(client, TUTORIAL, {"action_type": 3, "query_type": 2, "user_token": tokens["user_token"]})
    assert response.status_code == 204 and response.content == b""
    record = Tutorial.objects.get()
    assert (record.user, record.action_type, record.query_type) == (user, 3, 2) and record.connection is not None
    post(client, TUTORIAL, {"action_type": 1, "query_type": 0, "user_token": tokens["user_token_for_other_app"]})
    assert Tutorial.objects.order_by("id").last().connection is None
    assert LabelerProfile.objects.get(user=user).best_tutorial_action == 3  # only raised
    post(client, TUTORIAL, {"action_type": 4, "query_type": 0}, bearer=tokens["user_token"])
    assert LabelerProfile.objects.get(user=user).best_tutorial_action == 4


def test_tutorial_errors(client, labeler, blacklisted):
    token = labeler[1]["user_token"]
    assert message(post(client, TUTORIAL)) == "Missing json"
    assert message(post(client, TUTORIAL, {"query_type": 1, "user_token": token})) == "Missing field: action_type"
    assert message(post(client, TUTORIAL, {"action_type": 1, "user_token": token})) == "Missing field: query_type"
    assert message(post(client, TUTORIAL, {"action_type": 1, "query_type": 1})) == "Missing field: user_token"
    for action, query, field in [
        (5, 0, "action_type"),
        (-1, 0, "action_type"),
        (True, 0, "action_type"),
        ("1", 0, "action_type"),
        (0, 3, "query_type"),
        (0, 1.0, "query_type"),
    ]:
        response = post(client, TUTORIAL, {"action_type": action, "query_type": query, "user_token": token})
        assert (response.status_code, message(response)) == (400, f"Invalid field: {field}")
    response = post(client, TUTORIAL, {"action_type": 9, "query_type": 9, "user_token": "bad"})
    assert (response.status_code, message(response)) == (401, "Not enough segments")  # token before values
    response = post(client, TUTORIAL, {"action_type": 1, "query_type": 1, "user_token": blacklisted[1]["user_token"]})
    assert (response.status_code, message(response)) == (403, "Permission denied")
    assert not Tutorial.objects.exists()
