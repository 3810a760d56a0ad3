"""`manage.py import_videos <file> [--confirm] [--with-labels]` / `import_videos --scan [--confirm]` (§7.3)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from labelplatform.errors import DomainError
from videos import services


class Command(BaseCommand):
    help = (
        "Add clips described by a JSON array / JSON Lines file (or found under storage videos/180/ with --scan). "
        "Every record is checked first; any bad record stops the import with nothing written. "
        "Existing file names / source URLs are skipped. Dry run unless --confirm."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="JSON array or JSON Lines file of clip records")
        parser.add_argument("--scan", action="store_true", help="import every <file_name>.mp4 under videos/180/")
        parser.add_argument("--with-labels", action="store_true", help="also take label_state / label_state_admin")
        parser.add_argument("--confirm", action="store_true", help="write (default: only report)")

    def handle(self, *args, file=None, scan=False, with_labels=False, confirm=False, **options):
        if scan == bool(file):
            raise CommandError("give either a file or --scan")
        try:
            records = list(services.scan_stored_clips()) if scan else services.read_import_file(file)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if not isinstance(records, list):
            raise CommandError(f"{file} must hold a JSON array or JSON Lines of objects")
        bar = tqdm(total=len(records), desc="checking", unit="clip", file=self.stderr, disable=None)
        try:
            result = services.import_videos(
                records=records, with_labels=with_labels, confirm=confirm, progress=bar.update
            )
        except services.ImportRecordError as exc:
            record = records[exc.index]
            name = record.get("file_name") if isinstance(record, dict) else None
            named = f" (file_name {name!r})" if isinstance(name, str) else ""
            raise CommandError(f"{exc.message}{named}; nothing written") from exc
        finally:
            bar.close()
        verb = "added" if confirm else "to add"
        self.stdout.write(f"{len(result.added)} {verb}, {len(result.skipped)} skipped (already present)")
        if not confirm:
            self.stdout.write("dry run, nothing written (add --confirm to import)")
