"""`manage.py mark_bad_videos <url-or-file-name> [--video-id N] [--confirm]` (videos.md §7.2)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from labelplatform.errors import DomainError
from videos import selectors, services


class Command(BaseCommand):
    help = (
        "Mark every clip cut from the same panorama region on the same day as bad (both states -2). "
        "Reference: a thumbnail URL, a clip URL or file name, or --video-id. Dry run unless --confirm."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", nargs="?", help="thumbnail URL, clip URL or bare file name")
        parser.add_argument("--video-id", type=int, help="use this clip's file name as the reference")
        parser.add_argument("--confirm", action="store_true", help="write (default: only report)")

    def handle(self, *args, reference=None, video_id=None, confirm=False, **options):
        if video_id is not None:
            video = selectors.video_by_id(video_id)
            if video is None:
                raise CommandError(f"no clip with id {video_id}")
            reference = video.file_name
        if not reference:
            raise CommandError("give a thumbnail URL, a clip URL or file name, or --video-id N")
        try:
            matches = services.mark_similar_bad(reference=reference, confirm=confirm)
        except DomainError as exc:
            raise CommandError(f"{exc.message} (reference {reference!r})") from exc
        for video in matches:
            self.stdout.write(video.file_name)
        if confirm:
            self.stdout.write(self.style.SUCCESS(f"{len(matches)} clips marked bad"))
        else:
            self.stdout.write(f"{len(matches)} clips match; dry run, nothing written (add --confirm to mark them)")
