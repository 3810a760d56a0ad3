"""`import_dataset <file> --name N --task-type T --source S [--uploaded-by USER]` (qa-tasks.md §8)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors as account_selectors
from datasets import services
from datasets.uploads import RowError
from labelplatform.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import a dataset from a JSON array, JSON Lines or CSV file, with exactly the validation of "
        "/dataset/upload (any bad row refuses the whole file); prints the new dataset's id."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--name", required=True)
        parser.add_argument("--task-type", required=True)
        parser.add_argument("--source", required=True)
        parser.add_argument("--format", choices=["json", "jsonl", "csv"], help="Default: from the file name.")
        parser.add_argument("--uploaded-by", help="Username recorded as the uploader.")

    def handle(self, *args, file, name, task_type, source, format, uploaded_by, **options):
        user = None
        if uploaded_by:
            user = account_selectors.user_by_username(uploaded_by)
            if user is None:
                raise CommandError(f"no user named {uploaded_by!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            with path.open("rb") as handle:
                rows = services.read_upload_file(handle, filename=path.name, fmt=format)
            dataset = services.upload_dataset(
                name=name, task_type=task_type, source=source, rows=rows, uploaded_by=user
            )
        except RowError as exc:
            where = f"row {exc.row}, " if exc.row is not None else ""
            raise CommandError(f"{where}{exc.field}: {exc.message}; nothing was imported") from exc
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}; nothing was imported") from exc
        self.stdout.write(str(dataset.pk))
