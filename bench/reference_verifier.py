"""The documented verifier's feature extraction, rebuilt from specs/verification.md for timing comparisons.

What the documented system did (and what this module does, the same way): decode every frame of the
source and of each rendition (OpenCV's `VideoCapture`, as the original), pick 10 random source frames
(unseeded there; seeded here so runs are comparable), match each with the rendition frame nearest in
timestamp, and compute five metrics per pair at 480x270 on the HSV value channel: the signed max of the
DCT difference, MSE and sum of absolute difference after a Gaussian blur (sigma 4), a count of pixels
whose blurred difference passes a threshold, and a chi-square-like distance between 8x8x8 colour
histograms. The metrics are averaged over the samples, most are scaled by the rendition's W x H, and
file bytes / (W x H) is added. Only the extraction is rebuilt: the models take microseconds per
rendition, while this takes seconds, almost all of it decoding.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence

import cv2
import numpy as np

SAMPLES = 10
WORK_SIZE = (480, 270)
BLUR_SIGMA = 4
THRESHOLD = 32.0


def _decode_all(path: str, keep: set[int] | None = None, keep_times: Sequence[float] | None = None):
    """Decode every frame; keep the frames at `keep` indices, or the ones nearest to `keep_times` (seconds)."""
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise ValueError(f"cannot open {path}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    wanted = set(keep or ())
    if keep_times is not None:
        wanted |= {int(round(t * fps)) for t in keep_times}
    kept: dict[int, np.ndarray] = {}
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            kept[index] = cv2.resize(frame, WORK_SIZE, interpolation=cv2.INTER_LINEAR)
        index += 1
    capture.release()
    return kept, index, fps, width, height


def _value_channel(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)[..., 2].astype(np.float32)


def _histogram(frame: np.ndarray) -> np.ndarray:
    hist = cv2.calcHist([frame], [0, 1, 2], None, [8, 8, 8], [0, 256, 0, 256, 0, 256]).ravel()
    return hist / max(1.0, float(hist.sum()))


def _pair_metrics(source: np.ndarray, rendition: np.ndarray) -> np.ndarray:
    s, r = _value_channel(source), _value_channel(rendition)
    dct = cv2.dct(s) - cv2.dct(r)
    dct_max = float(dct.flat[int(np.argmax(np.abs(dct)))])
    bs = cv2.GaussianBlur(s, (0, 0), BLUR_SIGMA)
    br = cv2.GaussianBlur(r, (0, 0), BLUR_SIGMA)
    diff = np.abs(bs - br)
    mse = float((diff * diff).mean())
    sad = float(diff.sum())
    above = float(np.count_nonzero(diff > THRESHOLD))
    hs, hr = _histogram(source), _histogram(rendition)
    chi = float((((hs - hr) ** 2) / (hs + hr + 1e-10)).sum())
    return np.array([dct_max, mse, sad, above, chi])


def reference_features(source_path: str, rendition_paths: Sequence[str], *, seed: int = 0) -> list[np.ndarray]:
    """One feature vector per rendition, as the documented verifier computed it."""
    capture = cv2.VideoCapture(source_path)
    frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    rng = random.Random(seed)
    indices = sorted(rng.sample(range(frame_count), min(SAMPLES, frame_count)))
    source_frames, _, source_fps, _, _ = _decode_all(source_path, keep=set(indices))
    times = [i / source_fps for i in indices]
    vectors = []
    for path in rendition_paths:
        frames, _, fps, width, height = _decode_all(path, keep_times=times)
        rows = []
        for i, t in zip(indices, times, strict=True):
            j = min(frames, key=lambda k: abs(k / fps - t)) if frames else None
            if j is not None and i in source_frames:
                rows.append(_pair_metrics(source_frames[i], frames[j]))
        metrics = np.mean(rows, axis=0) if rows else np.zeros(5)
        area = float(width * height)
        scaled = np.concatenate([metrics[:4] * area, metrics[4:]])
        vectors.append(np.append(scaled, os.path.getsize(path) / area))
    return vectors
