"""Synthetic smoke clips for demo data and benchmarks (no Django): frames drawn with NumPy/OpenCV and
encoded as H.264 MP4 through PyAV, so they play in every browser without a network or real footage.

A clip looks like the original's crops of an industrial skyline: a sky gradient, a row of buildings
with a chimney, and, for a smoke clip, a grey plume that rises from the chimney and drifts with the
wind. Clear clips keep the same scene with a little camera noise and moving light only. The random
seed makes every clip distinct yet reproducible. Encoding settings are the ones browsers need:
libx264, yuv420p, `+faststart` (the index at the front so playback starts before the download ends).
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np

PLAYBACK_SIZES = (180, 320)  # the gallery plays 180-pixel clips, the labeling page 320 (videos.md §6.5)
DEFAULT_FPS = 12
DEFAULT_SECONDS = 2.0


@dataclass(frozen=True)
class ClipSpec:
    """What one synthetic clip shows. `seed` varies the scene, the wind and the plume."""

    smoke: bool
    seed: int
    seconds: float = DEFAULT_SECONDS
    fps: int = DEFAULT_FPS

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * self.fps))


def _scene(rng: np.random.Generator, size: int) -> np.ndarray:
    """The static background (RGB float32 0..1): sky gradient, hills, buildings and a chimney."""
    y = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None]
    top = rng.uniform([0.35, 0.5, 0.75], [0.55, 0.7, 0.95]).astype(np.float32)
    bottom = rng.uniform([0.7, 0.75, 0.8], [0.9, 0.9, 0.95]).astype(np.float32)
    sky = top[None, None, :] * (1 - y[..., None]) + bottom[None, None, :] * y[..., None]
    image = np.repeat(sky, size, axis=1)

    x = np.arange(size, dtype=np.float32)
    phase = rng.uniform(0, 2 * np.pi)
    hills = (0.72 + 0.05 * np.sin(x / size * 2 * np.pi * rng.uniform(0.5, 1.5) + phase)) * size
    rows = np.arange(size, dtype=np.float32)[:, None]
    hill_mask = rows >= hills[None, :]
    image[hill_mask] = np.array([0.32, 0.38, 0.3], dtype=np.float32) * rng.uniform(0.8, 1.1)

    canvas = np.ascontiguousarray((image * 255).astype(np.uint8))
    ground = int(size * 0.8)
    left = 0
    while left < size:  # a row of boxy buildings
        width = int(rng.integers(size // 12, size // 5))
        height = int(rng.integers(size // 12, size // 4))
        shade = int(rng.integers(50, 95))
        cv2.rectangle(canvas, (left, ground - height), (left + width, size), (shade, shade, shade + 5), -1)
        left += width + int(rng.integers(0, size // 20))
    return canvas.astype(np.float32) / 255.0


def chimney_position(spec: ClipSpec, size: int) -> tuple[int, int]:
    """Where the chimney's top sits (x, y) in a frame of `size` pixels."""
    rng = np.random.default_rng(spec.seed + 7919)
    return int(size * rng.uniform(0.3, 0.7)), int(size * rng.uniform(0.42, 0.55))


def render_frames(spec: ClipSpec, size: int = 320) -> Iterator[np.ndarray]:
    """The clip's frames, RGB uint8 arrays of shape (size, size, 3)."""
    rng = np.random.default_rng(spec.seed)
    background = _scene(rng, size)
    cx, cy = chimney_position(spec, size)
    chimney_w = max(3, size // 28)
    canvas = np.ascontiguousarray((background * 255).astype(np.uint8))
    cv2.rectangle(canvas, (cx - chimney_w // 2, cy), (cx + chimney_w // 2, int(size * 0.8)), (70, 55, 50), -1)
    background = canvas.astype(np.float32) / 255.0

    wind = rng.uniform(0.4, 1.6) * rng.choice([-1.0, 1.0])
    density = rng.uniform(0.55, 0.85)
    puffs = 36
    births = rng.uniform(-spec.seconds * 1.5, spec.seconds, puffs)  # some puffs already aloft at frame 0
    jitter = rng.normal(0, 1, (puffs, 2)).astype(np.float32)
    grey = rng.uniform(0.62, 0.85)
    # The plume is soft, so its opacity is computed on a coarse grid and scaled up (fast).
    coarse = max(16, size // 4)
    step = size / coarse
    yy, xx = (np.mgrid[0:coarse, 0:coarse].astype(np.float32) + 0.5) * step
    light_phase = rng.uniform(0, 2 * np.pi)
    noise = rng.normal(0, 0.012, (3, size, size, 3)).astype(np.float32)  # sensor noise, cycled

    for index in range(spec.frame_count):
        t = index / spec.fps
        frame = background * (1.0 + 0.03 * np.sin(t * 1.3 + light_phase))
        if spec.smoke:
            alpha = np.zeros((coarse, coarse), dtype=np.float32)
            age = t - births
            for k in np.nonzero(age >= 0)[0]:
                a = float(age[k])
                px = cx + (wind * 18 * a + jitter[k, 0] * 3 * a) * size / 180
                py = cy - (14 * a + a * a * 2 + jitter[k, 1] * 2) * size / 180
                radius = (3 + 7 * a) * size / 180
                strength = density * float(np.exp(-a / 2.6))
                if py < -radius or not -radius < px < size + radius:
                    continue
                alpha += strength * np.exp(-((xx - px) ** 2 + (yy - py) ** 2) / (2 * radius * radius))
            alpha = cv2.resize(np.clip(alpha, 0.0, 0.9), (size, size), interpolation=cv2.INTER_LINEAR)[..., None]
            frame = frame * (1 - alpha) + grey * alpha
        frame = frame + noise[index % len(noise)]
        yield (np.clip(frame, 0.0, 1.0) * 255).astype(np.uint8)


def encode_mp4(frames: Iterator[np.ndarray], *, fps: int = DEFAULT_FPS, crf: int = 30) -> bytes:
    """H.264 MP4 (yuv420p, +faststart) of RGB frames with even sides; returns the file's bytes."""
    # `+faststart` rewrites the file after encoding, which needs a real file (not a BytesIO).
    with tempfile.TemporaryDirectory(prefix="clip-") as folder:
        path = os.path.join(folder, "clip.mp4")
        _encode_to(path, frames, fps=fps, crf=crf)
        with open(path, "rb") as handle:
            return handle.read()


def _encode_to(path: str, frames: Iterator[np.ndarray], *, fps: int, crf: int) -> None:
    with av.open(path, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = None
        for frame in frames:
            if stream is None:
                height, width = frame.shape[:2]
                if width % 2 or height % 2:
                    raise ValueError("H.264 with yuv420p needs even frame sides")
                stream = container.add_stream("libx264", rate=Fraction(fps, 1))
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        if stream is None:
            raise ValueError("a clip needs at least one frame")
        for packet in stream.encode():
            container.mux(packet)


def generate_clip(spec: ClipSpec, sizes: tuple[int, ...] = PLAYBACK_SIZES) -> dict[int, bytes]:
    """The clip encoded at every size in `sizes` (drawn once at the largest size, then downscaled)."""
    largest = max(sizes)
    frames = list(render_frames(spec, largest))
    encoded = {}
    for size in sizes:
        scaled = (
            frames if size == largest else [cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames]
        )
        encoded[size] = encode_mp4(iter(scaled), fps=spec.fps)
    return encoded


def probe(data: bytes) -> dict:
    """Codec, pixel format, size, frame count and duration of an MP4 (used by the tests and the demo check)."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(stream.duration * stream.time_base) if stream.duration else None
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "frames": frames,
            "duration": duration,
        }


def moov_before_mdat(data: bytes) -> bool:
    """True when the MP4 index (`moov`) precedes the media (`mdat`): `+faststart` worked."""
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    return 0 <= moov < mdat
