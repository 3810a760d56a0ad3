"""Out-of-fold figures of the corpus's train split, for choosing features and training rows (never the test split)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from verification import classifier, evaluation
from verification import corpus as corpus_module

from .make_verification_corpus import DEFAULT_OUT


class Command(BaseCommand):
    help = (
        "Cross-validate the verifier's recipe on the corpus's train split only (4 folds grouped by source, "
        "drawn --repeats times per seed): false positives and tampered caught at the final rule's thresholds, "
        "and the attacks never caught. Compare feature sets (--drop) and training rows (--no-extras) here, "
        "then train and evaluate the chosen recipe once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(DEFAULT_OUT), help="corpus directory (default: %(default)s)")
        parser.add_argument("--drop", default="", help="comma-separated features to leave out")
        parser.add_argument("--no-extras", action="store_true", help="leave out the training-only extra renditions")
        parser.add_argument("--seeds", default="0", help="comma-separated seeds, one set of fold assignments each")
        parser.add_argument("--repeats", type=int, default=3, help="fold assignments per seed (default: %(default)s)")
        parser.add_argument(
            "--iterations", type=int, default=classifier.CATBOOST_PARAMS["iterations"], help="CatBoost iterations"
        )
        parser.add_argument("--target-fpr", type=float, default=0.005, help="false-positive budget (default: 0.005)")

    def handle(self, *args, corpus, drop, no_extras, seeds, repeats, iterations, target_fpr, **options):
        dropped = tuple(name for name in drop.split(",") if name)
        try:
            seed_list = tuple(int(seed) for seed in seeds.split(","))
        except ValueError:
            raise CommandError("--seeds must be comma-separated integers")
        if repeats < 1 or iterations < 1 or not 0 <= target_fpr < 1:
            raise CommandError("--repeats and --iterations must be at least 1, --target-fpr within [0, 1)")
        total = classifier.FOLDS * repeats * len(seed_list)
        with tqdm(total=total, unit="fit", file=sys.stderr, disable=None) as bar:
            try:
                report = evaluation.cross_validate(
                    Path(corpus),
                    drop=dropped,
                    extras=not no_extras,
                    seeds=seed_list,
                    repeats=repeats,
                    target_fpr=target_fpr,
                    catboost_params={"iterations": iterations},
                    progress=lambda done: bar.update(1),
                )
            except (corpus_module.CorpusError, ValueError) as exc:
                raise CommandError(str(exc))
        for entry in report:
            per = ", ".join(f"{100 * c:.1f} %" for c in entry["caught_per_assignment"])
            never = ", ".join(f"{attack} {n}" for attack, n in entry["never_caught"].items()) or "none"
            self.stdout.write(
                f"seed {entry['seed']}: {entry['rows']} training renditions ({entry['counted']} counted), "
                f"{entry['features']} features: {100 * entry['fpr']:.2f} % honest flagged, "
                f"{100 * entry['caught']:.2f} % tampered caught (per assignment: {per}); "
                f"thresholds {entry['sl_threshold']:.3f} / {entry['ul_threshold']:.3f}; "
                f"never caught: {never}"
            )
