"""Evaluate a verifier model on the corpus's source-disjoint test split; print and document the table."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from verification import classifier, evaluation
from verification import corpus as corpus_module

from .make_verification_corpus import DEFAULT_OUT

DEFAULT_DOC = Path(settings.BASE_DIR) / "docs" / "verification.md"


class Command(BaseCommand):
    help = (
        "Evaluate a model on the corpus's test split (sources never used in training): false-positive rate, "
        "share of tampered caught, accuracy and AUC overall, per attack and per resolution. Writes the table "
        "into docs/verification.md between the evaluation markers (--no-write to only print)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(DEFAULT_OUT), help="corpus directory (default: %(default)s)")
        parser.add_argument(
            "--model", default=str(classifier.DEFAULT_MODEL_DIR), help="artifact directory (default: %(default)s)"
        )
        parser.add_argument("--doc", default=str(DEFAULT_DOC), help="Markdown file to update (default: %(default)s)")
        parser.add_argument("--no-write", action="store_true", help="print only")

    def handle(self, *args, corpus: str, model: str, doc: str, no_write: bool, **options):
        try:
            rows = corpus_module.read_manifest(Path(corpus))
            verifier = classifier.Verifier.load(Path(model))
        except (corpus_module.CorpusError, FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc))
        if not any(r["split"] == "test" for r in rows):
            raise CommandError("the corpus has no test split (build it with more sources)")
        with tqdm(total=len(rows), unit="rendition", desc="features", file=sys.stderr, disable=None) as bar:
            matrix, ok = evaluation.corpus_features(Path(corpus), rows, progress=bar.update)
        table = evaluation.markdown(evaluation.evaluate(verifier, rows, matrix, ok))
        self.stdout.write(table)
        if not no_write:
            evaluation.write_docs(Path(doc), table)
            self.stdout.write(f"Table written to {doc}.")
