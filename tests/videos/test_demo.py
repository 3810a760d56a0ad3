"""Generated clips (videos/clips.py) and the demo data (videos/demo.py)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.storage import default_storage

from videos import clips, demo, selectors, services, states
from videos.models import Batch, Label, Video

# --- clips (no database) -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def smoke_clip() -> dict[int, bytes]:
    return clips.generate_clip(clips.ClipSpec(smoke=True, seed=11))


def test_clips_are_browser_playable_h264_at_both_sizes(smoke_clip):
    assert set(smoke_clip) == {180, 320}
    for size, data in smoke_clip.items():
        info = clips.probe(data)
        assert info["codec"] == "h264"
        assert info["pix_fmt"] == "yuv420p"  # what every browser decodes
        assert (info["width"], info["height"]) == (size, size)
        assert info["frames"] == 24
        assert info["duration"] == pytest.approx(2.0, abs=0.1)
        assert clips.moov_before_mdat(data)  # +faststart: playback starts before the download ends
        assert data[4:8] == b"ftyp"
        assert len(data) < 60_000


def _upper_grey_share(frame: np.ndarray, spec: clips.ClipSpec, size: int) -> float:
    """Share of low-saturation light pixels above the chimney: smoke, not sky."""
    _, chimney_top = clips.chimney_position(spec, size)
    region = frame[:chimney_top].astype(np.int16)
    spread = region.max(axis=2) - region.min(axis=2)
    light = region.mean(axis=2) > 140
    return float(np.mean((spread < 25) & light))


def test_smoke_clips_show_a_plume_and_clear_clips_do_not():
    for seed in range(4):
        smoke = clips.ClipSpec(smoke=True, seed=seed)
        clear = clips.ClipSpec(smoke=False, seed=seed)
        smoke_frames = list(clips.render_frames(smoke, 180))
        clear_frames = list(clips.render_frames(clear, 180))
        assert _upper_grey_share(smoke_frames[-1], smoke, 180) > 0.05
        assert _upper_grey_share(clear_frames[-1], clear, 180) < 0.01


def test_smoke_moves_between_frames():
    spec = clips.ClipSpec(smoke=True, seed=3)
    frames = list(clips.render_frames(spec, 180))
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 2


def test_clips_are_reproducible_and_distinct():
    a = next(clips.render_frames(clips.ClipSpec(smoke=True, seed=5), 64))
    b = next(clips.render_frames(clips.ClipSpec(smoke=True, seed=5), 64))
    c = next(clips.render_frames(clips.ClipSpec(smoke=True, seed=6), 64))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_encoder_refuses_odd_sizes_and_empty_clips():
    with pytest.raises(ValueError, match="even"):
        clips.encode_mp4(iter([np.zeros((5, 6, 3), dtype=np.uint8)]))
    with pytest.raises(ValueError, match="at least one frame"):
        clips.encode_mp4(iter([]))


# --- demo data -------------------------------------------------------------------------------------------


def test_demo_file_names_are_valid_unique_and_have_similar_siblings():
    rows = demo.demo_clips()
    assert len(rows) == demo.DEMO_CLIPS
    assert len({row.file_name for row in rows}) == len(rows)
    for row in rows:
        states.parse_file_name(row.file_name)
    assert sum(row.smoke for row in rows) == demo.DEMO_CLIPS // 2
    # clip i and i + 25 are the same region on the same day (for "Mark similar clips as bad")
    region = selectors.region_of_reference(rows[0].file_name)
    assert region == selectors.region_of_reference(rows[25].file_name)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.mark.django_db
def test_demo_data_loads_playable_clips_gold_and_history_and_is_idempotent(media):
    out = io.StringIO()
    demo.load_demo_data(stdout=out)

    assert Video.objects.count() == demo.DEMO_CLIPS
    assert "300 added" in out.getvalue()
    for video in Video.objects.order_by("?")[:5]:
        for size in (180, 320):
            path = states.clip_storage_path(video.file_name, size)
            assert default_storage.exists(path), path
            with default_storage.open(path) as handle:
                assert clips.probe(handle.read())["width"] == size
    assert (media / "videos" / "320").is_dir()

    truth = {row.file_name: row.smoke for row in demo.demo_clips()}
    gold = Video.objects.filter(label_state_admin__in=states.GOLD)
    assert gold.filter(label_state_admin=47).count() == demo.GOLD_POS
    assert gold.filter(label_state_admin=32).count() == demo.GOLD_NEG
    for video in gold:  # gold answers are what the clip shows
        assert truth[video.file_name] == (video.label_state_admin == 47)
    # researcher decisions are in the label history
    assert Label.objects.filter(batch=None).count() == demo.GOLD_POS + demo.GOLD_NEG + demo.RESEARCHER_DECIDED
    # demo labelers returned batches: some passed, one labeler failed
    returned = Batch.objects.filter(return_time__isnull=False)
    assert returned.filter(score__gt=0).exists()
    assert returned.filter(score=0).exists()
    assert Video.objects.filter(label_state__in=states.PARTIAL).exists()

    # a new citizen gets a batch at once (enough gold and fresh clips)
    from tests.accounts.factories import LabelerFactory

    assert services.issue_batch(user=LabelerFactory()) is not None

    # idempotent: nothing added twice; a lost file is written again
    labels = Label.objects.count()
    lost = states.clip_storage_path(Video.objects.first().file_name, 320)
    default_storage.delete(lost)
    again = io.StringIO()
    demo.load_demo_data(stdout=again)
    assert Video.objects.count() == demo.DEMO_CLIPS
    assert Label.objects.count() == labels
    assert "0 added, 300 already present, 1 files written" in again.getvalue()
    assert default_storage.exists(lost)
