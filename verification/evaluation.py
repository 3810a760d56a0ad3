"""Features of a corpus (cached), training on its train split, evaluation on its source-disjoint test split.

Pure module (no Django); `manage.py train_verifier` and `manage.py evaluate_verifier` drive it.
"""

from __future__ import annotations

import hashlib
import inspect
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import classifier, corpus, features

MARK_START = "<!-- evaluation:start -->"
MARK_END = "<!-- evaluation:end -->"


def feature_version() -> str:
    """Changes whenever the extractor's code or feature list changes, so cached features are never stale."""
    text = inspect.getsource(features) + "|".join(features.FEATURE_NAMES)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def corpus_features(
    out: Path, rows: list[dict], *, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows for the manifest rows (NaN rows where a rendition was unreadable) and a readable mask.

    Cached in `<corpus>/features-<version>.npz`; each source is decoded once for all its renditions.
    """
    out = Path(out)
    cache = out / f"features-{feature_version()}.npz"
    keys = np.asarray([r["key"] for r in rows])
    if cache.is_file():
        data = np.load(cache, allow_pickle=False)
        cached = dict(zip(data["keys"], data["matrix"], strict=True))
        if all(k in cached for k in keys):
            matrix = np.stack([cached[k] for k in keys])
            return matrix, ~np.isnan(matrix).any(axis=1)
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_source[row["source"]].append(i)
    matrix = np.full((len(rows), len(features.FEATURE_NAMES)), np.nan)
    for source, indices in by_source.items():
        results = features.extract_features(
            str(out / source),
            [str(out / rows[i]["path"]) for i in indices],
            frame_rates=[rows[i]["expected_fps"] or None for i in indices],
        )
        for i, result in zip(indices, results, strict=True):
            if result.vector is not None:
                matrix[i] = result.vector
        if progress:
            progress(len(indices))
    np.savez_compressed(cache, keys=keys, matrix=matrix)
    return matrix, ~np.isnan(matrix).any(axis=1)


def train_split(
    out: Path,
    *,
    seed: int = 0,
    target_fpr: float = 0.005,
    catboost_params: dict | None = None,
    progress=None,
    fold_progress=None,
) -> tuple[classifier.Verifier, dict]:
    """Train on the corpus's train split; returns the verifier and a summary."""
    rows = corpus.read_manifest(out)
    matrix, ok = corpus_features(out, rows, progress=progress)
    train = np.asarray([r["split"] == "train" for r in rows]) & ok
    labels = np.asarray([r["label"] for r in rows])
    ssim = np.asarray([r["ssim"] for r in rows])
    groups = np.asarray([r["source_name"] for r in rows])
    verifier = classifier.train(
        matrix[train],
        labels[train],
        ssim[train],
        groups[train],
        seed=seed,
        target_fpr=target_fpr,
        catboost_params=catboost_params,
        progress=fold_progress,
    )
    verifier.info["corpus_rows"] = len(rows)
    verifier.info["feature_version"] = feature_version()
    return verifier, {"train_rows": int(train.sum()), "unreadable": int((~ok).sum())}


def cross_validate(
    out: Path,
    *,
    drop: tuple[str, ...] = (),
    extras: bool = True,
    seeds: tuple[int, ...] = (0,),
    repeats: int = 3,
    target_fpr: float = 0.005,
    catboost_params: dict | None = None,
    progress=None,
) -> list[dict]:
    """Out-of-fold figures of the train split only (the test split is never read): for comparing feature
    sets and training rows before a model is trained and evaluated.

    Folds are grouped by source; `drop` leaves features out, `extras=False` leaves out the training-only
    extra renditions. Figures count the renditions every source gets (never the extras, which are the
    hardest cases over-represented), with the final rule's thresholds chosen on them at `target_fpr`, as
    `train` does on all rows. One entry per seed (another seed is another set of fold assignments).
    """
    unknown = set(drop) - set(features.FEATURE_NAMES)
    if unknown:
        raise ValueError(f"unknown features: {', '.join(sorted(unknown))}")
    rows = corpus.read_manifest(out)
    matrix, ok = corpus_features(out, rows)
    extra = np.asarray([bool(r["params"].get("training_extra")) for r in rows])
    use = np.asarray([r["split"] == "train" for r in rows]) & ok & (extras | ~extra)
    keep = [i for i, name in enumerate(features.FEATURE_NAMES) if name not in drop]
    full = classifier._clean(matrix[use])
    x = full[:, keep]
    y = np.asarray([r["label"] for r in rows])[use]
    groups = np.asarray([r["source_name"] for r in rows])[use]
    counted = ~extra[use]
    checked = classifier._check_flags(full, classifier.CHECKS)
    attacks = np.asarray([_attack_name(r) for r in rows])[use]
    cat_params = {**classifier.CATBOOST_PARAMS, **(catboost_params or {})}
    n_folds = min(classifier.FOLDS, len(np.unique(groups)))
    report = []
    for seed in seeds:
        prob, dist = classifier.out_of_fold_scores(
            x,
            y,
            groups,
            seed=seed,
            folds=n_folds,
            repeats=repeats,
            catboost_params=cat_params,
            ocsvm_params=classifier.OCSVM_PARAMS,
            progress=progress,
        )
        sel = np.tile(counted & ~checked, repeats)
        sl, ul = classifier.choose_thresholds(
            prob.ravel()[sel], dist.ravel()[sel], np.tile(y, repeats)[sel], target_fpr=target_fpr
        )
        flag = classifier.models_flag(prob, dist, sl, ul) | checked[None, :]
        honest, tampered = (y == 0) & counted, (y == 1) & counted
        never = tampered & ~flag.any(axis=0)
        report.append(
            {
                "seed": seed,
                "rows": int(use.sum()),
                "counted": int(counted.sum()),
                "features": len(keep),
                "fpr": float(flag[:, honest].mean()),
                "caught": float(flag[:, tampered].mean()),
                "caught_per_assignment": [float(flag[k, tampered].mean()) for k in range(repeats)],
                "sl_threshold": float(sl),
                "ul_threshold": float(ul),
                "never_caught": dict(Counter(attacks[never].tolist()).most_common()),
            }
        )
    return report


def _attack_name(row: dict) -> str:
    """The attack, with wrong_resolution's variant (stretched and upscaled renditions fail differently)."""
    if row["attack"] == "wrong_resolution" and row["params"].get("variant"):
        return f"wrong_resolution ({row['params']['variant']})"
    return row["attack"]


def _auc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    if labels.min() == labels.max():
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def _summary(flag: np.ndarray, labels: np.ndarray, scores: np.ndarray) -> dict:
    honest, tampered = labels == 0, labels == 1
    return {
        "n": int(len(labels)),
        "honest": int(honest.sum()),
        "tampered": int(tampered.sum()),
        "fpr": float(flag[honest].mean()) if honest.any() else None,
        "caught": float(flag[tampered].mean()) if tampered.any() else None,
        "accuracy": float((flag == labels).mean()) if len(labels) else None,
        "auc": _auc(scores, labels) if len(labels) else None,
    }


def evaluate(verifier: classifier.Verifier, rows: list[dict], matrix: np.ndarray, ok: np.ndarray) -> dict:
    """Figures on the test split: overall (final rule, CatBoost alone, the documented both-agree rule),
    per attack and per ladder rung. An unreadable test rendition counts as flagged (the API gives no verdict)."""
    test = np.asarray([r["split"] == "test" for r in rows])
    idx = np.flatnonzero(test)
    labels = np.asarray([rows[i]["label"] for i in idx])
    dist = np.zeros(len(idx))
    prob = np.ones(len(idx))
    checked = np.zeros(len(idx), dtype=bool)
    readable = ok[idx]
    if readable.any():
        d, p, _ = verifier.scores(matrix[idx][readable])
        dist[readable], prob[readable] = d, p
        checked[readable] = verifier.inconsistent(matrix[idx][readable])
    ul, sl, models_only = verifier.decide(dist, prob)
    final = np.where(readable, models_only | checked, 1)
    both = (ul == 1) & (sl == 1)
    attacks = np.asarray([rows[i]["attack"] for i in idx])
    rungs = np.asarray([rows[i]["rung"] for i in idx])
    report = {
        "model": verifier.version,
        "sources": sorted({rows[i]["source_name"] for i in idx}),
        "unreadable": int((~readable).sum()),
        "overall": _summary(final, labels, prob),
        "models_only": _summary(models_only, labels, prob),
        "checks_only": _summary(checked.astype(int), labels, prob),
        "catboost_alone": _summary(sl, labels, prob),
        "ocsvm_alone": _summary(ul, labels, -dist),
        "documented_rule": _summary(both.astype(int), labels, prob),
        "per_attack": {},
        "per_rung": {},
    }
    honest = labels == 0
    for attack in sorted(set(attacks)):
        sel = attacks == attack
        # each attack against the honest renditions of the same test sources: accuracy and AUC mean something
        both_sel = sel | honest if attack not in (corpus.HONEST, corpus.FRAME_RATE_CONVERSION) else sel
        summary = _summary(final[both_sel], labels[both_sel], prob[both_sel])
        summary["count"] = int(sel.sum())
        summary["flagged"] = float(final[sel].mean()) if sel.any() else None
        report["per_attack"][attack] = summary
    for rung in sorted(set(rungs.tolist()), reverse=True):
        sel = rungs == rung
        report["per_rung"][int(rung)] = _summary(final[sel], labels[sel], prob[sel])
    small = (attacks == "watermark_small") & np.isin(rungs, [144, 240])
    report["watermark_small_low"] = {
        "count": int(small.sum()),
        "caught": float(final[small].mean()) if small.any() else None,
    }
    return report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _share(value: float | None, count: int) -> str:
    """A rate with its count: 96.99 % rounds to "97.0 %", which is not 97 %."""
    if value is None:
        return "–"
    return f"{100 * value:.1f} % ({round(value * count)} of {count})"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def markdown(report: dict) -> str:
    """The evaluation as Markdown tables (what `evaluate_verifier` prints and writes to docs/verification.md)."""
    o = report["overall"]
    lines = [
        f"Model `{report['model']}`, test split: {o['n']} renditions ({o['honest']} honest, {o['tampered']} tampered) "
        f"of {len(report['sources'])} source clips never seen in training; {report['unreadable']} unreadable.",
        "",
        "| rule | false positives (honest flagged) | tampered caught | accuracy | AUC |",
        "| --- | --- | --- | --- | --- |",
    ]
    for title, key in (
        ("final rule (platform)", "overall"),
        ("  of which: consistency checks alone", "checks_only"),
        ("  of which: models alone (CatBoost, SVM-assisted)", "models_only"),
        ("CatBoost alone", "catboost_alone"),
        ("one-class SVM alone", "ocsvm_alone"),
        ("documented rule (both agree)", "documented_rule"),
    ):
        s = report[key]
        lines.append(
            f"| {title} | {_share(s['fpr'], s['honest'])} | {_share(s['caught'], s['tampered'])} | "
            f"{_pct(s['accuracy'])} | {_num(s['auc'])} |"
        )
    wl = report["watermark_small_low"]
    lines += [
        "",
        f"Small watermark at 144p/240p: {_pct(wl['caught'])} caught ({wl['count']} renditions).",
        "",
        "Per attack (accuracy and AUC: that attack's renditions against all honest test renditions):",
        "",
        "| attack | renditions | flagged | accuracy | AUC |",
        "| --- | --- | --- | --- | --- |",
    ]
    for attack, s in report["per_attack"].items():
        lines.append(f"| {attack} | {s['count']} | {_pct(s['flagged'])} | {_pct(s['accuracy'])} | {_num(s['auc'])} |")
    lines += [
        "",
        "Per ladder rung (claimed height):",
        "",
        "| rung | honest | false positives | tampered | caught | accuracy | AUC |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rung, s in report["per_rung"].items():
        lines.append(
            f"| {rung}p | {s['honest']} | {_pct(s['fpr'])} | {s['tampered']} | {_pct(s['caught'])} | "
            f"{_pct(s['accuracy'])} | {_num(s['auc'])} |"
        )
    return "\n".join(lines) + "\n"


def write_docs(doc: Path, table: str) -> None:
    """Replace the text between the evaluation markers of `doc` (appending the markers if absent)."""
    text = doc.read_text() if doc.is_file() else ""
    block = f"{MARK_START}\n{table}{MARK_END}"
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        _, tail = rest.split(MARK_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    doc.write_text(text)
