"""backup_data on real MariaDB (videos.md §7.4): a consistent gzip dump of the test database."""

from __future__ import annotations

import gzip
import io
import time

import pytest
from django.core.management import call_command
from django.db import connection

from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_data_dumps_mariadb(tmp_path, evidence):
    video = VideoFactory()
    out = io.StringIO()
    for _ in range(2):
        call_command("backup_data", "--output-dir", str(tmp_path), "--keep", "1", stdout=out)
        time.sleep(1.1)  # backups are stamped to the second
    assert "removed old backup" in out.getvalue()
    files = list(tmp_path.iterdir())
    name = connection.settings_dict["NAME"]
    assert len(files) == 1 and files[0].name.startswith(f"{name}_") and files[0].name.endswith(".sql.gz")
    text = gzip.decompress(files[0].read_bytes()).decode("utf-8", errors="replace")
    assert "CREATE TABLE `videos_video`" in text and video.file_name in text
    size = files[0].stat().st_size
    evidence(f"videos: backup_data wrote {files[0].name} ({size} bytes gzip); --keep 1 pruned the older one")


def test_backup_data_fails_with_non_zero_exit_on_bad_credentials(tmp_path, settings):
    from django.core.management.base import CommandError

    original = dict(connection.settings_dict)
    connection.settings_dict["USER"] = "no_such_user_for_backup"
    try:
        with pytest.raises(CommandError, match="mysqldump exited"):
            call_command("backup_data", "--output-dir", str(tmp_path), stdout=io.StringIO())
    finally:
        connection.settings_dict.update(original)
    assert not list(tmp_path.iterdir())  # no partial file left behind
