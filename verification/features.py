"""Rendition verification features: measure a source and its renditions, compare sampled frames.

Pure module (no Django). The hot loop of `/verify`, built to decode as few frames as possible:

1. Each file is opened once (FFmpeg's probe decode skipped) and demuxed (packets only, no decoding: a
   few milliseconds) to learn its frame timestamps, keyframes, frame rate and size; the packets are then
   decoded from memory, with no second open and no seek.
2. The source's sample windows start at its keyframes (spread over the clip, at most `MAX_WINDOWS`):
   decoding a window costs only its own frames, never the frames between a seek point and a random
   timestamp. The number of frames read is a small share of the clip (`SOURCE_SHARE`, between
   `MIN_SOURCE_FRAMES` and `MAX_SOURCE_FRAMES`). The plan depends only on the files, so the same request
   always compares the same timestamps (reported as `RenditionFeatures.timestamps`).
3. Each rendition decodes, from its own preceding keyframe, the frames shown at the same times as the
   source's windows; a window that would cost a rendition a long decode (its keyframes far from the
   source's) is left out for that rendition only, so a rendition's features never depend on the others.
4. The source is decoded with frame threading, renditions without it but with their block quantisers
   exported (`_decode`), all without the H.264 loop filter (measured in
   docs/verification.md: 5-10 % faster, features move by 0.02 of their spread on average), then each
   Y/U/V plane is shrunk straight to a working size that keeps the source's aspect ratio (no RGB
   conversion). The renditions decode one after another on a second thread while the source decodes and
   while the renditions decoded before them are compared (`_rendition_decoder`; FFmpeg and OpenCV
   release the GIL).
5. Per compared pair: luma PSNR and SSIM (mean and worst block), chroma error, saturation, Y/U/V
   correlations, RGB channel collapse (merges) and histogram distance (at a quarter of the working size),
   detail ratio and detail gain against the source (starved bitrates, upscaled content), blockiness at
   the rendition's own size, a flip test, a vignette profile; over all compared frames, persistent,
   steady and unexplained differences, persistent SSIM and chroma differences and added edges (an
   overlay stays in place while coding noise does not, and a blurred source does not explain it) and
   temporal metrics from adjacent frames; the rendition's detail at its own size, whole up to 360 lines
   and on a centred crop at full size (content upscaled from fewer lines). Metadata features (size,
   aspect and frame-rate mismatches, bits per pixel per second, chroma subsampling) complete the vector.
   Every feature is independent of the rendition's resolution.

The source's frames are decoded once for all renditions of a request.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

import av
import cv2
import numpy as np
from av.sidedata.encparams import VideoEncParams

__all__ = [
    "FEATURE_NAMES",
    "RenditionFeatures",
    "UnreadableSource",
    "VideoMeta",
    "decode_sampled_frames",
    "extract_features",
    "read_meta",
]

# Sampling plan (see the module docstring). Tuned on the corpus; docs/verification.md has the figures.
SOURCE_SHARE = 0.08
MIN_SOURCE_FRAMES = 8
MAX_SOURCE_FRAMES = 32
MAX_WINDOWS = 4
MIN_WINDOW = 2
MAX_PAIRS = 6  # compared (frame, next frame) pairs per rendition
EXTRA_RENDITION_FRAMES = 8  # how far before a window a rendition's keyframe may lie (besides a share of its length)
EXTRA_RENDITION_SHARE = 0.1
WORK_HEIGHT = 180  # working height; a shorter rendition is compared at its own height
DETAIL_HEIGHT = 360  # fine detail is compared at the rendition's own size, at most this many lines
NATIVE_CROP = (640, 360)  # native detail: a centred crop of the rendition at its full size, at most this large
UNEXPLAINED_BLUR = 1.5  # sigma (working-size pixels) of the detail loss an honest low rung may show
SKIP_LOOP_FILTER = True
BLOCK = 8  # coding block edge (H.264's 8x8 transform): blockiness is measured across these boundaries

FEATURE_NAMES: tuple[str, ...] = (
    "log_height_ratio",
    "aspect_error",
    "log_fps_vs_expected",
    "log_fps_vs_source",
    "log_duration_ratio",
    "log_bits_per_pixel_second",
    "log_bits_ratio_vs_source",
    "log_height",
    "chroma_share",
    "psnr_y",
    "ssim_y",
    "ssim_y_worst",
    "chroma_error",
    "log_saturation_ratio",
    "channel_corr_min",
    "channel_corr_mean",
    "histogram_distance",
    "log_detail_ratio",
    "flip_ratio",
    "vignette",
    "brightness_shift",
    "diff_area",
    "persistent_peak_rel",
    "persistent_area",
    "steady_diff_area",
    "added_edges_peak",
    "added_edges_area",
    "log_motion_ratio",
    "motion_corr",
    "channel_collapse",
    "channel_diff_corr_min",
    "rgb_error_spread",
    "detail_gain",
    "detail_corr",
    "blockiness",
    "ssim_persistent_worst",
    "steady_window_rel",
    "unexplained_peak",
    "unexplained_rel",
    "steady_chroma_rel",
    "quantiser",
    "fine_detail_gain",
    "fine_detail_corr",
    "fine_source_detail",
    "native_detail_gain",
    "native_detail_corr",
)
NO_QUANTISER = -1.0  # `quantiser` of a rendition whose decoder exports no block quantisers (not H.264)


class UnreadableSource(Exception):
    """The source is missing or has no decodable video stream (the API answers 400)."""


@dataclass(frozen=True)
class VideoMeta:
    """Measured properties of one file; `video_available` is False when nothing could be decoded."""

    fps: float = 0.0
    width: int = 0
    height: int = 0
    frame_count: int = 0
    duration: float = 0.0
    video_available: bool = False
    audio_available: bool = False
    bytes: int = 0


@dataclass(frozen=True)
class RenditionFeatures:
    """One rendition's measurement: its metadata, its feature vector (None if unreadable), the timestamps compared.

    `timestamps` are the source's presentation times (seconds from its first frame) of the compared frames.
    """

    meta: VideoMeta
    vector: np.ndarray | None
    timestamps: tuple[float, ...] = ()


# --- probing ---------------------------------------------------------------------------------------

# Opening a file makes FFmpeg decode its first frames to learn the pixel format (tens of milliseconds for
# a 1080p source); the header gives everything else, so the probe decoders skip every frame. The pixel
# format is read from the first frame decoded later.
_OPEN_OPTIONS = {"skip_frame": "all"}


@dataclass
class _Probe:
    """One opened and demuxed file: packets in decode order, frame times in presentation order, keyframes.

    Holds its container open (for decoding the packets); `close()` releases it.
    """

    path: str
    container: object
    stream: object
    audio: bool
    fps: float
    width: int
    height: int
    time_base: Fraction
    packets: list  # av.Packet, decode order
    pts: np.ndarray  # int64, sorted presentation timestamps (stream time base)
    times: np.ndarray  # float64 seconds from the first frame, same order as pts
    key_indices: np.ndarray  # presentation indices of keyframes
    key_positions: dict[int, int] = field(default_factory=dict)  # presentation index -> packet position
    pix_fmt: str | None = None  # known once a frame was decoded

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    @property
    def duration(self) -> float:
        if not len(self.times):
            return 0.0
        return float(self.times[-1]) + (1.0 / self.fps if self.fps > 0 else 0.0)

    def close(self) -> None:
        self.container.close()


def _chroma_share(pix_fmt: str | None) -> float:
    """Chroma samples per luma sample over both chroma planes (4:2:0 = 0.5, 4:2:2 = 1, 4:4:4 = 2, gray = 0)."""
    try:
        fmt = av.VideoFormat(pix_fmt or "yuv420p", 64, 64)
    except (ValueError, TypeError):
        return 0.5
    if fmt.is_rgb:
        return 2.0
    colour = [c for c in fmt.components if not c.is_alpha]
    if len(colour) < 3:
        return 0.0
    return float(sum(c.width * c.height for c in colour[1:3])) / (64.0 * 64.0)


def _open(path: str):
    container = av.open(path, options=_OPEN_OPTIONS)
    if container.streams.video and not container.streams.video[0].codec_context.width:
        container.close()  # a format whose size only a decoded frame reveals
        container = av.open(path)
    return container


def _probe(path: str) -> _Probe | None:
    """Open and demux a file's video packets (no decoding); None when it has no usable video stream."""
    container = _open(path)
    try:
        audio = bool(container.streams.audio)
        if not container.streams.video:
            container.close()
            return None
        stream = container.streams.video[0]
        cc = stream.codec_context
        if not cc.width or not cc.height:
            container.close()
            return None
        time_base = stream.time_base or Fraction(1, 90000)
        packets: list = []
        pts_list: list[int] = []
        keys: list[bool] = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is None:
                ts = (pts_list[-1] + 1) if pts_list else 0
            pts_list.append(int(ts))
            keys.append(bool(packet.is_keyframe))
            packets.append(packet)
    except Exception:
        container.close()
        raise
    if not pts_list:
        container.close()
        return None
    raw = np.asarray(pts_list, dtype=np.int64)
    order = np.argsort(raw, kind="stable")
    pts = raw[order]
    packet_index = np.empty_like(order)
    packet_index[order] = np.arange(len(order))
    times = (pts - pts[0]).astype(np.float64) * float(time_base)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else 0.0
    if (fps <= 0 or fps > 1000) and len(times) > 1 and times[-1] > 0:
        fps = (len(times) - 1) / float(times[-1])
    key_positions = {int(packet_index[pos]): pos for pos, k in enumerate(keys) if k}
    if not key_positions:  # no flagged keyframe: decode from the first packet
        key_positions = {int(packet_index[0]): 0}
    return _Probe(
        path=path,
        container=container,
        stream=stream,
        audio=audio,
        fps=fps,
        width=int(cc.width),
        height=int(cc.height),
        time_base=time_base,
        packets=packets,
        pts=pts,
        times=times,
        key_indices=np.asarray(sorted(key_positions), dtype=np.int64),
        key_positions=key_positions,
    )


def _safe_probe(path: str) -> _Probe | None:
    try:
        return _probe(path) if os.path.isfile(path) else None
    except Exception:  # av raises many error types for foreign or damaged files; all mean "not readable"
        return None


def _meta(probe: _Probe | None, *, path: str, decoded: bool) -> VideoMeta:
    try:
        size = os.path.getsize(path)
    except OSError:
        return VideoMeta()
    if probe is None:
        return VideoMeta(bytes=size, audio_available=_has_audio(path))
    return VideoMeta(
        fps=round(probe.fps, 3),
        width=probe.width,
        height=probe.height,
        frame_count=probe.frame_count,
        duration=round(probe.duration, 4),
        video_available=decoded,
        audio_available=probe.audio,
        bytes=size,
    )


def _has_audio(path: str) -> bool:
    try:
        with av.open(path, options=_OPEN_OPTIONS) as container:
            return bool(container.streams.audio)
    except Exception:
        return False


def read_meta(path: str) -> VideoMeta:
    """Measure a file from its packets, decoding only its first frame; never raises for a bad file.

    `video_available` is True only when a video frame actually decodes (a truncated or foreign file is False).
    """
    probe = _safe_probe(path)
    decoded = False
    if probe is not None:
        try:
            first = int(probe.key_indices[0])
            decoded = bool(_decode(probe, [(first, first)], convert=None))
        except Exception:
            decoded = False
        finally:
            probe.close()
    return _meta(probe, path=path, decoded=decoded)


# --- decoding --------------------------------------------------------------------------------------


def _decode(
    probe: _Probe,
    windows: Sequence[tuple[int, int]],
    convert: Callable | None,
    wanted: set[int] | None = None,
    *,
    quantisers: bool = False,
) -> dict[int, object]:
    """Decode the frames of `windows` (inclusive presentation-index ranges), each from its keyframe.

    Returns presentation index -> `convert(frame)` (or True when convert is None) for the `wanted`
    indices (every frame of the windows when None). Frames between a keyframe and a window are decoded
    but neither converted nor kept. Uses the probe's own packets: no second open, no seeking.

    `quantisers`: the decoder exports each frame's block quantisers (`_mean_quantiser`). FFmpeg's H.264
    decoder then runs without frame threading: with it, a frame sometimes carries another frame's
    quantisers, and the same request would not always get the same verdict.
    """
    out: dict[int, object] = {}
    if not windows:
        return out
    stream = probe.stream
    stream.thread_type = "SLICE" if quantisers else "AUTO"
    cc = stream.codec_context
    options = {"skip_loop_filter": "all"} if SKIP_LOOP_FILTER else {}
    cc.options = {**options, "export_side_data": "venc_params"} if quantisers else options
    position = -1  # next packet position to feed
    last_out = -1  # presentation index of the last frame the decoder gave
    drained = False
    pts_lookup = probe.pts
    for first, last in sorted(windows):
        if all(i in out for i in range(first, last + 1) if wanted is None or i in wanted):
            continue
        key = int(probe.key_indices[max(0, np.searchsorted(probe.key_indices, first, side="right") - 1)])
        start = probe.key_positions[key]
        # Keep feeding when the window lies ahead within reach; otherwise restart at its keyframe.
        if position < 0 or drained or start >= position or first <= last_out:
            if position >= 0:
                cc.flush_buffers()
            position, drained = start, False
        done = False
        while not done:
            if position < len(probe.packets):
                frames = cc.decode(probe.packets[position])
                position += 1
            else:
                frames = cc.decode(None)
                drained = done = True
            for frame in frames:
                if probe.pix_fmt is None:
                    probe.pix_fmt = frame.format.name
                if frame.pts is None:
                    continue
                idx = int(np.searchsorted(pts_lookup, frame.pts))
                if idx >= len(pts_lookup) or pts_lookup[idx] != frame.pts:
                    continue
                last_out = idx
                if first <= idx <= last and (wanted is None or idx in wanted):
                    out[idx] = True if convert is None else convert(frame)
                if idx >= last:
                    done = True
    return out


# --- the sampling plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    source_windows: tuple[tuple[int, int], ...]
    # per rendition: list of (source index, rendition index) pairs, grouped in adjacent couples
    matches: tuple[tuple[tuple[int, int], ...], ...]
    rendition_windows: tuple[tuple[tuple[int, int], ...], ...]


def _source_windows(src: _Probe) -> list[tuple[int, int]]:
    """Windows starting at keyframes, spread over the clip, within the frame budget."""
    n = src.frame_count
    budget = int(min(MAX_SOURCE_FRAMES, max(MIN_SOURCE_FRAMES, round(SOURCE_SHARE * n))))
    budget = min(budget, n)
    keys = [int(k) for k in src.key_indices]
    count = max(1, min(len(keys), MAX_WINDOWS, budget // max(MIN_WINDOW, 1)))
    length = max(MIN_WINDOW, budget // count)
    chosen: list[int] = []
    targets = np.linspace(0, max(0, n - length), count) if count > 1 else [keys[0]]
    for target in targets:
        free = [k for k in keys if all(abs(k - c) >= length for c in chosen)]
        if not free:
            break
        chosen.append(min(free, key=lambda k: (abs(k - target), k)))
    return [(k, min(n - 1, k + length - 1)) for k in sorted(chosen)]


def _nearest(times: np.ndarray, t: float) -> int:
    i = int(np.searchsorted(times, t))
    if i <= 0:
        return 0
    if i >= len(times):
        return len(times) - 1
    return i if abs(times[i] - t) < abs(times[i - 1] - t) else i - 1


def _match(src: _Probe, rend: _Probe, windows: Sequence[tuple[int, int]]):
    """Pairs (source index, rendition index) per window that this rendition can reach cheaply.

    Each rendition frame is paired with the source frame shown at the same time (the nearest within half
    a source frame), and only inside the window: at a scene cut, a lower-rate rendition's frame is never
    compared with a source frame of the next scene.
    """
    tolerance = 0.5 / (src.fps if src.fps > 0 else 30.0) + 1e-4
    slack = max(EXTRA_RENDITION_FRAMES, int(EXTRA_RENDITION_SHARE * rend.frame_count))
    rend_windows: list[tuple[int, int]] = []
    window_matches: list[list[tuple[int, int]]] = []
    for number, (first, last) in enumerate(windows):
        t0, t1 = float(src.times[first]), float(src.times[last])
        r0, r1 = _nearest(rend.times, t0), _nearest(rend.times, t1)
        key = int(rend.key_indices[max(0, np.searchsorted(rend.key_indices, r0, side="right") - 1)])
        if number > 0 and (r0 - key) > slack:
            continue
        pairs = []
        for r in range(r0, r1 + 1):
            t = float(rend.times[r])
            s = _nearest(src.times, t)
            if first <= s <= last and abs(float(src.times[s]) - t) <= tolerance:
                pairs.append((s, r))
        if pairs:
            rend_windows.append((r0, r1))
            window_matches.append(pairs)
    return rend_windows, window_matches


def _choose_pairs(window_matches: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Up to MAX_PAIRS adjacent couples, spread evenly inside each window; flat list, couples consecutive."""
    if not window_matches:
        return []
    per_window = max(1, MAX_PAIRS // len(window_matches))
    chosen: list[tuple[int, int]] = []
    for pairs in window_matches:
        couples = [(pairs[i], pairs[i + 1]) for i in range(len(pairs) - 1) if pairs[i + 1][1] == pairs[i][1] + 1]
        if not couples:
            chosen.extend([pairs[0], pairs[0]])
            continue
        picks = sorted({int(round(x)) for x in np.linspace(0, len(couples) - 1, min(per_window, len(couples)))})
        for p in picks:
            chosen.extend(couples[p])
    return chosen[: 2 * MAX_PAIRS]


def _plan(src: _Probe, rends: Sequence[_Probe | None]) -> _Plan:
    windows = _source_windows(src)
    matches = []
    rwindows = []
    for rend in rends:
        if rend is None:
            matches.append(())
            rwindows.append(())
            continue
        rw, wm = _match(src, rend, windows)
        matches.append(tuple(_choose_pairs(wm)))
        rwindows.append(tuple(rw))
    # A source window no rendition reads is not decoded (except the first, which every rendition reads).
    used = {s for m in matches for s, _ in m}
    kept = tuple(w for i, w in enumerate(windows) if i == 0 or any(w[0] <= s <= w[1] for s in used))
    return _Plan(source_windows=kept, matches=tuple(matches), rendition_windows=tuple(rwindows))


# --- frame conversion and metrics ------------------------------------------------------------------

_PLANAR = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p", "yuv410p", "yuv440p"}


def _work_size(src: _Probe, rend: _Probe) -> tuple[int, int]:
    """Working size: the source's aspect ratio at WORK_HEIGHT, or at the rendition's height when shorter."""
    height = min(WORK_HEIGHT, rend.height, src.height)
    height = max(16, height - height % 2)
    width = int(round(height * src.width / src.height / 2.0)) * 2
    return max(16, width), height


def _detail_size(rend: _Probe) -> tuple[int, int]:
    """The rendition's size, shrunk to DETAIL_HEIGHT lines when taller (its fine-detail comparison size)."""
    if rend.height <= DETAIL_HEIGHT:
        return rend.width, rend.height
    return max(16, int(round(rend.width * DETAIL_HEIGHT / rend.height))), DETAIL_HEIGHT


def _plane(plane) -> np.ndarray:
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]


def _shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Shrink `image` to `size`: exact area halvings while it is at least twice as large, then bilinear.

    A general area resize recomputes its weights on every call and costs 0.3-1.3 ms a plane here (a 1080p
    luma plane to 320x180: 1.3 ms); exact halvings average 2x2 blocks (0.2 ms for 1080p, 0.04 ms for 540
    lines), and what is left is a ratio under 2, where bilinear interpolation of the halved image (0.05 ms)
    aliases little.
    """
    width, height = size
    h, w = image.shape[:2]
    while w % 2 == 0 and h % 2 == 0 and w >= 2 * width and h >= 2 * height:
        image = cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR if w >= width and h >= height else cv2.INTER_AREA)


def _frame_yuv(frame, size: tuple[int, int]) -> np.ndarray:
    """The frame as a (h, w, 3) uint8 Y, U, V image at `size`: each plane shrunk directly (no colour conversion)."""
    if frame.format.name not in _PLANAR and frame.format.name != "gray":
        frame = frame.reformat(format="yuv444p")
    planes = [_shrink(_plane(frame.planes[0]), size)]
    if frame.format.name == "gray":
        neutral = np.full_like(planes[0], 128)
        planes += [neutral, neutral]
    else:
        planes += [_shrink(_plane(p), size) for p in frame.planes[1:3]]
    return cv2.merge(planes)


def _blockiness(y8: np.ndarray) -> float:
    """log(mean luma step across coding-block edges / mean step elsewhere) of a plane at the file's size.

    A starved encode shows steps at its blocks' edges (the loop filter is skipped, so they stay visible).
    """
    h, w = y8.shape
    half = BLOCK // 2

    def step(a: np.ndarray, b: np.ndarray) -> float:
        return float(cv2.mean(cv2.absdiff(np.ascontiguousarray(a), np.ascontiguousarray(b)))[0])

    # steps across block edges (between pixels BLOCK*k - 1 and BLOCK*k) against steps across block middles
    nx, ny = (w - 1) // BLOCK, (h - 1) // BLOCK
    if nx < 1 or ny < 1:
        return 0.0
    cols, rows = slice(BLOCK, BLOCK * nx + 1, BLOCK), slice(BLOCK, BLOCK * ny + 1, BLOCK)
    mcols, mrows = slice(half, half + BLOCK * nx, BLOCK), slice(half, half + BLOCK * ny, BLOCK)
    edges = step(y8[:, cols], y8[:, BLOCK - 1 : BLOCK * nx : BLOCK]) + step(
        y8[rows], y8[BLOCK - 1 : BLOCK * ny : BLOCK]
    )
    inside = step(y8[:, mcols], y8[:, half - 1 : half - 1 + BLOCK * nx : BLOCK]) + step(
        y8[mrows], y8[half - 1 : half - 1 + BLOCK * ny : BLOCK]
    )
    return math.log((edges + 0.5) / (inside + 0.5))


def _index(probe: _Probe, frame) -> int:
    if frame.pts is None:
        return -1
    return int(np.searchsorted(probe.pts, frame.pts))


def _converter(sizes: Sequence[tuple[int, int]], probe: _Probe | None = None, keep: set[int] = frozenset()) -> Callable:
    """Convert a frame once, at the largest size, and derive the smaller sizes from that; for the
    presentation indices in `keep`, also keep the full-size luma (under the key "luma")."""
    ordered = sorted(set(sizes), key=lambda s: s[0] * s[1], reverse=True)

    def convert(frame) -> dict[tuple[int, int], np.ndarray]:
        largest = _frame_yuv(frame, ordered[0])
        out = {ordered[0]: largest}
        if probe is not None and _index(probe, frame) in keep:
            out["luma"] = _plane(frame.planes[0]).copy()
        for size in ordered[1:]:
            out[size] = _shrink(largest, size)
        return out

    return convert


def _rendition_converter(size: tuple[int, int], probe: _Probe, native: set[int]) -> Callable:
    """Convert a rendition frame to `size`; for the presentation indices in `native`, also measure the
    blockiness of its own-size luma."""

    def convert(frame) -> tuple[np.ndarray, dict]:
        yuv = _frame_yuv(frame, size)
        extra: dict = {"qp": _mean_quantiser(frame)}
        if _index(probe, frame) in native:
            luma = _plane(frame.planes[0])
            extra["luma"] = luma.copy()
            if frame.format.name != "gray":
                extra["block"] = _blockiness(luma)
        return yuv, extra

    return convert


def _mean_quantiser(frame) -> float | None:
    """The frame's mean quantiser over its blocks, as the decoder read it from the bitstream (H.264: one
    QP per macroblock), or None when the codec exports none.

    A starved bit rate forces coarse quantisers whatever the content; an honest rendition of content that
    is easy to compress, which then weighs as little as a starved one, has fine ones.
    """
    for data in frame.side_data:
        if isinstance(data, VideoEncParams) and data.nb_blocks and data.block_size >= 20:
            # AVVideoBlockParams: int src_x, src_y, w, h; int32 delta_qp (PyAV's qp_map() takes ~2 ms a frame)
            stride = data.block_size // 4
            blocks = np.frombuffer(memoryview(data), np.int32, data.nb_blocks * stride, data.blocks_offset)
            return float(data.qp + blocks[4::stride].mean())
    return None


class _Frame:
    """A converted frame and what the metrics derive from it alone, each computed once: a source frame
    serves every rendition compared at its size. `extra` holds the rendition's own-size measurements
    (`_rendition_converter`)."""

    def __init__(self, yuv: np.ndarray, extra: dict | None = None) -> None:
        self.yuv = yuv
        self.y = yuv[..., 0].astype(np.float32)
        self.extra = extra or {}
        self._quarter: dict[tuple[int, int], _Quarter] = {}
        self._motion: dict[int, tuple[tuple[np.ndarray, float], float]] = {}

    @functools.cached_property
    def blurred(self) -> np.ndarray:
        """The luma blurred by UNEXPLAINED_BLUR."""
        return cv2.GaussianBlur(self.y, (0, 0), UNEXPLAINED_BLUR)

    @functools.cached_property
    def edges(self) -> np.ndarray:
        """L1 gradient magnitude of the luma."""
        return np.abs(cv2.Sobel(self.y, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
            cv2.Sobel(self.y, cv2.CV_32F, 0, 1, ksize=3)
        )

    @functools.cached_property
    def laplacian(self) -> np.ndarray:
        """The luma's Laplacian, flattened."""
        return cv2.Laplacian(self.y, cv2.CV_32F, ksize=1).ravel()

    @functools.cached_property
    def detail(self) -> float:
        """Mean absolute Laplacian of the luma."""
        return float(np.abs(self.laplacian).mean())

    @functools.cached_property
    def local_stats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local mean, variance and squared mean of the luma (SSIM's Gaussian window)."""
        mu = cv2.GaussianBlur(self.y, _KSIZE, 1.5)
        mu_sq = mu * mu
        return mu, cv2.GaussianBlur(self.y * self.y, _KSIZE, 1.5) - mu_sq, mu_sq

    def quarter(self, size: tuple[int, int]) -> _Quarter:
        if size not in self._quarter:
            self._quarter[size] = _Quarter(_shrink(self.yuv, size))
        return self._quarter[size]

    def motion_to(self, later: _Frame) -> tuple[tuple[np.ndarray, float], float]:
        """(|luma change| to `later`, box-blurred 5x5 and `_centre`d; mean |luma change|)."""
        key = id(later)
        if key not in self._motion:
            change = np.abs(later.y - self.y)
            self._motion[key] = (_centre(cv2.blur(change, (5, 5))), float(change.mean()))
        return self._motion[key]


class _Quarter:
    """A frame at a quarter of the working size, where colour is compared, with its derived values."""

    def __init__(self, yuv8: np.ndarray) -> None:
        self.yuv8 = yuv8
        self.yuv = yuv8.astype(np.float32)
        self.uv = self.yuv[..., 1:] - 128.0
        self.saturation = float(self.uv.std()) + 1.0
        self.hist = _hist(yuv8)
        self.rgb = cv2.cvtColor(yuv8, cv2.COLOR_YUV2RGB).astype(np.float32)
        self.channel_diffs = [self.rgb[..., i] - self.rgb[..., j] for i, j in ((0, 1), (0, 2), (1, 2))]
        self.channel_diff_means = [float(np.abs(d).mean()) for d in self.channel_diffs]
        self.centred_channels = [_centre(self.yuv[..., c]) for c in range(3)]
        self.centred_diffs = [_centre(d) for d in self.channel_diffs]


def _chroma_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|dU| + |dV| of two YUV images, as float32."""
    _, du, dv = cv2.split(cv2.absdiff(a, b))
    return cv2.add(du, dv, dtype=cv2.CV_32F)


def _detail_gain(r: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """(gain, correlation) of the rendition's fine detail (Laplacian) against the source's.

    Coding noise is not correlated with the source's detail, so it does not raise the gain; content
    upscaled from a lower resolution or starved of bits keeps little of it.
    """
    return _laplacian_gain(cv2.Laplacian(r, cv2.CV_32F, ksize=1).ravel(), cv2.Laplacian(s, cv2.CV_32F, ksize=1).ravel())


def _laplacian_gain(lr: np.ndarray, ls: np.ndarray) -> tuple[float, float]:
    ss, rr, rs = float(np.dot(ls, ls)), float(np.dot(lr, lr)), float(np.dot(lr, ls))
    if ss < 1e-3 * ls.size:  # a flat source: nothing to keep
        return 1.0, 1.0
    return rs / ss, rs / math.sqrt(ss * rr) if rr > 0 else 0.0


_KSIZE = (7, 7)


def _ssim_map(s: _Frame, r: _Frame) -> np.ndarray:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, aa, sq_a = s.local_stats
    mu_b, bb, sq_b = r.local_stats
    means = mu_a * mu_b
    ab = cv2.GaussianBlur(s.y * r.y, _KSIZE, 1.5) - means
    # ((2 mu_a mu_b + c1)(2 ab + c2)) / ((mu_a^2 + mu_b^2 + c1)(aa + bb + c2)), in place, same operations
    smap = means * 2
    smap += c1
    ab *= 2
    ab += c2
    smap *= ab
    den = sq_a + sq_b
    den += c1
    variances = aa + bb
    variances += c2
    den *= variances
    smap /= den
    return smap


def _centre(a: np.ndarray) -> tuple[np.ndarray, float]:
    """(a minus its mean, sum of squares of that): one side of `_corr`, kept for a source frame."""
    centred = a - float(a.mean())
    flat = centred.ravel()
    return centred, float(np.dot(flat, flat))


def _corr(a: tuple[np.ndarray, float], b: tuple[np.ndarray, float]) -> float:
    """Pearson correlation of two `_centre`d arrays."""
    (ca, aa), (cb, bb) = a, b
    den = math.sqrt(aa * bb)
    if den < 1e-3 * ca.size:  # a flat channel: equal when both are flat alike
        return 1.0 if float(np.abs(ca - cb).mean()) < 1.0 else 0.0
    return float(np.dot(ca.ravel(), cb.ravel()) / den)


def _hist(yuv: np.ndarray) -> np.ndarray:
    h = cv2.calcHist([yuv], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256]).ravel()
    return h / max(1.0, float(h.sum()))


class _Geometry:
    """Masks and block sizes of one working size (computed once per size)."""

    def __init__(self, size: tuple[int, int]) -> None:
        width, height = size
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        dy = (yy - (height - 1) / 2.0) / (height / 2.0)
        dx = (xx - (width - 1) / 2.0) / (width / 2.0)
        radial = np.sqrt(dx * dx + dy * dy) / math.sqrt(2.0)
        self.outer = radial > 0.75
        self.inner = radial < 0.35
        self.blocks = (max(2, width // 16), max(2, height // 16))
        self.small = (max(8, width // 4), max(8, height // 4))
        self.window = max(5, (height // 20) | 1)  # odd box side for windowed persistent differences


def _pair_metrics(s: _Frame, r: _Frame, geo: _Geometry) -> dict[str, float]:
    diff = r.y - s.y
    mse = float(np.dot(diff.ravel(), diff.ravel())) / diff.size
    psnr = 60.0 if mse < 1e-6 else min(60.0, 10.0 * math.log10(255.0 * 255.0 / mse))
    smap = _ssim_map(s, r)
    worst = float(cv2.resize(smap, geo.blocks, interpolation=cv2.INTER_AREA).min())
    # Colour is compared at a quarter of the working size: an honest low rendition loses the colour of
    # fine detail (4:2:0 at 144 lines keeps 72 chroma lines), an attack changes the colour of everything.
    sq, rq = s.quarter(geo.small), r.quarter(geo.small)
    corrs = [_corr(rc, sc) for rc, sc in zip(rq.centred_channels, sq.centred_channels, strict=True)]
    hist = float((((sq.hist - rq.hist) ** 2) / (sq.hist + rq.hist + 1e-9)).sum())
    sy, ry = sq.yuv[..., 0], rq.yuv[..., 0]
    same = float(((ry - sy) ** 2).mean())
    flipped = min(
        float(((ry - sy[:, ::-1]) ** 2).mean()),
        float(((ry - sy[::-1, :]) ** 2).mean()),
        float(((ry - sy[::-1, ::-1]) ** 2).mean()),
    )
    blurred = cv2.GaussianBlur(np.abs(diff), (0, 0), 2.0)
    # Colour channel games in RGB: a merge makes two channels (nearly) equal where the source's differ.
    collapse = [
        math.log((rm + 1.0) / (sm + 1.0)) for rm, sm in zip(rq.channel_diff_means, sq.channel_diff_means, strict=True)
    ]
    diff_corrs = [_corr(dr, ds) for dr, ds in zip(rq.centred_diffs, sq.centred_diffs, strict=True)]
    errors = sorted(float(np.abs(rq.rgb[..., c] - sq.rgb[..., c]).mean()) for c in range(3))
    gain, corr = _laplacian_gain(r.laplacian, s.laplacian)
    return {
        "blockiness": r.extra.get("block", 0.0),
        "detail_gain": gain,
        "detail_corr": corr,
        "channel_collapse": min(collapse),
        "channel_diff_corr_min": min(diff_corrs),
        "rgb_error_spread": math.log((errors[2] + 1.0) / (errors[1] + 1.0)),
        "_smap": smap,
        "psnr_y": psnr,
        "ssim_y": float(smap.mean()),
        "ssim_y_worst": worst,
        "chroma_error": float(np.abs(rq.uv - sq.uv).mean()),
        "log_saturation_ratio": math.log(rq.saturation / sq.saturation),
        "channel_corr_min": min(corrs),
        "channel_corr_mean": sum(corrs) / 3.0,
        "histogram_distance": hist,
        "log_detail_ratio": math.log((r.detail + 0.5) / (s.detail + 0.5)),
        "flip_ratio": math.log((same + 1.0) / (flipped + 1.0)),
        "vignette": float(diff[geo.outer].mean() - diff[geo.inner].mean()),
        "brightness_shift": float(diff.mean()),
        "diff_area": float((blurred > 12.0).mean()),
    }


def _content_features(pairs: Sequence[tuple[int, int]], src: dict[int, _Frame], rend: dict[int, _Frame], geo):
    # Spatial metrics on the first frame of each couple (the second serves the temporal metrics).
    rows = [_pair_metrics(src[s], rend[r], geo) for s, r in dict.fromkeys(pairs[0::2])]
    smaps = [row.pop("_smap") for row in rows]
    feats = {k: float(np.mean([row[k] for row in rows])) for k in rows[0]}
    # A small overlay: some window is dissimilar in every frame (coding loss moves from frame to frame).
    window = (geo.window, geo.window)
    best = functools.reduce(np.maximum, [cv2.blur(m, window) for m in smaps])
    feats["ssim_persistent_worst"] = float(np.median(best) - best.min())
    # Over all compared frames, each accumulated frame by frame (no stack of frames in memory):
    # - the mean signed difference: a watermark stays in place over frames, coding noise does not;
    # - the smallest difference: large only where every frame differs (an overlay), coding noise comes and
    #   goes; the same for the colour and for edges the rendition adds to the source;
    # - what coding loss cannot explain: fine static detail (text) lost at a low rung differs in every frame
    #   too, but the rendition then matches a blurred source; an overlay matches neither.
    frames = list(dict.fromkeys(pairs))
    total = steady = unexplained = chroma = added = None
    for s, r in frames:
        sf, rf = src[s], rend[r]
        diff = rf.y - sf.y
        absolute = np.abs(diff)
        frame_unexplained = cv2.min(absolute, cv2.absdiff(rf.y, sf.blurred))
        frame_chroma = _chroma_diff(rf.yuv, sf.yuv)
        frame_added = rf.edges - sf.edges
        if total is None:
            total, steady, unexplained, chroma, added = diff, absolute, frame_unexplained, frame_chroma, frame_added
            continue
        total = total + diff
        steady = np.minimum(steady, absolute)
        unexplained = np.minimum(unexplained, frame_unexplained)
        chroma = np.minimum(chroma, frame_chroma)
        added = np.minimum(added, frame_added)
    mean_diff = np.abs(cv2.GaussianBlur(total / len(frames), (0, 0), 1.5))
    spread = float(np.median(mean_diff)) + 1.0
    peak = float(mean_diff.max())
    feats["persistent_peak_rel"] = math.log(peak / spread + 1.0)
    feats["persistent_area"] = float((mean_diff > max(10.0, 4.0 * spread)).mean())
    steady = cv2.GaussianBlur(steady, (0, 0), 1.0)
    feats["steady_diff_area"] = float((steady > 16.0).mean())
    boxed = cv2.blur(steady, window)
    feats["steady_window_rel"] = math.log((float(boxed.max()) + 1.0) / (float(np.median(boxed)) + 1.0))
    boxed = cv2.blur(unexplained, window)
    feats["unexplained_peak"] = float(boxed.max())
    feats["unexplained_rel"] = math.log((float(boxed.max()) + 1.0) / (float(np.median(boxed)) + 1.0))
    boxed = cv2.blur(chroma, window)
    feats["steady_chroma_rel"] = math.log((float(boxed.max()) + 1.0) / (float(np.median(boxed)) + 1.0))
    added = cv2.GaussianBlur(added, (0, 0), 1.0)
    feats["added_edges_peak"] = float(added.max())
    feats["added_edges_area"] = float((added > 24.0).mean())
    # Temporal: the rendition's change between adjacent frames against the source's over the same times.
    ratios, corrs = [], []
    for i in range(0, len(pairs) - 1, 2):
        (s0, r0), (s1, r1) = pairs[i], pairs[i + 1]
        ms_change, ms_mean = src[s0].motion_to(src[s1])
        mr_change, mr_mean = rend[r0].motion_to(rend[r1])
        ratios.append(math.log((mr_mean + 0.5) / (ms_mean + 0.5)))
        corrs.append(_corr(mr_change, ms_change) if ms_mean > 0.5 else 1.0)
    feats["log_motion_ratio"] = float(np.mean(ratios)) if ratios else 0.0
    feats["motion_corr"] = float(np.mean(corrs)) if corrs else 1.0
    return feats


def _fine_detail(s: np.ndarray, r: np.ndarray, size: tuple[int, int]) -> dict[str, float]:
    """Detail of the rendition's own luma, at its size (at most DETAIL_HEIGHT lines), against the source's.

    Content upscaled from a lower resolution has no detail above that resolution; at the working size
    (180 lines) a 720p rendition upscaled from 240 lines looks like an honest one. Coding noise is not
    correlated with the source's detail (`_detail_gain`), so it does not hide the loss.
    """
    sf = _shrink(s, size).astype(np.float32)
    gain, corr = _detail_gain(_shrink(r, size).astype(np.float32), sf)
    source = float(np.abs(cv2.Laplacian(sf, cv2.CV_32F, ksize=1)).mean())
    return {"fine_detail_gain": gain, "fine_detail_corr": corr, "fine_source_detail": math.log(source + 0.5)}


def _native_detail(s: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """Detail of the rendition's luma at its full size, on a centred crop (`NATIVE_CROP`), against the source's.

    A 720p rendition upscaled from 288 lines keeps all the detail `_fine_detail` sees at 360 lines; at its
    own size it lacks the top half of its band. The source is shrunk whole to the rendition's size, then both
    are cropped alike, so the two crops stay aligned to the pixel.
    """
    h, w = r.shape
    cw, ch = min(w, NATIVE_CROP[0]), min(h, NATIVE_CROP[1])
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    sf = _shrink(s, (w, h))[y0 : y0 + ch, x0 : x0 + cw].astype(np.float32)
    gain, corr = _detail_gain(r[y0 : y0 + ch, x0 : x0 + cw].astype(np.float32), sf)
    return {"native_detail_gain": gain, "native_detail_corr": corr}


def _median_or_none(values) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.median(known)) if known else None


def _meta_features(src: _Probe, rend: _Probe, expected_fps: float | None) -> dict[str, float]:
    expected = expected_fps if expected_fps and expected_fps > 0 else src.fps
    aspect_s = src.width / src.height
    aspect_r = rend.width / rend.height

    def bpps(p: _Probe) -> float:
        return os.path.getsize(p.path) * 8.0 / (p.width * p.height * max(p.duration, 1e-3))

    return {
        "log_height_ratio": math.log(rend.height / src.height),
        # mismatches as magnitudes: a tree then needs one split, whichever way the rendition is wrong
        "aspect_error": abs(math.log(aspect_r / aspect_s)),
        "log_fps_vs_expected": abs(math.log(max(rend.fps, 0.1) / max(expected, 0.1))),
        "log_fps_vs_source": math.log(max(rend.fps, 0.1) / max(src.fps, 0.1)),
        "log_duration_ratio": math.log(max(rend.duration, 1e-3) / max(src.duration, 1e-3)),
        "log_bits_per_pixel_second": math.log(bpps(rend) + 1e-6),
        "log_bits_ratio_vs_source": math.log((bpps(rend) + 1e-6) / (bpps(src) + 1e-6)),
        "log_height": math.log(rend.height),
        "chroma_share": _chroma_share(rend.pix_fmt),
    }


# --- public entry points ---------------------------------------------------------------------------


def _prepare(source_path: str, rendition_paths: Sequence[str]):
    if not os.path.isfile(source_path):
        raise UnreadableSource(f"source not found: {source_path}")
    src = _safe_probe(source_path)
    if src is None:
        raise UnreadableSource(f"source has no readable video stream: {source_path}")
    rends = [_safe_probe(p) for p in rendition_paths]
    return src, rends, _plan(src, rends)


def _close(*probes) -> None:
    for probe in probes:
        if probe is not None:
            probe.close()


def decode_sampled_frames(
    source_path: str,
    rendition_paths: Sequence[str] = (),
    *,
    frame_rates: Sequence[float | None] | None = None,
    overlap: bool = True,
) -> int:
    """Open, demux and decode exactly the frames `extract_features` reads, and nothing else; return how many.

    No conversion, resizing or metric: the benchmark's floor ("decode just the frames we read"), decoded on
    the same schedule as `extract_features` (renditions on a second thread while the source decodes), or
    one file after another with `overlap=False`. `frame_rates` is accepted for symmetry with
    `extract_features` (it does not change the plan).
    """
    src, rends, plan = _prepare(source_path, rendition_paths)

    def decode_rendition(rend: _Probe, pairs, windows) -> int:
        return len(_decode(rend, windows, None, {r for _, r in pairs}, quantisers=True))

    try:
        with _rendition_decoder(rends, plan, decode_rendition, overlap=overlap) as pending:
            wanted = {s for m in plan.matches for s, _ in m}
            count = len(_decode(src, plan.source_windows, None, wanted or None))
            return count + sum(n for n in pending if n)
    finally:
        _close(src, *rends)


@contextlib.contextmanager
def _rendition_decoder(rends, plan: _Plan, decode: Callable, *, overlap: bool = True) -> Iterator[Iterator]:
    """Decode the renditions, one after another, on a thread of their own while the caller decodes the
    source and compares; yields an iterator of `decode(rend, pairs, windows)` results in rendition order
    (None for a rendition with nothing to compare).

    FFmpeg and OpenCV release the GIL: the source's frame-threaded decode, each rendition's
    single-threaded one and the comparisons of the renditions already decoded share the two cores,
    instead of the comparisons waiting for every decode and each decode for the comparisons before it.
    With `overlap=False` each rendition is decoded when its result is asked for.
    """
    jobs = [
        (rend, pairs, windows) if rend is not None and pairs else None
        for rend, pairs, windows in zip(rends, plan.matches, plan.rendition_windows, strict=True)
    ]
    if not overlap:
        yield (decode(*job) if job else None for job in jobs)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rendition-decode") as pool:
        futures: list[Future | None] = [pool.submit(decode, *job) if job else None for job in jobs]
        try:
            yield (future.result() if future else None for future in futures)
        finally:
            for future in futures:
                if future is not None:
                    future.cancel()


def extract_features(
    source_path: str,
    rendition_paths: Sequence[str],
    *,
    frame_rates: Sequence[float | None] | None = None,
) -> list[RenditionFeatures]:
    """Compare each rendition with the source; the source's sampled frames are decoded once for all.

    `frame_rates[i]` is the frame rate the caller expects of rendition i (None or 0: the source's).
    Raises `UnreadableSource` when the source is missing or unreadable; an unreadable rendition gives
    `vector=None` and `meta.video_available=False`.
    """
    rendition_paths = list(rendition_paths)
    rates = list(frame_rates) if frame_rates is not None else [None] * len(rendition_paths)
    if len(rates) != len(rendition_paths):
        raise ValueError("frame_rates must have one entry per rendition")
    src, rends, plan = _prepare(source_path, rendition_paths)
    try:
        with _opencv_single_threaded():
            return _extract(src, rends, plan, rendition_paths, rates)
    finally:
        _close(src, *rends)


@contextlib.contextmanager
def _opencv_single_threaded():
    """OpenCV's own threads cost more than they give on 320x180 images (5 % of a five-rendition request)."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)


def _decode_rendition(src: _Probe, rend: _Probe, pairs, windows) -> dict[int, _Frame]:
    """The rendition's compared frames at its working size (none when it does not decode)."""
    convert = _rendition_converter(_work_size(src, rend), rend, {r for _, r in pairs[0::2]})
    try:
        frames = _decode(rend, windows, convert, {r for _, r in pairs}, quantisers=True)
    except Exception:
        frames = {}
    return {i: _Frame(*f) for i, f in frames.items()}


def _extract(src: _Probe, rends, plan: _Plan, rendition_paths, rates) -> list[RenditionFeatures]:
    with _rendition_decoder(rends, plan, functools.partial(_decode_rendition, src)) as decoded_renditions:
        return _compare(src, rends, plan, rendition_paths, rates, decoded_renditions)


def _compare(src: _Probe, rends, plan: _Plan, rendition_paths, rates, decoded_renditions) -> list[RenditionFeatures]:
    sizes = sorted({_work_size(src, r) for r in rends if r is not None})
    src_wanted = {s for m in plan.matches for s, _ in m}
    convert = _converter(sizes, src, {s for m in plan.matches for s, _ in m[0::2]})
    try:
        decoded = _decode(src, plan.source_windows, convert, src_wanted) if src_wanted else {}
    except Exception as exc:
        raise UnreadableSource(f"source could not be decoded: {src.path}") from exc
    if not decoded:
        # nothing to compare against: the source itself must still decode
        try:
            first = int(src.key_indices[0])
            ok = bool(_decode(src, [(first, first)], None))
        except Exception:
            ok = False
        if not ok:
            raise UnreadableSource(f"source could not be decoded: {src.path}")
    src_frames = {size: {i: _Frame(f[size]) for i, f in decoded.items()} for size in sizes}
    src_luma = {i: f["luma"] for i, f in decoded.items() if "luma" in f}
    geometries = {size: _Geometry(size) for size in sizes}

    results: list[RenditionFeatures] = []
    for path, rend, pairs, rate, rend_frames in zip(
        rendition_paths, rends, plan.matches, rates, decoded_renditions, strict=True
    ):
        if rend_frames is None:
            results.append(RenditionFeatures(meta=_meta(rend, path=path, decoded=False), vector=None))
            continue
        size = _work_size(src, rend)
        have = src_frames[size]
        usable = [
            pair
            for i in range(0, len(pairs) - 1, 2)
            if all(r in rend_frames and s in have for s, r in pairs[i : i + 2])
            for pair in pairs[i : i + 2]
        ]
        if not usable:
            results.append(RenditionFeatures(meta=_meta(rend, path=path, decoded=False), vector=None))
            continue
        feats = _meta_features(src, rend, rate)
        feats.update(_content_features(usable, src_frames[size], rend_frames, geometries[size]))
        quantiser = _median_or_none(rend_frames[r].extra.get("qp") for _, r in usable)
        feats["quantiser"] = NO_QUANTISER if quantiser is None else quantiser
        s, r = usable[0]
        feats.update(_fine_detail(src_luma[s], rend_frames[r].extra["luma"], _detail_size(rend)))
        feats.update(_native_detail(src_luma[s], rend_frames[r].extra["luma"]))
        vector = np.asarray([feats[name] for name in FEATURE_NAMES], dtype=np.float64)
        times = tuple(sorted({round(float(src.times[s]), 4) for s, _ in usable}))
        results.append(RenditionFeatures(meta=_meta(rend, path=path, decoded=True), vector=vector, timestamps=times))
    return results
