"""The corpus builder: deterministic plans, source-disjoint split, every attack, real encodes; the commands."""

from __future__ import annotations

import json
import re
from collections import Counter
from fractions import Fraction
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from verification import corpus, features


def tiny_sources(seed: int = 3) -> list[corpus.SourceSpec]:
    """Three tiny procedural sources (two to train on, one to test) so that a whole corpus builds in seconds."""
    return [
        corpus.SourceSpec(
            name=f"tiny{i}-{gen}",
            kind="procedural",
            origin=gen,
            width=192,
            height=144,
            fps="24",
            frames=24,
            keyint=24,
            split=split,
            seed=seed * 10 + i,
        )
        for i, (gen, split) in enumerate((("shapes", "train"), ("bars", "train"), ("plasma", "test")))
    ]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(corpus, "plan_sources", lambda seed, count=34, include_footage=True: tiny_sources(seed))
        rows = corpus.build_corpus(out, seed=3)
    return out, rows


def test_plan_is_deterministic_and_split_by_source():
    first = corpus.plan_sources(3)
    second = corpus.plan_sources(3)

    assert first == second
    assert corpus.plan_sources(4) != first
    assert {s.kind for s in first} >= {"photo", "procedural"}
    assert len({s.name for s in first}) == len(first)
    test = {s.name for s in first if s.split == "test"}
    train = {s.name for s in first if s.split == "train"}
    assert test and train and not test & train
    for kind in {s.kind for s in first}:
        assert any(s.split == "test" for s in first if s.kind == kind)


def test_every_source_gets_the_ladder_and_every_attack():
    for src in corpus.plan_sources(3)[:6]:
        plan = corpus.plan_renditions(src)
        attacks = Counter(r.attack for r in plan)

        assert set(corpus.ATTACKS) <= set(attacks)
        honest = [r for r in plan if r.label == 0]
        assert {r.rung for r in honest if r.attack == corpus.HONEST} == {r for r in corpus.LADDER if r <= src.height}
        assert all(r.height <= src.height for r in plan)
        starved = [r for r in plan if r.attack == "low_bitrate_8"]
        assert all(r.bitrate < corpus.LADDER[r.rung] * 1000 / 4 for r in starved)
        assert len({r.name for r in plan}) == len(plan)


def test_training_sources_get_extra_hard_examples_that_change_nothing_else():
    sources = corpus.plan_sources(3)
    train = next(s for s in sources if s.split == "train")
    plan = corpus.plan_renditions(train)
    as_test = corpus.plan_renditions(corpus._replace(train, split="test"))
    extras = [r for r in plan if r.params.get("training_extra")]

    assert plan[: len(as_test)] == as_test  # appended last: every other rendition is the same
    assert len(extras) == len(plan) - len(as_test) == len(corpus.TRAIN_EXTRA_ATTACKS) + corpus.TRAIN_EXTRA_HONEST
    upscaled = [r for r in extras if r.attack == "wrong_resolution"]
    assert upscaled and all(r.params["variant"] == "upscale" and r.params["from_height"] < r.height for r in upscaled)
    assert not any(
        r.params.get("training_extra") for s in sources if s.split == "test" for r in corpus.plan_renditions(s)
    )


def test_attacks_change_frames_as_named():
    frame = np.random.default_rng(0).integers(0, 255, (36, 64, 3), dtype=np.uint8)
    spec = corpus.RenditionSpec("s", "r", 1, "x", 144, 64, 36, "24", 0.0, 100_000, "veryfast", 24)

    def attacked(name, **params):
        return corpus.Attack(corpus._replace(spec, attack=name, params=params))(frame)

    assert np.array_equal(attacked("flip_horizontal"), frame[:, ::-1])
    assert np.array_equal(attacked("flip_vertical"), frame[::-1])
    grey = attacked("black_and_white")
    assert np.array_equal(grey[..., 0], grey[..., 2])
    assert np.array_equal(attacked("channel_swap", order=[2, 1, 0]), frame[..., ::-1])
    merged = attacked("channel_merge", target=0, **{"from": 1, "mode": "copy"})
    assert np.array_equal(merged[..., 0], frame[..., 1])
    vignetted = attacked("vignette", strength=0.6).astype(int)
    assert vignetted[0, 0].sum() < frame[0, 0].astype(int).sum() and np.array_equal(vignetted[18, 32], frame[18, 32])
    marked = attacked("watermark_small", logo="text", scale=0.3, alpha=0.9, corner=0)
    changed = np.argwhere((marked != frame).any(axis=2))
    assert len(changed) and changed[:, 0].max() < 18 and changed[:, 1].max() < 32  # top-left corner only
    assert attacked("rotate_90_clockwise").shape == frame.shape


def test_built_corpus_has_real_encodes_and_a_manifest(tiny_corpus):
    out, rows = tiny_corpus
    by_attack = {r["attack"]: r for r in rows if r["source_name"].startswith("tiny0")}

    assert {r["split"] for r in rows} == {"train", "test"}
    assert len(rows) == sum(len(corpus.plan_renditions(s)) for s in tiny_sources())
    honest = features.read_meta(str(out / by_attack[corpus.HONEST]["path"]))
    assert honest.video_available and honest.height == 144
    chroma = features.extract_features(
        str(out / by_attack["chroma_422"]["source"]), [str(out / by_attack["chroma_422"]["path"])]
    )[0]
    assert dict(zip(features.FEATURE_NAMES, chroma.vector, strict=True))["chroma_share"] == 1.0
    slow = by_attack["wrong_frame_rate"]
    meta = features.read_meta(str(out / slow["path"]))
    assert meta.fps != pytest.approx(slow["expected_fps"] or 24)
    assert by_attack[corpus.HONEST]["ssim"] > by_attack["flip_vertical"]["ssim"]
    manifest = [json.loads(line) for line in (out / corpus.MANIFEST).read_text().splitlines()]
    assert manifest == rows


def test_rebuilding_keeps_finished_files(tiny_corpus, monkeypatch):
    out, rows = tiny_corpus
    monkeypatch.setattr(corpus, "plan_sources", lambda seed, count=34, include_footage=True: tiny_sources(seed))
    monkeypatch.setattr(corpus, "encode", lambda *a, **k: pytest.fail("re-encoded a finished rendition"))

    assert corpus.build_corpus(out, seed=3) == rows


def test_rendition_frames_follow_the_frame_rate():
    source = [np.full((8, 8, 3), i, np.uint8) for i in range(24)]
    spec = corpus.RenditionSpec("s", "r", 0, "none", 144, 8, 8, "12", 12.0, 100_000, "veryfast", 24)
    frames = list(corpus.rendition_frames(source, Fraction(24), spec))

    assert [int(f[0, 0, 0]) for f in frames] == list(range(0, 24, 2))


def test_train_and_evaluate_commands(tiny_corpus, tmp_path):
    out, _ = tiny_corpus
    model = tmp_path / "model"
    doc = tmp_path / "verification.md"
    doc.write_text("# Verification\n\nintro\n")
    stdout = StringIO()

    call_command("train_verifier", corpus=str(out), out=str(model), iterations=40, stdout=stdout)
    assert "written to" in stdout.getvalue()
    call_command("evaluate_verifier", corpus=str(out), model=str(model), doc=str(doc), stdout=stdout)

    text = doc.read_text()
    assert text.startswith("# Verification\n\nintro\n")
    assert "false positives" in text and "watermark_small" in text and "| 144p |" in text
    # rates come with their counts: 96.99 % prints as "97.0 %", the count shows it is 387 of 399
    assert re.search(r"\| final rule \(platform\) \| [\d.]+ % \(\d+ of \d+\) \| [\d.]+ % \(\d+ of \d+\) \|", text)
    call_command("evaluate_verifier", corpus=str(out), model=str(model), doc=str(doc), stdout=StringIO())
    assert doc.read_text().count("<!-- evaluation:start -->") == 1


def test_crossvalidate_command_reads_the_train_split_only(tiny_corpus):
    out, rows = tiny_corpus
    train = [r for r in rows if r["split"] == "train"]
    base = [r for r in train if not r["params"].get("training_extra")]
    assert len(base) < len(train)  # the tiny corpus's training sources have extras too

    stdout = StringIO()
    call_command("crossvalidate_verifier", corpus=str(out), seeds="0,1", repeats=1, iterations=20, stdout=stdout)
    lines = stdout.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["seed 0", "seed 1"]
    assert f"{len(train)} training renditions ({len(base)} counted), {len(features.FEATURE_NAMES)} features" in lines[0]
    assert re.search(r"\d+\.\d\d % honest flagged, \d+\.\d\d % tampered caught", lines[0])

    stdout = StringIO()
    call_command(
        "crossvalidate_verifier",
        corpus=str(out),
        no_extras=True,
        drop="quantiser,native_detail_gain",
        repeats=1,
        iterations=20,
        stdout=stdout,
    )
    assert f"{len(base)} training renditions ({len(base)} counted), {len(features.FEATURE_NAMES) - 2} features" in (
        stdout.getvalue()
    )
    with pytest.raises(CommandError, match="unknown features: nonsense"):
        call_command("crossvalidate_verifier", corpus=str(out), drop="nonsense", stdout=StringIO())


def test_commands_refuse_a_missing_corpus(tmp_path):
    with pytest.raises(CommandError, match="no corpus"):
        call_command("train_verifier", corpus=str(tmp_path / "none"), out=str(tmp_path / "m"), stdout=StringIO())
    with pytest.raises(CommandError, match="no corpus"):
        call_command("evaluate_verifier", corpus=str(tmp_path / "none"), stdout=StringIO())


def test_make_corpus_command_refuses_a_bad_size(tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("make_verification_corpus", out=str(tmp_path), sources=0, stdout=StringIO())


def test_make_corpus_command_builds_and_reports(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "plan_sources", lambda seed, count=34, include_footage=True: tiny_sources(seed)[:1])
    stdout = StringIO()

    call_command("make_verification_corpus", out=str(tmp_path), sources=1, stdout=stdout)

    rows = corpus.read_manifest(tmp_path)
    assert f"1 sources, {len(rows)} renditions" in stdout.getvalue()
    assert all((tmp_path / r["path"]).is_file() for r in rows)
