"""Commands of videos.md §7.1-7.4: mark_bad_videos, import_videos, export_video_labels, backup_data."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.videos.factories import VideoFactory, clip_name
from videos import services, states
from videos.models import Label, Video

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- mark_bad_videos ---------------------------------------------------------------------------------------

THUMBNAIL = (
    "https://thumbnails-v2.createlab.org/thumbnail?root=https://tiles.cmucreatelab.org/ecam/timemachines/"
    "clairton1/2019-01-17.timemachine/&boundsLTRB=6007,928,6509,1430&width=180&height=180&startFrame=3906"
    "&format=mp4&fps=12&tileFormat=mp4&nframes=36"
)


@pytest.fixture
def region_world(db):
    """Clips of region (6007, 928, 180) on 2019-01-17 (local), plus near misses."""
    same = [VideoFactory(file_name=clip_name(n, left=6007)) for n in (1, 2, 3)]
    other_left = VideoFactory(file_name=clip_name(4, left=6008))
    other_day = VideoFactory(file_name=clip_name(5, left=6007, date="2019-01-18"))
    other_size = VideoFactory(file_name=clip_name(6, left=6007, size=320), width=320, height=320)
    return same, [other_left, other_day, other_size]


@pytest.mark.parametrize(
    "reference",
    [
        THUMBNAIL,
        "0-1-2019-01-17-6007-928-6509-1430-180-180-3906-1547732890-1547733065",
        "https://example.org/videos/180/2019-01-17/0-1/0-1-2019-01-17-6007-928-6509-1430-180-180-3906-1547732890-1547733065.mp4",
    ],
)
def test_mark_bad_videos_dry_run_then_confirm(region_world, reference):
    same, others = region_world
    out = run("mark_bad_videos", reference)
    assert "3 clips match" in out and "nothing written" in out
    for video in same:
        assert video.file_name in out
    assert not Video.objects.filter(label_state=-2).exists()
    out = run("mark_bad_videos", reference, "--confirm")
    assert "3 clips marked bad" in out
    assert set(Video.objects.filter(label_state=-2, label_state_admin=-2)) == set(same)
    assert not Label.objects.exists()


def test_mark_bad_videos_by_id(region_world):
    same, _ = region_world
    run("mark_bad_videos", "--video-id", str(same[0].pk), "--confirm")
    assert Video.objects.filter(label_state_admin=-2).count() == 3


def test_mark_bad_videos_time_window_is_strict(db):
    """start and end strictly between D − 1 day and D + 2 days (D = local midnight)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    midnight = datetime(2019, 1, 17, tzinfo=ZoneInfo("America/New_York"))
    from datetime import timedelta

    inside = VideoFactory(
        file_name=clip_name(1, left=6007),
        start_time=midnight - timedelta(hours=23),
        end_time=midnight + timedelta(hours=47),
    )
    edge = VideoFactory(file_name=clip_name(2, left=6007), start_time=midnight - timedelta(days=1), end_time=midnight)
    run("mark_bad_videos", inside.file_name, "--confirm")
    assert list(Video.objects.filter(label_state=-2)) == [inside]
    assert edge.pk


@pytest.mark.parametrize("args", [("not-a-name",), ("https://x/thumbnail?width=180",), (), ("--video-id", "999")])
def test_mark_bad_videos_errors(db, args):
    with pytest.raises(CommandError):
        run("mark_bad_videos", *args)


# --- import_videos -----------------------------------------------------------------------------------------


def _write(tmp_path, records, *, lines=False):
    path = tmp_path / ("clips.jsonl" if lines else "clips.json")
    text = "\n".join(json.dumps(r) for r in records) if lines else json.dumps(records)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_derives_fields_and_is_dry_by_default(db, tmp_path):
    name = "0-1-2019-01-17-6007-928-6509-1430-180-180-3906-1547732890-1547733065"
    path = _write(tmp_path, [{"file_name": name, "id": 5, "url_root": "x", "label": 1}])
    out = run("import_videos", path)
    assert "1 to add" in out and "dry run" in out and not Video.objects.exists()
    out = run("import_videos", path, "--confirm")
    assert "1 added, 0 skipped" in out
    video = Video.objects.get()
    assert (video.camera_id, video.view_id, video.left, video.top, video.width, video.height) == (
        0,
        1,
        6007,
        928,
        180,
        180,
    )
    assert video.scale == pytest.approx(502 / 180)
    assert int(video.start_time.timestamp()) == 1547732890 and int(video.end_time.timestamp()) == 1547733065
    assert (video.label_state, video.label_state_admin, video.source_url) == (-1, -1, None)
    assert video.citizen_pool == states.CitizenPool.FRESH
    out = run("import_videos", path, "--confirm")
    assert "0 added, 1 skipped" in out


def test_import_json_lines_with_labels_and_source_url(db, tmp_path):
    records = [
        {
            "file_name": clip_name(1),
            "label_state": 23,
            "label_state_admin": 47,
            "source_url": "https://t/thumbnail?a=1",
        },
        {"file_name": clip_name(2), "url_part": "https://t/thumbnail?a=2&boundsLTRB=1,2,3,4"},
        {"file_name": clip_name(3), "url_part": "2019-01-17/0-1/x.mp4"},  # a clip path, not a source URL
        {"file_name": clip_name(4), "source_url": "https://t/thumbnail?a=1"},  # duplicate source: skipped
        {"file_name": clip_name(2)},  # duplicate name within the file: skipped
    ]
    path = _write(tmp_path, records, lines=True)
    assert "3 added, 2 skipped" in run("import_videos", path, "--confirm", "--with-labels")
    first = Video.objects.get(file_name=clip_name(1))
    assert (first.label_state, first.label_state_admin) == (23, 47)
    assert Video.objects.get(file_name=clip_name(2)).source_url.endswith("a=2&boundsLTRB=1,2,3,4")
    assert Video.objects.get(file_name=clip_name(3)).source_url is None


def test_import_ignores_labels_without_flag(db, tmp_path):
    path = _write(tmp_path, [{"file_name": clip_name(1), "label_state": 23}])
    run("import_videos", path, "--confirm")
    assert Video.objects.get().label_state == -1


@pytest.mark.parametrize(
    "bad,field",
    [
        ({"file_name": "0-1-2019-01-17"}, "file_name"),
        ({"width": 180}, "file_name"),
        ({"file_name": clip_name(9), "width": "wide"}, "width"),
        ({"file_name": clip_name(9), "start_time": "yesterday"}, "start_time"),
        ({"file_name": clip_name(9), "label_state": 7}, "label_state"),
        ({"file_name": clip_name(9), "scale": True}, "scale"),
        ({"file_name": clip_name(9), "source_url": 5}, "source_url"),
    ],
)
def test_import_bad_record_names_index_and_field_and_writes_nothing(db, tmp_path, bad, field):
    path = _write(tmp_path, [{"file_name": clip_name(1)}, bad])
    with pytest.raises(CommandError) as info:
        run("import_videos", path, "--confirm", "--with-labels")
    assert f"record 1, field {field}" in str(info.value)
    assert not Video.objects.exists()


def test_import_malformed_files(db, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"file_name": "a"}\n{oops\n')
    with pytest.raises(CommandError, match="line 2"):
        run("import_videos", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_videos", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError):
        run("import_videos")


def test_import_scan(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    from django.core.files.storage import storages

    storages._storages = {}
    names = [clip_name(1), clip_name(2, camera=2, view=0)]
    for name in names:
        default_storage.save(states.clip_storage_path(name), ContentFile(b"mp4"))
    default_storage.save("videos/180/readme.txt", ContentFile(b"x"))
    assert "2 added" in run("import_videos", "--scan", "--confirm")
    assert set(Video.objects.values_list("file_name", flat=True)) == set(names)
    storages._storages = {}


def test_import_service_for_demo_data(db):
    result = services.import_videos(records=[{"file_name": clip_name(1)}], confirm=True)
    assert result.added == [clip_name(1)] and result.written


# --- export_video_labels -------------------------------------------------------------------------------------


def test_export_video_labels(db, tmp_path, settings):
    settings.VIDEO_URL_ROOT = "https://clips.example.org/videos/180/"
    videos = [VideoFactory(label_state_admin=a) for a in (47, -2, -1)]
    out = tmp_path / "labels.json"
    run("export_video_labels", "--output", str(out))
    body = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in body["data"]] == [v.pk for v in videos]
    assert body["data"][0]["url_root"] == "https://clips.example.org/videos/180/"
    assert body["data"][0]["label_state_admin"] == 47
    assert json.loads(run("export_video_labels"))["data"][2]["id"] == videos[2].pk


def test_export_empty_and_unwritable(db, tmp_path):
    assert json.loads(run("export_video_labels")) == {"data": []}
    with pytest.raises(CommandError):
        run("export_video_labels", "--output", str(tmp_path / "no" / "such" / "dir.json"))


# --- backup_data ------------------------------------------------------------------------------------------


def test_backup_sqlite_and_keep(db, tmp_path, settings):
    """The test database is in memory here; back up a file database through the same code path."""
    from django.db import connections

    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as handle:
        handle.execute("create table t (x int)")
        handle.execute("insert into t values (42)")
    connection = connections["default"]
    original = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(source)
    try:
        from videos import backup

        stamps = iter(["20260101-000001", "20260101-000002", "20260101-000003"])
        original_stamp = backup._stamp
        backup._stamp = lambda now=None: next(stamps)
        try:
            for _ in range(3):
                run("backup_data", "--output-dir", str(tmp_path / "b"), "--keep", "2")
        finally:
            backup._stamp = original_stamp
    finally:
        connection.settings_dict["NAME"] = original
    files = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert files == ["db_20260101-000002.sqlite3", "db_20260101-000003.sqlite3"]
    with sqlite3.connect(tmp_path / "b" / files[-1]) as copy:
        assert copy.execute("select x from t").fetchone() == (42,)


def test_backup_needs_a_directory(db, settings):
    settings.BACKUP_DIR = None
    with pytest.raises(CommandError, match="BACKUP_DIR"):
        run("backup_data")


def test_backup_in_memory_database_fails_clearly(db, tmp_path):
    with pytest.raises(CommandError, match="in-memory"):
        run("backup_data", "--output-dir", str(tmp_path))


def test_backup_job_is_a_no_op_without_backup_dir(db, settings):
    from videos.tasks import backup_data_job

    settings.BACKUP_DIR = None
    assert backup_data_job() is None
