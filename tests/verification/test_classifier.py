"""The verifier's models: training, the final rule, the artifact, the committed default model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verification import classifier, features

N = len(features.FEATURE_NAMES)


def synthetic(seed: int = 1, honest: int = 150, tampered: int = 150):
    rng = np.random.default_rng(seed)
    x_h = rng.normal(0.0, 1.0, (honest, N))
    x_t = rng.normal(0.0, 1.0, (tampered, N))
    x_t[:, 9:12] += rng.choice([-4.0, 4.0], size=(tampered, 3))  # tampering moves a few features far
    matrix = np.vstack([x_h, x_t])
    for name, honest_value in (("log_fps_vs_expected", 0.0), ("aspect_error", 0.0), ("chroma_share", 0.5)):
        matrix[:, features.FEATURE_NAMES.index(name)] = honest_value  # the consistency checks stay quiet
    labels = np.array([0] * honest + [1] * tampered)
    ssim = np.clip(np.where(labels == 1, 0.5, 0.95) + rng.normal(0, 0.02, len(labels)), 0, 1)
    groups = np.arange(len(labels)) % 12
    return matrix, labels, ssim, groups


@pytest.fixture(scope="module")
def trained():
    matrix, labels, ssim, groups = synthetic()
    return classifier.train(matrix, labels, ssim, groups, folds=3, catboost_params={"iterations": 60}, target_fpr=0.02)


def test_predict_gives_binary_verdicts_and_a_bounded_ssim(trained):
    matrix, labels, _, _ = synthetic(seed=2, honest=60, tampered=60)
    verdicts = trained.predict_many(matrix)

    assert all(v.tamper in (0, 1) and v.tamper_ul in (0, 1) and v.tamper_sl in (0, 1) for v in verdicts)
    assert all(0.0 <= v.ssim_pred <= 1.0 for v in verdicts)
    flagged = np.array([v.tamper for v in verdicts])
    assert flagged[labels == 0].mean() <= 0.1
    assert flagged[labels == 1].mean() >= 0.9
    honest_ssim = np.mean([v.ssim_pred for v, y in zip(verdicts, labels, strict=True) if y == 0])
    tampered_ssim = np.mean([v.ssim_pred for v, y in zip(verdicts, labels, strict=True) if y == 1])
    assert honest_ssim > tampered_ssim + 0.3
    assert trained.predict(matrix[0]) == verdicts[0]


def test_final_rule_combines_both_models(trained):
    dist = np.array([1.0, -1.0, -1.0, 1.0])
    prob = np.array([0.0, trained.ul_threshold, 0.0, trained.sl_threshold])
    ul, sl, final = trained.decide(dist, prob)

    assert ul.tolist() == [0, 1, 1, 0]
    assert final.tolist()[0] == 0 and final.tolist()[2] == 0  # an outlier CatBoost finds clean is not enough
    assert final.tolist()[1] == 1 and final.tolist()[3] == 1
    assert sl.tolist()[3] == 1


def test_thresholds_keep_false_positives_under_the_target():
    rng = np.random.default_rng(5)
    prob = np.concatenate([rng.uniform(0, 0.6, 200), rng.uniform(0.4, 1.0, 200)])
    dist = np.concatenate([rng.normal(0.5, 0.3, 200), rng.normal(-0.5, 0.3, 200)])
    y = np.array([0] * 200 + [1] * 200)
    sl, ul = classifier.choose_thresholds(prob, dist, y, target_fpr=0.01)
    flagged = (prob >= sl) | ((dist < 0) & (prob >= ul))

    assert flagged[y == 0].sum() <= 2
    assert flagged[y == 1].mean() > (prob[y == 1] >= sl).mean() - 1e-9  # the SVM adds catches


def test_artifact_round_trip(trained, tmp_path):
    trained.save(tmp_path / "model")
    loaded = classifier.Verifier.load(tmp_path / "model")
    matrix, *_ = synthetic(seed=3, honest=10, tampered=10)

    assert loaded.version == trained.version and loaded.version.startswith("verifier-")
    assert loaded.predict_many(matrix) == trained.predict_many(matrix)
    total = sum(p.stat().st_size for p in (tmp_path / "model").iterdir())
    assert total < 5_000_000


def test_load_refuses_a_missing_or_foreign_artifact(trained, tmp_path):
    with pytest.raises(FileNotFoundError):
        classifier.Verifier.load(tmp_path / "nothing")
    trained.save(tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    manifest["feature_names"] = manifest["feature_names"][:-1]
    (tmp_path / "model" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="other features"):
        classifier.Verifier.load(tmp_path / "model")


def test_a_measured_contradiction_is_tampered_whatever_the_models_say(trained):
    matrix, *_ = synthetic(seed=4, honest=5, tampered=0)
    fps = features.FEATURE_NAMES.index("log_fps_vs_expected")
    chroma = features.FEATURE_NAMES.index("chroma_share")
    matrix[1, fps] = 0.69  # half the expected frame rate
    matrix[2, chroma] = 1.0  # 4:2:2
    verdicts = trained.predict_many(matrix)

    assert [v.tamper for v in verdicts] == [0, 1, 1, 0, 0]
    assert [v.tamper_sl for v in verdicts][1:3] == [0, 0]  # CatBoost alone would have let them through


def test_wrong_vector_length_is_refused(trained):
    with pytest.raises(ValueError, match="features"):
        trained.predict(np.zeros(N - 1))


def test_non_finite_features_do_not_break_prediction(trained):
    vector = np.zeros(N)
    vector[0], vector[1] = np.nan, np.inf
    verdict = trained.predict(vector)
    assert verdict.tamper in (0, 1)


def test_committed_default_model_loads_and_judges_generated_clips(tmp_path):
    from tests.verification.clips import encode, scene_frames

    classifier.load_default_verifier.cache_clear()
    verifier = classifier.load_default_verifier()
    assert verifier.version.startswith("verifier-")
    assert classifier.load_default_verifier() is verifier  # cached

    frames = list(scene_frames(640, 360, 30, 2.0, seed=11))
    source = encode(tmp_path / "source.mp4", iter(frames), fps=30, crf=16)
    honest = encode(tmp_path / "honest.mp4", iter(frames), fps=30, size=(426, 240))
    flipped = encode(tmp_path / "flip.mp4", iter(frames), fps=30, size=(426, 240), transform=lambda f: f[::-1])
    results = features.extract_features(str(source), [str(honest), str(flipped)])
    verdicts = [verifier.predict(r.vector) for r in results]

    assert verdicts[0].tamper == 0
    assert verdicts[1].tamper == 1
    assert verdicts[0].ssim_pred > verdicts[1].ssim_pred
