"""Small deterministic test clips (PyAV + libx264): a moving scene, its honest renditions and a tampered one.

Used by the verification API tests and by `bench/verification.py` (which asks for bigger ones). The same
arguments always give the same frames; nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def scene_frames(width: int, height: int, fps: float, seconds: float, *, seed: int = 0) -> Iterator[np.ndarray]:
    """RGB frames of a textured background panning under moving coloured shapes."""
    rng = np.random.default_rng(seed)
    base_h, base_w = height + 64, width + 256
    texture = cv2.GaussianBlur(rng.integers(0, 255, (base_h // 8 + 1, base_w // 8 + 1, 3), dtype=np.uint8), (3, 3), 0)
    texture = cv2.resize(texture, (base_w, base_h), interpolation=cv2.INTER_CUBIC)
    gradient = np.linspace(0, 80, base_w, dtype=np.float32)[None, :, None]
    background = np.clip(texture.astype(np.float32) * 0.7 + gradient, 0, 255).astype(np.uint8)
    count = max(1, int(round(fps * seconds)))
    shapes = [
        (rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(-0.3, 0.3), rng.uniform(-0.2, 0.2), color)
        for color in ((230, 40, 40), (40, 200, 60), (50, 80, 230), (240, 220, 30))
    ]
    radius = max(3, height // 12)
    for index in range(count):
        t = index / fps
        dx = int((t * 40) % 256)
        frame = np.ascontiguousarray(background[32 : 32 + height, dx : dx + width])
        for x0, y0, vx, vy, color in shapes:
            x = int(((x0 + vx * t) % 1.0) * width)
            y = int(((y0 + vy * t) % 1.0) * height)
            cv2.circle(frame, (x, y), radius, color, -1)
        cv2.putText(
            frame,
            f"{index:04d}",
            (width // 20, height // 6),
            cv2.FONT_HERSHEY_SIMPLEX,
            height / 300,
            (255, 255, 255),
            max(1, height // 200),
        )
        yield frame


def encode(
    path: Path,
    frames: Iterator[np.ndarray],
    *,
    fps: float,
    size: tuple[int, int] | None = None,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    crf: int = 23,
    preset: str = "veryfast",
    audio: bool = False,
) -> Path:
    """Encode RGB frames as H.264 (yuv420p) in MP4; `size` resizes each frame, `transform` tampers with it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as container:
        stream = None
        audio_stream = container.add_stream("aac", rate=48000) if audio else None
        count = 0
        for frame in frames:
            if size is not None and (frame.shape[1], frame.shape[0]) != size:
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            if transform is not None:
                frame = np.ascontiguousarray(transform(frame))
            if stream is None:
                stream = container.add_stream("libx264", rate=rate)
                stream.width, stream.height = frame.shape[1], frame.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": preset}
            video = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video.pts = count
            video.time_base = 1 / rate
            container.mux(stream.encode(video))
            count += 1
        container.mux(stream.encode(None))
        if audio_stream is not None:
            samples = int(48000 * count / fps)
            tone = (0.1 * np.sin(np.arange(samples) * 2 * np.pi * 440 / 48000)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start : start + 1024]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                frame.sample_rate = 48000
                frame.pts = start
                container.mux(audio_stream.encode(frame))
            container.mux(audio_stream.encode(None))
    return path


def make_set(
    folder: Path,
    *,
    width: int = 320,
    height: int = 180,
    fps: float = 24,
    seconds: float = 2.0,
    renditions: tuple[tuple[int, int], ...] = ((160, 90),),
    seed: int = 0,
    audio: bool = False,
) -> dict[str, Path]:
    """A source and renditions named `source.mp4`, `<h>p.mp4`, plus `<h>p_flipped.mp4` of the first rung."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = list(scene_frames(width, height, fps, seconds, seed=seed))
    out = {"source": encode(folder / "source.mp4", iter(frames), fps=fps, crf=18, audio=audio)}
    for w, h in renditions:
        out[f"{h}p"] = encode(folder / f"{h}p.mp4", iter(frames), fps=fps, size=(w, h))
    w, h = renditions[0]
    out[f"{h}p_flipped"] = encode(
        folder / f"{h}p_flipped.mp4", iter(frames), fps=fps, size=(w, h), transform=lambda f: f[:, ::-1]
    )
    return out
