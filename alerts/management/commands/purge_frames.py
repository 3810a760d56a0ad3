"""`manage.py purge_frames --older-than DAYS [--confirm]` (alerts.md §7): without --confirm it only reports."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts import services


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


class Command(BaseCommand):
    help = (
        "Delete frames and safe frames (rows and stored files) captured more than DAYS days ago; alerts stay. "
        "Without --confirm nothing is deleted: the command reports what would go."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS", help="Age in days (>= 1).")
        parser.add_argument("--confirm", action="store_true", help="Really delete (default: report only).")
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, older_than: int, confirm: bool, batch_size: int, **options):
        if older_than < 1:
            raise CommandError("--older-than must be at least 1 day")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - timedelta(days=older_than)
        found = services.purge_frames(older_than=cutoff, dry_run=True)
        what = f"{found.frames} frames and {found.safe_frames} safe frames ({_size(found.bytes)})"
        if not confirm:
            self.stdout.write(f"Would delete {what} captured before {cutoff:%Y-%m-%d %H:%M:%S %Z}.")
            self.stdout.write("Nothing deleted: run again with --confirm to delete them.")
            return
        if not found.frames and not found.safe_frames:
            self.stdout.write(f"Nothing captured before {cutoff:%Y-%m-%d %H:%M:%S %Z}.")
            return
        self.stdout.write(f"Deleting {what} captured before {cutoff:%Y-%m-%d %H:%M:%S %Z}…")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} deleted ({100 * done // max(total, 1)}%)")

        result = services.purge_frames(older_than=cutoff, batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {result.frames} frames and {result.safe_frames} safe frames ({_size(result.bytes)} freed)."
            )
        )
