"""Demo clips for a fresh machine (`manage.py seed_demo`, run by `make run` on an empty database).

Adds `DEMO_CLIPS` generated clips (smoke and clear, `videos.clips`) with their 180- and 320-pixel files
in media storage, so the labeling page and the gallery work offline. Everything goes through the same
services as the API and the commands:
- the clips through `services.import_videos` (as `import_videos --confirm` would);
- the gold standards and a few researcher decisions through `services.set_label_state`, by the demo
  researcher (so they show in each clip's label history);
- a few demo labelers return batches through `services.issue_batch` / `return_batch`, answering from
  what each clip really shows (one of them misses a gold clip, so a failed batch is visible too).

Only `DISTINCT_CLIPS` clips are drawn and encoded (a few seconds); the rows reuse them in turn.
Idempotent: existing rows are skipped, missing files are written again, and the states and demo batches
are applied only when the clips were first added.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts import services as account_services
from videos import clips, services, states

DEMO_CLIPS = 300
DISTINCT_CLIPS = 16  # half smoke, half clear
GOLD_POS = 40
GOLD_NEG = 40
RESEARCHER_DECIDED = 20
DEMO_LABELERS = 4
BATCHES_PER_LABELER = 2
FIRST_DAY = datetime(2026, 10, 1)
RESEARCHER_USERNAME = "researcher"  # made by seed_demo before the apps' demo data
SIZES = clips.PLAYBACK_SIZES


@dataclass(frozen=True)
class DemoClip:
    index: int
    file_name: str
    smoke: bool

    @property
    def distinct(self) -> int:
        return self.index % DISTINCT_CLIPS


def _smoke(distinct: int) -> bool:
    return distinct % 2 == 0


def demo_clips() -> list[DemoClip]:
    """The demo rows: file names of seed 000's form (`camera-view-date-L-T-R-B-W-H-frame-start-end`).

    Clips `i` and `i + 25` share a panorama region and day, so "Mark similar clips as bad" has something
    to find. Start times are local noon of the file name's date in `VIDEO_LOCAL_TIME_ZONE`.
    """
    zone = ZoneInfo(settings.VIDEO_LOCAL_TIME_ZONE)
    rows = []
    for index in range(DEMO_CLIPS):
        camera, view = index % 3, (index // 3) % 2
        region = index % 25
        day = FIRST_DAY + timedelta(days=(index // 50) % 6)
        left, top = 400 + 180 * (region % 5) * 2, 300 + 180 * (region // 5) * 2
        start = datetime(day.year, day.month, day.day, 12, tzinfo=zone) + timedelta(minutes=index)
        start_epoch = int(start.astimezone(UTC).timestamp())
        name = (
            f"{camera}-{view}-{day:%Y-%m-%d}-{left}-{top}-{left + 360}-{top + 360}-180-180-"
            f"{1000 + index}-{start_epoch}-{start_epoch + 3}"
        )
        rows.append(DemoClip(index=index, file_name=name, smoke=_smoke(index % DISTINCT_CLIPS)))
    return rows


def _write_files(rows: list[DemoClip]) -> int:
    """Store every missing clip file; draws only the distinct clips that are needed. Returns files written."""
    missing = [
        (row, size, path)
        for row in rows
        for size in SIZES
        if not default_storage.exists(path := states.clip_storage_path(row.file_name, size))
    ]
    encoded: dict[int, dict[int, bytes]] = {}
    for row, size, path in missing:
        if row.distinct not in encoded:
            encoded[row.distinct] = clips.generate_clip(
                clips.ClipSpec(smoke=_smoke(row.distinct), seed=1000 + row.distinct), SIZES
            )
        default_storage.save(path, ContentFile(encoded[row.distinct][size]))
    return len(missing)


def _researcher():
    user = get_user_model().objects.filter(username=RESEARCHER_USERNAME).first()
    if user is None:
        user = account_services.log_in_labeler(client_id="demo.researcher").user
        account_services.set_client_type(user=user, client_type=0)
    return user


def _decide(rows: list[DemoClip], ids: dict[str, int], researcher) -> tuple[int, int]:
    """Gold standards and a few researcher decisions, true to what the clips show."""
    smoke = [ids[row.file_name] for row in rows if row.smoke]
    clear = [ids[row.file_name] for row in rows if not row.smoke]
    gold = [(video_id, int(states.LabelState.GOLD_POS)) for video_id in smoke[:GOLD_POS]]
    gold += [(video_id, int(states.LabelState.GOLD_NEG)) for video_id in clear[:GOLD_NEG]]
    half = RESEARCHER_DECIDED // 2
    decided = [(video_id, 1) for video_id in smoke[GOLD_POS : GOLD_POS + half]]
    decided += [(video_id, 0) for video_id in clear[GOLD_NEG : GOLD_NEG + half]]
    services.set_label_state(user=researcher, items=gold + decided)
    return len(gold), len(decided)


def _answers(videos: list[tuple[int, str]], truth: dict[int, bool], gold: set[int], *, careless: bool, rng):
    """What a demo labeler answers: the truth on gold clips (or the opposite when careless), and the
    truth with an occasional slip elsewhere, so some clips end in disagreement."""
    answers = []
    for video_id, _ in videos:
        label = int(truth[video_id])
        if careless or (video_id not in gold and rng.random() < 0.1):
            label = 1 - label
        answers.append((video_id, label))
    return answers


def _label_batches(truth: dict[int, bool], gold: set[int]) -> tuple[int, int]:
    """Demo labelers return batches; the last one answers everything wrong (a failed batch)."""
    rng = random.Random(2026)
    passed = failed = 0
    for number in range(1, DEMO_LABELERS + 1):
        user = account_services.log_in_labeler(client_id=f"demo.labeler.{number}").user
        for _ in range(BATCHES_PER_LABELER):
            issued = services.issue_batch(user=user)
            if issued is None:
                break
            result = services.return_batch(
                user=user,
                token_batch_id=issued.batch.pk,
                token_user_id=user.pk,
                token_video_ids=issued.batch.video_ids,
                answers=_answers(issued.videos, truth, gold, careless=number == DEMO_LABELERS, rng=rng),
            )
            if result.batch:
                passed += 1
            else:
                failed += 1
    return passed, failed


def load_demo_data(*, stdout) -> None:
    """Idempotent: see the module docstring."""
    from videos.models import Video

    rows = demo_clips()
    records = [{"file_name": row.file_name} for row in rows]
    result = services.import_videos(records=records, confirm=True)
    written = _write_files(rows)
    stdout.write(
        f"Demo clips: {len(result.added)} added, {len(result.skipped)} already present, {written} files written."
    )
    if not result.added:
        return
    ids = dict(Video.objects.filter(file_name__in=[r.file_name for r in rows]).values_list("file_name", "pk"))
    gold, decided = _decide(rows, ids, _researcher())
    gold_ids = set(
        Video.objects.filter(pk__in=ids.values(), label_state_admin__in=states.GOLD).values_list("pk", flat=True)
    )
    truth = {ids[row.file_name]: row.smoke for row in rows}
    passed, failed = _label_batches(truth, gold_ids)
    stdout.write(
        f"Demo labels: {gold} gold standards, {decided} researcher decisions, "
        f"{passed} passed and {failed} failed demo batches."
    )
