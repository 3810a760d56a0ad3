"""The generated pool columns (what batch selection reads) follow videos.states for every state pair."""

from __future__ import annotations

import itertools

import pytest

from tests.videos.factories import VideoFactory
from videos import states
from videos.models import Video

pytestmark = pytest.mark.django_db


def test_generated_pools_match_states_for_every_pair():
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


def test_pools_follow_updates_and_rand_keys_differ():
    videos = VideoFactory.create_batch(5)
    Video.objects.filter(pk=videos[0].pk).update(label_state=5)
    Video.objects.filter(pk=videos[1].pk).update(label_state_admin=32)
    pools = dict(Video.objects.values_list("pk", "citizen_pool"))
    assert pools[videos[0].pk] == states.CitizenPool.PARTIAL and pools[videos[1].pk] == states.CitizenPool.GOLD_NEG
    assert len(set(Video.objects.values_list("rand_key", flat=True))) == 5


def test_video_helpers():
    video = VideoFactory(label_state=23, label_state_admin=16)
    assert video.url_part.endswith(f"/{video.file_name}.mp4")
    assert video.final_label == states.FinalLabel.NEGATIVE
    assert str(video) == video.file_name


def test_generated_listing_columns_match_states_for_every_pair():
    pairs = list(itertools.product(states.ALL_STATES, states.ALL_STATES))
    Video.objects.bulk_create(
        [
            Video(file_name=f"0-0-2019-01-01-{i}-0-0-0-180-180-0-0-0", label_state=c, label_state_admin=a)
            for i, (c, a) in enumerate(pairs)
        ]
    )
    for video in Video.objects.all():
        c, a = video.label_state, video.label_state_admin
        assert video.final_label_code == states.final_label_code(c, a), (c, a)
        assert video.citizen_decision == states.citizen_decision(c, a), (c, a)
        assert video.researcher_decision == states.researcher_decision(a), (c, a)
