"""`manage.py export_video_labels [--output file]`: the get_all_labels document (videos.md §7.1)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from videos import selectors, serializers
from videos.models import Video


class Command(BaseCommand):
    help = "Write every clip with both label states, by id, as get_all_labels returns it (JSON, UTF-8)."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument("--url-root", help="url_root of every clip (default: VIDEO_URL_ROOT or MEDIA_URL)")

    def handle(self, *args, output=None, url_root=None, **options):
        root = url_root or selectors.url_root()
        bar = tqdm(total=Video.objects.count(), desc="exporting", unit="clip", file=self.stderr, disable=None)

        def chunks():
            for rows in selectors.all_video_chunks():
                bar.update(len(rows))
                yield rows

        try:
            handle = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from exc

        def write(text: str) -> None:
            if handle is None:
                self.stdout.write(text, ending="")
            else:
                handle.write(text)

        try:
            for piece in serializers.all_labels_chunks(chunks(), url_root=root):
                write(piece)
            write("\n")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from exc
        finally:
            bar.close()
            if handle is not None:
                handle.close()
        if output:
            self.stderr.write(f"{bar.n} clips written to {output}")
