"""The feature extractor on small generated clips: what it measures, what it reads, how it fails."""

from __future__ import annotations

import math

import av
import cv2
import numpy as np
import pytest

from tests.verification.clips import encode, scene_frames
from verification import features

FPS = 24


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A 3 s 320x180 source (keyframe every 250 frames) and renditions: honest, tampered, other rates."""
    root = tmp_path_factory.mktemp("features")
    frames = list(scene_frames(320, 180, FPS, 3.0, seed=3))
    grey = lambda f: np.repeat(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)  # noqa: E731
    out = {
        "source": encode(root / "source.mp4", iter(frames), fps=FPS, crf=16, audio=True),
        "honest": encode(root / "honest.mp4", iter(frames), fps=FPS, size=(192, 108)),
        "flipped": encode(root / "flipped.mp4", iter(frames), fps=FPS, size=(192, 108), transform=lambda f: f[:, ::-1]),
        "grey": encode(root / "grey.mp4", iter(frames), fps=FPS, size=(192, 108), transform=grey),
        "half_rate": encode(root / "half_rate.mp4", iter(frames[::2]), fps=FPS / 2, size=(192, 108)),
    }
    out["marked"] = encode(root / "marked.mp4", iter(frames), fps=FPS, size=(192, 108), transform=small_logo)
    out["starved"] = encode(root / "starved.mp4", iter(frames), fps=FPS, size=(192, 108), crf=40)
    out["merged"] = encode(root / "merged.mp4", iter(frames), fps=FPS, size=(192, 108), transform=merge_green_into_red)
    out["not_video"] = root / "notes.txt"
    out["not_video"].write_text("not a video")
    data = out["honest"].read_bytes()
    out["truncated"] = root / "truncated.mp4"
    out["truncated"].write_bytes(data[:200])
    return out


def small_logo(frame: np.ndarray) -> np.ndarray:
    """A small semi-transparent text badge in the top-right corner (about 12 % of the width)."""
    frame = frame.copy()
    h, w = frame.shape[:2]
    badge = frame.copy()
    x0, y0 = w - w // 8 - 4, 4
    cv2.rectangle(badge, (x0, y0), (w - 4, y0 + h // 10), (255, 255, 255), 1)
    cv2.putText(badge, "TV", (x0 + 2, y0 + h // 12), cv2.FONT_HERSHEY_SIMPLEX, h / 400, (255, 255, 80), 1)
    return cv2.addWeighted(badge, 0.7, frame, 0.3, 0)


def merge_green_into_red(frame: np.ndarray) -> np.ndarray:
    frame = frame.copy()
    frame[..., 0] = frame[..., 1]
    return frame


def vector(result: features.RenditionFeatures) -> dict[str, float]:
    assert result.vector is not None
    return dict(zip(features.FEATURE_NAMES, result.vector.tolist(), strict=True))


def test_read_meta_measures_the_file(clips):
    meta = features.read_meta(str(clips["source"]))

    assert meta.video_available and meta.audio_available
    assert (meta.width, meta.height) == (320, 180)
    assert meta.fps == pytest.approx(FPS)
    assert meta.frame_count == 72
    assert meta.duration == pytest.approx(3.0, abs=0.05)
    assert meta.bytes == clips["source"].stat().st_size
    assert not features.read_meta(str(clips["honest"])).audio_available


@pytest.mark.parametrize("name", ["not_video", "truncated"])
def test_read_meta_never_raises_for_a_bad_file(clips, name):
    meta = features.read_meta(str(clips[name]))

    assert meta.video_available is False
    assert meta.bytes == clips[name].stat().st_size


def test_read_meta_of_a_missing_file():
    assert features.read_meta("/nonexistent/clip.mp4") == features.VideoMeta()


def test_same_request_gives_the_same_features_and_reports_the_timestamps(clips):
    first = features.extract_features(str(clips["source"]), [str(clips["honest"])])
    second = features.extract_features(str(clips["source"]), [str(clips["honest"])])

    assert np.array_equal(first[0].vector, second[0].vector)
    assert first[0].timestamps == second[0].timestamps
    assert first[0].timestamps == tuple(sorted(first[0].timestamps))
    assert 2 <= len(first[0].timestamps) <= 2 * features.MAX_PAIRS
    assert all(0.0 <= t < 3.0 for t in first[0].timestamps)
    assert first[0].vector.shape == (len(features.FEATURE_NAMES),)
    assert np.isfinite(first[0].vector).all()


def test_tampered_renditions_move_the_features_the_right_way(clips):
    honest, flipped, grey = features.extract_features(
        str(clips["source"]), [str(clips["honest"]), str(clips["flipped"]), str(clips["grey"])]
    )
    h, f, g = vector(honest), vector(flipped), vector(grey)

    assert h["psnr_y"] > 30 and h["ssim_y"] > 0.9
    assert f["psnr_y"] < h["psnr_y"] - 10 and f["ssim_y"] < 0.75
    assert f["flip_ratio"] > 1.0 > h["flip_ratio"]  # the flipped source matches the rendition better
    assert g["log_saturation_ratio"] < -1.5 < h["log_saturation_ratio"]
    assert g["ssim_y"] > 0.9  # luma intact: only colour tells
    assert h["log_height_ratio"] == pytest.approx(math.log(108 / 180))
    assert h["aspect_error"] == pytest.approx(0.0, abs=0.01)
    # every rendition of the request was measured against the same source frames
    assert honest.timestamps == grey.timestamps


def test_frame_rate_is_judged_against_the_expected_one(clips):
    implied, declared = (
        features.extract_features(str(clips["source"]), [str(clips["half_rate"])], frame_rates=rates)[0]
        for rates in ([None], [FPS / 2])
    )

    assert implied.meta.fps == pytest.approx(FPS / 2)
    assert vector(implied)["log_fps_vs_expected"] == pytest.approx(math.log(2), abs=0.01)
    assert vector(implied)["log_fps_vs_source"] == pytest.approx(math.log(0.5), abs=0.01)
    assert vector(declared)["log_fps_vs_expected"] == pytest.approx(0.0, abs=0.01)
    assert vector(declared)["psnr_y"] > 28  # frames of the slower rendition are matched by time


def test_unreadable_rendition_gives_no_vector_but_the_others_are_measured(clips):
    results = features.extract_features(
        str(clips["source"]), [str(clips["not_video"]), str(clips["honest"]), "/nonexistent.mp4"]
    )

    assert [r.vector is None for r in results] == [True, False, True]
    assert results[0].meta.video_available is False and results[0].meta.bytes > 0
    assert results[2].meta == features.VideoMeta()


@pytest.mark.parametrize("name", ["not_video", "truncated", "missing"])
def test_unreadable_source_raises(clips, name):
    path = str(clips[name]) if name in clips else "/nonexistent/source.mp4"
    with pytest.raises(features.UnreadableSource):
        features.extract_features(path, [str(clips["honest"])])


def test_reads_only_a_small_share_of_the_frames_and_the_source_once(clips, monkeypatch):
    calls = []
    real = features._decode

    def counting(probe, windows, convert, wanted=None, **options):
        decoded = real(probe, windows, convert, wanted, **options)
        calls.append((probe.path, len(decoded)))
        return decoded

    monkeypatch.setattr(features, "_decode", counting)
    renditions = [str(clips["honest"]), str(clips["flipped"]), str(clips["grey"])]
    features.extract_features(str(clips["source"]), renditions)

    assert [path for path, _ in calls].count(str(clips["source"])) == 1
    assert all(count <= features.MAX_PAIRS * 2 for _, count in calls)
    # the decoding floor the benchmark times reads the same frames: far fewer than the 4 x 72 frames
    assert features.decode_sampled_frames(str(clips["source"]), renditions) <= 4 * features.MIN_SOURCE_FRAMES


def test_renditions_decoded_beside_the_source_give_what_one_after_another_gives(clips, monkeypatch):
    """Renditions decode on a second thread while the source decodes; the features and the floor's frame
    count are those of decoding one file after another."""
    source = str(clips["source"])
    renditions = [str(clips[n]) for n in ("honest", "not_video", "flipped", "starved", "half_rate")]
    overlapped = features.extract_features(source, renditions)
    serial_floor = features.decode_sampled_frames(source, renditions, overlap=False)

    real = features._rendition_decoder
    monkeypatch.setattr(features, "_rendition_decoder", lambda *a, **k: real(*a, **{**k, "overlap": False}))
    serial = features.extract_features(source, renditions)

    assert [r.vector is None for r in overlapped] == [False, True, False, False, False]
    assert [None if r.vector is None else r.vector.tolist() for r in overlapped] == [
        None if r.vector is None else r.vector.tolist() for r in serial
    ]
    assert features.decode_sampled_frames(source, renditions) == serial_floor


def test_an_undecodable_source_stops_the_rendition_decodes(clips, monkeypatch):
    real = features._decode

    def failing_source(probe, windows, convert, wanted=None, **options):
        if probe.path == str(clips["source"]):
            raise av.error.InvalidDataError(1, "corrupt")
        return real(probe, windows, convert, wanted, **options)

    monkeypatch.setattr(features, "_decode", failing_source)
    with pytest.raises(features.UnreadableSource):
        features.extract_features(str(clips["source"]), [str(clips["honest"])] * 6)


def test_a_small_steady_overlay_stands_out_from_coding_noise(clips):
    honest, marked = features.extract_features(str(clips["source"]), [str(clips["honest"]), str(clips["marked"])])
    h, m = vector(honest), vector(marked)

    assert m["unexplained_peak"] > 2 * h["unexplained_peak"]  # coding loss does not explain it
    assert m["added_edges_peak"] > 2 * h["added_edges_peak"]
    assert m["psnr_y"] > 25  # the frame as a whole still matches well


def test_a_channel_merge_collapses_two_colour_channels(clips):
    honest, merged = features.extract_features(str(clips["source"]), [str(clips["honest"]), str(clips["merged"])])
    h, m = vector(honest), vector(merged)

    assert h["channel_collapse"] > -0.3  # an honest rendition keeps the channels as far apart as the source's
    assert m["channel_collapse"] < h["channel_collapse"] - 1.0
    assert m["channel_diff_corr_min"] < h["channel_diff_corr_min"] - 0.3


def test_a_starved_rendition_is_coded_with_coarser_quantisers(clips):
    """The quantiser is read from the bitstream (the decoder's block QPs), the same on every run."""
    paths = [str(clips["honest"]), str(clips["starved"])]
    runs = [features.extract_features(str(clips["source"]), paths) for _ in range(3)]
    honest, starved = (vector(result)["quantiser"] for result in runs[0])
    assert 20 < honest < 30 and starved > honest + 10
    assert all([r.vector.tolist() for r in run] == [r.vector.tolist() for r in runs[0]] for run in runs)


def upscale_clips(root, size: tuple[int, int], lines: int, *, seconds: float, seed: int, crf: tuple[int, int]):
    """A source of `size`, an honest rendition of the same size and one upscaled to it from `lines` lines."""
    frames = list(scene_frames(*size, FPS, seconds, seed=seed))
    fewer = (int(round(size[0] * lines / size[1])), lines)

    def upscaled(frame: np.ndarray) -> np.ndarray:
        small = cv2.resize(frame, fewer, interpolation=cv2.INTER_AREA)
        return cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)

    source_crf, rendition_crf = crf
    return {
        "source": encode(root / "source.mp4", iter(frames), fps=FPS, crf=source_crf),
        "honest": encode(root / "honest.mp4", iter(frames), fps=FPS, crf=rendition_crf),
        "upscaled": encode(root / "upscaled.mp4", iter(frames), fps=FPS, crf=rendition_crf, transform=upscaled),
    }


@pytest.fixture(scope="module")
def tall_clips(tmp_path_factory):
    """640x360 clips, one upscaled from 240 lines (taller than the working height, so only the comparison
    at the rendition's own size can tell)."""
    return upscale_clips(tmp_path_factory.mktemp("tall"), (640, 360), 240, seconds=1.0, seed=5, crf=(14, 20))


def test_content_upscaled_from_fewer_lines_lacks_the_fine_detail_of_its_size(tall_clips):
    honest, upscaled = features.extract_features(
        str(tall_clips["source"]), [str(tall_clips["honest"]), str(tall_clips["upscaled"])]
    )
    h, u = vector(honest), vector(upscaled)

    assert h["fine_detail_gain"] > 0.8 and h["fine_detail_corr"] > 0.8
    assert u["fine_detail_gain"] < 0.4 * h["fine_detail_gain"]  # most of the detail of its own size is missing
    assert u["fine_detail_corr"] < h["fine_detail_corr"] - 0.2
    # at the working height (180 lines) the 240 lines it was made from keep most of the detail: that
    # comparison sees a much smaller loss
    assert u["detail_gain"] > 0.6 * h["detail_gain"]
    assert u["fine_source_detail"] == h["fine_source_detail"]  # the same source frame at the same size


@pytest.mark.parametrize(
    ("shape", "size"), [((1080, 1920), (320, 180)), ((480, 854), (320, 180)), ((180, 320), (256, 144))]
)
def test_shrinking_by_halvings_stays_close_to_an_area_average(shape, size):
    """The fast shrink (exact halvings, then bilinear for a ratio under 2) matches OpenCV's area resize
    to within a few levels on camera-like content, so the features keep their meaning."""
    rng = np.random.default_rng(1)
    image = cv2.GaussianBlur(rng.integers(0, 255, shape, dtype=np.uint8), (0, 0), 3.0)
    image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX)

    fast = features._shrink(image, size)
    exact = cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    assert fast.shape == exact.shape
    difference = np.abs(fast.astype(int) - exact.astype(int))
    assert difference.mean() < 2.0 and difference.max() < 16


@pytest.fixture(scope="module")
def hd_clips(tmp_path_factory):
    """1280x720 clips, one upscaled from 360 lines: at the 360 lines of the fine-detail comparison most of
    the loss is out of sight; the full-size crop sees it."""
    return upscale_clips(tmp_path_factory.mktemp("hd"), (1280, 720), 360, seconds=0.5, seed=7, crf=(12, 18))


def test_content_upscaled_to_a_tall_rendition_lacks_the_detail_of_its_full_size(hd_clips):
    honest, upscaled = features.extract_features(
        str(hd_clips["source"]), [str(hd_clips["honest"]), str(hd_clips["upscaled"])]
    )
    h, u = vector(honest), vector(upscaled)

    assert h["native_detail_gain"] > 0.7 and h["native_detail_corr"] > 0.7
    assert u["native_detail_gain"] < 0.5 * h["native_detail_gain"]
    assert u["native_detail_corr"] < h["native_detail_corr"] - 0.2
    # at 360 lines (the lines it was made from) far less of the detail is missing than at its full size
    fine_kept = u["fine_detail_gain"] / h["fine_detail_gain"]
    native_kept = u["native_detail_gain"] / h["native_detail_gain"]
    assert native_kept < 0.4 * fine_kept
