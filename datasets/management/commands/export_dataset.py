"""`export_dataset <dataset_id> [--format json|jsonl|csv] [--output F]` (qa-tasks.md §8): the download of §4.6."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from datasets import exports, selectors
from labelplatform.errors import DoesNotExist


class Command(BaseCommand):
    help = "Write a dataset (current values, labeler, keep/drop) as JSON, JSON Lines or CSV, streamed."

    def add_arguments(self, parser):
        parser.add_argument("dataset_id", type=int)
        parser.add_argument("--format", choices=list(exports.FORMATS), default="json")
        parser.add_argument("--output", help="File to write; default: standard output.")

    def handle(self, *args, dataset_id, format, output, **options):
        try:
            dataset = selectors.get_dataset(dataset_id)
        except DoesNotExist as exc:
            raise CommandError(f"no dataset with id {dataset_id}") from exc
        chunks = exports.export_chunks(dataset, format)
        if output:
            with open(output, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stderr.write(f"wrote {output}")
            return
        target = getattr(self.stdout, "_out", sys.stdout)
        for chunk in chunks:
            if hasattr(target, "buffer"):
                target.buffer.write(chunk)
            else:
                target.write(chunk.decode("utf-8"))
        target.flush()
