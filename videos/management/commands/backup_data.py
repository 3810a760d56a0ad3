"""`manage.py backup_data [--output-dir DIR] [--keep N]` (videos.md §7.4, project-wide)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from videos.backup import BackupFailed, back_up_database


class Command(BaseCommand):
    help = (
        "Back up the database: MySQL/MariaDB with mysqldump --single-transaction (gzip), SQLite through its "
        "backup API. --output-dir defaults to BACKUP_DIR; --keep N deletes all but the newest N backups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output-dir", help="directory for the backup (default: BACKUP_DIR)")
        parser.add_argument("--keep", type=int, help="keep only the newest N backups in the directory")

    def handle(self, *args, output_dir=None, keep=None, **options):
        try:
            result = back_up_database(output_dir=output_dir, keep=keep)
        except (BackupFailed, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(f"{result.path} ({result.size} bytes)")
        for path in result.removed:
            self.stdout.write(f"removed old backup {path}")
