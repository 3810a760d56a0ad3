"""Train the verifier on the corpus's train split and write the versioned model artifact."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from verification import classifier, evaluation
from verification import corpus as corpus_module

from .make_verification_corpus import DEFAULT_OUT


class Command(BaseCommand):
    help = (
        "Extract features of the corpus (cached in the corpus directory), train the one-class SVM, CatBoost and "
        "the SSIM regressor on the train split, calibrate the final rule, write the model artifact."
    )

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(DEFAULT_OUT), help="corpus directory (default: %(default)s)")
        parser.add_argument(
            "--out", default=str(classifier.DEFAULT_MODEL_DIR), help="artifact directory (default: %(default)s)"
        )
        parser.add_argument("--seed", type=int, default=0, help="training seed (default: %(default)s)")
        parser.add_argument(
            "--iterations",
            type=int,
            default=classifier.CATBOOST_PARAMS["iterations"],
            help="CatBoost iterations (default: %(default)s)",
        )
        parser.add_argument(
            "--target-fpr",
            type=float,
            default=0.005,
            help="share of honest renditions the final rule may flag on out-of-fold predictions (default: %(default)s)",
        )

    def handle(self, *args, corpus: str, out: str, seed: int, iterations: int, target_fpr: float, **options):
        if not 0 <= target_fpr < 1:
            raise CommandError("--target-fpr must be within [0, 1)")
        if iterations < 1:
            raise CommandError("--iterations must be at least 1")
        try:
            rows = corpus_module.read_manifest(Path(corpus))
        except corpus_module.CorpusError as exc:
            raise CommandError(str(exc))
        with tqdm(total=len(rows), unit="rendition", desc="features", file=sys.stderr, disable=None) as bar:
            verifier, summary = evaluation.train_split(
                Path(corpus),
                seed=seed,
                target_fpr=target_fpr,
                catboost_params={"iterations": iterations},
                progress=bar.update,
            )
        verifier.save(Path(out))
        info = verifier.info
        self.stdout.write(
            f"Model {verifier.version} written to {out}: {summary['train_rows']} training renditions "
            f"({info['honest']} honest, {info['tampered']} tampered, {info['sources']} sources); "
            f"thresholds sl={verifier.sl_threshold:.4f} ul={verifier.ul_threshold:.4f}; out-of-fold: "
            f"{100 * info['oof_false_positive_rate']:.2f} % honest flagged, "
            f"{100 * info['oof_tampered_caught']:.2f} % tampered caught."
        )
