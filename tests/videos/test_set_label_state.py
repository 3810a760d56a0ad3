"""POST /api/v1/set_label_state (videos.md §5.4) and the researcher-state services the admin uses."""

from __future__ import annotations

import pytest

from tests.videos.factories import VideoFactory
from tests.videos.helpers import message, post
from videos import services
from videos.models import Label, Video

pytestmark = pytest.mark.django_db
PATH = "/api/v1/set_label_state"


def test_researcher_sets_states(client, research):
    user, tokens = research
    videos = VideoFactory.create_batch(3, label_state=5, label_state_admin=16)
    data = [
        {"video_id": videos[0].pk, "label": 1},
        {"video_id": videos[1].pk, "label": 47},
        {"video_id": videos[2].pk, "label": -1},
    ]
    response = post(client, PATH, {"data": data, "user_token": tokens["user_token"]})
    assert response.status_code == 204 and response.content == b""
    states = dict(Video.objects.values_list("pk", "label_state_admin"))
    assert states == {videos[0].pk: 23, videos[1].pk: 47, videos[2].pk: -1}
    assert set(Video.objects.values_list("label_state", flat=True)) == {5}  # citizen state untouched
    labels = Label.objects.order_by("id")
    assert [(label.video_id, label.label, label.batch_id, label.user_id) for label in labels] == [
        (videos[0].pk, 1, None, user.pk),
        (videos[1].pk, 47, None, user.pk),
        (videos[2].pk, -1, None, user.pk),
    ]
    assert Video.objects.filter(label_update_time__isnull=True).count() == 0


@pytest.mark.parametrize("code", [0, 1, 23, 16, 19, 20, 47, 32, -2, -1])
def test_every_accepted_code(client, research, code):
    video = VideoFactory(label_state_admin=19)
    post(client, PATH, {"data": [{"video_id": video.pk, "label": code}], "user_token": research[1]["user_token"]})
    video.refresh_from_db()
    assert video.label_state_admin == {1: 23, 0: 16}.get(code, code)


@pytest.mark.parametrize("code", [15, 12, 5, 4, 3, 2, -3, 100, True, "1", None, 1.5])
def test_unknown_code_is_400_and_writes_nothing(client, research, code):
    videos = VideoFactory.create_batch(2)
    data = [{"video_id": videos[0].pk, "label": 1}, {"video_id": videos[1].pk, "label": code}]
    response = post(client, PATH, {"data": data, "user_token": research[1]["user_token"]})
    assert (response.status_code, message(response)) == (400, "Invalid field: data[1].label")
    assert not Label.objects.exists() and not Video.objects.exclude(label_state_admin=-1).exists()


def test_unknown_video_is_400(client, research):
    video = VideoFactory()
    data = [{"video_id": video.pk, "label": 1}, {"video_id": video.pk + 100, "label": 1}]
    response = post(client, PATH, {"data": data, "user_token": research[1]["user_token"]})
    assert (response.status_code, message(response)) == (400, "Invalid field: data[1].video_id")
    assert not Label.objects.exists()


def test_empty_list_is_a_no_op(client, research):
    assert post(client, PATH, {"data": [], "user_token": research[1]["user_token"]}).status_code == 204


@pytest.mark.parametrize("who", ["labeler", "expert_labeler", "amateur"])
def test_non_researchers_are_refused(client, request, who):
    video = VideoFactory()
    tokens = request.getfixturevalue(who)[1]
    response = post(client, PATH, {"data": [{"video_id": video.pk, "label": 1}], "user_token": tokens["user_token"]})
    assert (response.status_code, message(response)) == (403, "Permission denied")
    assert not Label.objects.exists()


def test_input_errors(client, research, blacklisted):
    token = research[1]["user_token"]
    assert message(post(client, PATH)) == "Missing json"
    assert message(post(client, PATH, {"user_token": token})) == "Missing field: data"
    assert message(post(client, PATH, {"data": []})) == "Missing field: user_token"
    assert message(post(client, PATH, {"data": "x", "user_token": token})) == "Invalid field: data"
    assert message(post(client, PATH, {"data": [5], "user_token": token})) == "Invalid field: data[0]"
    assert message(post(client, PATH, {"data": [{"video_id": 1, "label": 1, "x": 1}], "user_token": token})) == (
        "Invalid field: data[0].x"
    )
    assert (
        message(post(client, PATH, {"data": [{"label": 1}], "user_token": token})) == "Invalid field: data[0].video_id"
    )
    huge = {"data": [{"video_id": 10**30, "label": 1}], "user_token": token}
    assert message(post(client, PATH, huge)) == "Invalid field: data[0].video_id"  # not a 500 overflow
    too_many = [{"video_id": 1, "label": 1}] * 1001
    assert message(post(client, PATH, {"data": too_many, "user_token": token})) == "Invalid field: data"
    response = post(client, PATH, {"data": [], "user_token": blacklisted[1]["user_token"]})
    assert (response.status_code, message(response)) == (403, "Permission denied")
    response = post(client, PATH, {"data": [], "user_token": token + "x"})
    assert (response.status_code, message(response)) == (401, "Signature verification failed")


def test_bearer_token(client, research):
    video = VideoFactory()
    response = post(client, PATH, {"data": [{"video_id": video.pk, "label": 32}]}, bearer=research[1]["user_token"])
    assert response.status_code == 204


def test_services_for_the_admin(research, manager):
    """Managers act through the same service (no client-type check inside); history records the actor."""
    videos = VideoFactory.create_batch(3)
    assert services.set_researcher_state(user=manager, video_ids=[v.pk for v in videos], state=32) == 3
    assert set(Video.objects.values_list("label_state_admin", flat=True)) == {32}
    assert Label.objects.filter(user=manager, label=32, batch=None).count() == 3
    assert services.mark_videos_bad(video_ids=[videos[0].pk]) == 1
    videos[0].refresh_from_db()
    assert (videos[0].label_state, videos[0].label_state_admin) == (-2, -2)
    assert Label.objects.count() == 3  # marking bad without an actor (the command) writes no Label rows
    assert services.mark_videos_bad(video_ids=[videos[1].pk, videos[2].pk], by=manager) == 2
    assert Label.objects.filter(user=manager, label=-2, batch=None).count() == 2  # an admin action is recorded
    videos[1].refresh_from_db()
    assert (videos[1].label_state, videos[1].label_state_admin) == (-2, -2) and videos[1].label_update_time


def test_connect_labeler_refuses_blacklisted(blacklisted, labeler):
    from accounts.models import Connection

    with pytest.raises(services.NotAllowed):
        services.connect_labeler(user=blacklisted[0])
    connection = services.connect_labeler(user=labeler[0])
    assert isinstance(connection, Connection) and connection.client_type == 3


def test_set_labeler_scores(labeler):
    user, _ = labeler
    profile = services.set_labeler_scores(user=user, score=5, raw_score=24)
    assert (profile.score, profile.raw_score) == (5, 24)
    with pytest.raises(services.InvalidInput):
        services.set_labeler_scores(user=user, score=-1)
