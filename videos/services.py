"""Writes of the videos app (videos.md §5-7), one transaction each, shared by the API, the admin, the
pages and the commands.

Locking (CONVENTIONS.md, Layers 7): a write that moves label states locks the clips' rows with
`select_for_update` in id order, then the labeler's profile, then claims the batch with a conditional
update, so simultaneous labels on one clip are applied one after the other (no vote is lost) and a batch
returned twice at the same time is applied once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Case, F, IntegerField, Subquery, Value, When
from django.utils import timezone

from accounts.models import ClientType, Connection
from labelplatform.errors import Conflict, DomainError, InvalidInput, NotAllowed
from videos import selectors, states, tokens
from videos.models import Batch, Label, LabelerProfile, Tutorial, Video, View

Progress = Callable[[int], None]


class BatchNotValid(DomainError):
    """The returned ids or user do not match the video token, or the batch is not the user's (401)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(tokens.BATCH_NOT_VALID, code="batch_not_valid")


PERMISSION_DENIED = "Permission denied"
ALREADY_RETURNED = "This batch was already returned"


def ensure_profile(user) -> LabelerProfile:
    """The labeler's scores, created with the defaults the first time they are needed (§2.1)."""
    profile, _ = LabelerProfile.objects.get_or_create(user=user)
    return profile


def connect_labeler(*, user) -> Connection:
    """A Connection for a user signed in on the web pages (as seed 000's login records one), so the
    labeling page can give the session user a `user_token` (videos.tokens.labeler_user_tokens).
    Blacklisted or inactive users are refused (NotAllowed "Permission denied")."""
    if not user.may_act:
        raise NotAllowed(PERMISSION_DENIED)
    with transaction.atomic():
        ensure_profile(user)
        return Connection.objects.create(user=user, client_type=user.client_type, time=timezone.now())


def _connection_of(user, connection_id: object):
    """A subquery naming the user's Connection `connection_id` (null when -1, absent or not theirs), so
    a stale or foreign id never breaks the write and costs no extra query."""
    if not isinstance(connection_id, int) or isinstance(connection_id, bool) or connection_id < 0:
        return None
    return Subquery(Connection.objects.filter(pk=connection_id, user=user).values("pk")[:1])


# --- batches (§5.2, §5.3, §6.3, §6.4) ------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedBatch:
    batch: Batch
    videos: list[tuple[int, str]]  # (id, file_name) in the order returned
    video_token: str


def issue_batch(*, user) -> IssuedBatch | None:
    """Compose and record a batch for the user's current client type; None when no full batch exists
    (nothing is written then). Researchers get 16 undecided clips, citizens 4 gold + 12 (§6.3)."""
    if user.client_type == ClientType.BLACKLISTED or not user.is_active:
        raise NotAllowed(PERMISSION_DENIED)
    researcher = user.client_type == ClientType.RESEARCHER
    rows = selectors.pick_batch_videos(user_id=user.pk, researcher=researcher)
    if rows is None:
        return None
    video_ids = [video_id for video_id, _ in rows]
    batch = Batch.objects.create(
        user=user,
        client_type=ClientType.RESEARCHER if researcher else user.client_type,
        video_ids=video_ids,
        request_time=timezone.now(),
        num_unlabeled=states.BATCH_SIZE if researcher else states.NON_GOLD_PER_BATCH,
        num_gold_standard=0 if researcher else states.GOLD_PER_BATCH,
    )
    token = tokens.issue_video_token(batch_id=batch.pk, user_id=user.pk, video_ids=video_ids)
    return IssuedBatch(batch=batch, videos=rows, video_token=token)


@dataclass(frozen=True)
class BatchScore:
    """`send_batch`'s answer: batch score and the user's new score / raw score; all None for researchers."""

    batch: int | None
    user: int | None
    raw: int | None


def _same_ids(a: Iterable[int], b: Iterable[int]) -> bool:
    return Counter(a) == Counter(b)


def return_batch(
    *,
    user,
    token_batch_id: int,
    token_user_id: int,
    token_video_ids: list[int],
    answers: list[tuple[int, int]],
    connection_id: int | None = None,
) -> BatchScore:
    """Apply a returned batch once (§5.3 steps 6-10, §6.4).

    `answers` are (video_id, label) pairs in the order sent. Raises BatchNotValid (401), NotAllowed (403,
    a researcher batch returned by a non-researcher), InvalidInput (400, a label other than 0/1) or
    Conflict (409, already returned). Citizen batches are scored by the quality check; a failed batch
    only moves the scores; researcher batches write the researcher state of every clip.
    """
    returned_ids = [video_id for video_id, _ in answers]
    if token_user_id != user.pk or not _same_ids(returned_ids, token_video_ids):
        raise BatchNotValid()
    batch = Batch.objects.filter(pk=token_batch_id, user=user).first()
    if batch is None or not _same_ids(batch.video_ids, token_video_ids):
        raise BatchNotValid()
    researcher_batch = batch.client_type == ClientType.RESEARCHER
    if researcher_batch and user.client_type != ClientType.RESEARCHER:
        raise NotAllowed(PERMISSION_DENIED)
    for index, (_, label) in enumerate(answers):
        if not states.is_answer(label):
            raise InvalidInput("label must be 0 or 1", field=f"data[{index}].label")
    if batch.return_time is not None:
        raise Conflict(ALREADY_RETURNED)
    with transaction.atomic():
        return _apply_batch(user=user, batch=batch, answers=answers, connection_id=connection_id)


def _lock_videos(video_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Lock the clips in id order (no deadlock between overlapping writes); id → (C, A)."""
    rows = (
        Video.objects.select_for_update()
        .filter(pk__in=set(video_ids))
        .order_by("pk")
        .values_list("pk", "label_state", "label_state_admin")
    )
    return {pk: (c, a) for pk, c, a in rows}


def _apply_batch(*, user, batch: Batch, answers: list[tuple[int, int]], connection_id) -> BatchScore:
    now = timezone.now()
    current = _lock_videos(video_id for video_id, _ in answers)
    if len(current) != len({video_id for video_id, _ in answers}):
        raise BatchNotValid()  # a clip of the batch was deleted since it was issued
    researcher_batch = batch.client_type == ClientType.RESEARCHER
    claim = {"return_time": now, "connection_id": _connection_of(user, connection_id)}
    if researcher_batch:
        score = None
        result = BatchScore(batch=None, user=None, raw=None)
    else:
        profile, _ = LabelerProfile.objects.select_for_update().get_or_create(user=user)
        score = states.batch_score((current[video_id][1], label) for video_id, label in answers)
        claim.update(score=score, user_score=profile.score, user_raw_score=profile.raw_score)
        result = BatchScore(batch=score, user=profile.score + score, raw=profile.raw_score + batch.num_unlabeled)
    if not Batch.objects.filter(pk=batch.pk, return_time__isnull=True).update(**claim):
        raise Conflict(ALREADY_RETURNED)
    if not researcher_batch:
        LabelerProfile.objects.filter(pk=user.pk).update(
            score=F("score") + score, raw_score=F("raw_score") + batch.num_unlabeled
        )
        if score == 0:
            return result  # discarded as unreliable: no Label rows, no state change
    _write_labels(user=user, batch=batch, answers=answers, current=current, now=now, researcher=researcher_batch)
    return result


def _write_labels(*, user, batch, answers, current, now, researcher: bool) -> None:
    """Label rows plus one UPDATE moving every clip's state (researcher → A, citizen → C)."""
    Label.objects.bulk_create(
        [Label(video_id=video_id, user=user, batch=batch, label=label, time=now) for video_id, label in answers]
    )
    new_states: dict[int, int] = {}
    for video_id, label in answers:
        citizen, admin = current[video_id]
        if researcher:
            new_states[video_id] = states.researcher_transition(label)
        else:
            new_states[video_id] = states.citizen_transition(new_states.get(video_id, citizen), label)
    column = "label_state_admin" if researcher else "label_state"
    _update_states(column, new_states, now)


def _update_states(column: str, new_states: dict[int, int], now: datetime) -> None:
    if not new_states:
        return
    case = Case(
        *[When(pk=video_id, then=Value(state)) for video_id, state in new_states.items()],
        default=F(column),
        output_field=IntegerField(),
    )
    Video.objects.filter(pk__in=list(new_states)).update(**{column: case, "label_update_time": now})


# --- researcher decisions (§5.4, §7.5) --------------------------------------------------------------------


def check_label_items(items: list[tuple[int, int]], existing: Container[int]) -> None:
    """§5.4 step 3: every `video_id` an existing clip and every `label` a researcher code, item by item;
    the first bad item raises InvalidInput naming it (`data[i].video_id` / `data[i].label`)."""
    for index, (video_id, label) in enumerate(items):
        if video_id not in existing:
            raise InvalidInput("no such clip", field=f"data[{index}].video_id")
        if not states.is_researcher_label(label):
            raise InvalidInput("not a researcher label code", field=f"data[{index}].label")


def set_label_state(*, user, items: list[tuple[int, int]]) -> int:
    """Overwrite the researcher state of each (video_id, label) item and record a Label row per item
    (batch null) by `user`; the citizen state is never touched. All or nothing; returns the item count.

    The API allows only client type 0 (checked by the view); the admin lets managers and researchers.
    """
    if not items:
        return 0
    now = timezone.now()
    with transaction.atomic():
        check_label_items(items, existing=_lock_videos(video_id for video_id, _ in items))
        Label.objects.bulk_create(
            [Label(video_id=video_id, user=user, batch=None, label=label, time=now) for video_id, label in items]
        )
        _update_states(
            "label_state_admin", {video_id: states.researcher_transition(label) for video_id, label in items}, now
        )
    return len(items)


def set_researcher_state(*, user, video_ids: Iterable[int], state: int) -> int:
    """Admin action "Set researcher state: ..." for many clips (through set_label_state)."""
    return set_label_state(user=user, items=[(video_id, state) for video_id in sorted(set(video_ids))])


# --- bad clips (§7.2) --------------------------------------------------------------------------------------


def mark_videos_bad(*, video_ids: Iterable[int], by=None) -> int:
    """Both states -2 on the given clips (the `mark_bad_videos` effect). The command passes no `by` and
    writes no Label rows (§7.2); an admin action passes the acting user, recorded as a Label row (-2,
    batch null) per clip so the clip's history shows it. Returns the count."""
    ids = sorted(set(video_ids))
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        found = list(_lock_videos(ids))
        changes = {"label_state": states.LabelState.BAD, "label_state_admin": states.LabelState.BAD}
        if by is not None:
            Label.objects.bulk_create(
                [
                    Label(video_id=video_id, user=by, batch=None, label=states.LabelState.BAD, time=now)
                    for video_id in found
                ]
            )
            changes["label_update_time"] = now
        return Video.objects.filter(pk__in=found).update(**changes)


def mark_similar_bad(*, reference: str, confirm: bool = False, by=None) -> list[Video]:
    """Every clip of the reference's region and day (selectors.similar_videos); marked bad only when
    `confirm` (one transaction; `by` as in mark_videos_bad). Returns the matches either way."""
    matches = list(selectors.similar_videos(selectors.region_of_reference(reference)))
    if confirm:
        mark_videos_bad(video_ids=[video.pk for video in matches], by=by)
    return matches


# --- import (§7.3) -------------------------------------------------------------------------------------------

IMPORT_INT_FIELDS = ("width", "height", "left", "top", "camera_id", "view_id")


class ImportRecordError(InvalidInput):
    """A bad import record: `index` (0-based) and `field` name it."""

    def __init__(self, index: int, field_name: str, message: str) -> None:
        super().__init__(f"record {index}, field {field_name}: {message}", field=field_name, code="import_record")
        self.index = index


def _int_value(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _epoch(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _source_url(record: dict) -> str | None:
    value = record.get("source_url")
    if value is None:
        alias = record.get("url_part")
        # the original stored the thumbnail query in `url_part`; released metadata use it for the clip path
        if isinstance(alias, str) and ("?" in alias or "boundsLTRB=" in alias):
            value = alias
    return value


def video_from_record(index: int, record: object, *, with_labels: bool = False) -> Video:
    """An unsaved Video from one import record; ImportRecordError names the index and field (§7.3)."""
    if not isinstance(record, dict):
        raise ImportRecordError(index, "record", "must be a JSON object")
    file_name = record.get("file_name")
    if file_name is None:
        raise ImportRecordError(index, "file_name", "missing")
    if not isinstance(file_name, str) or len(file_name) > 255:
        raise ImportRecordError(index, "file_name", "must be a string of at most 255 characters")
    try:
        f = states.parse_file_name(file_name)
    except states.InvalidFileName as exc:
        raise ImportRecordError(index, "file_name", str(exc)) from exc
    derived = {"camera_id": f[0], "view_id": f[1], "left": f[5], "top": f[6], "width": f[9], "height": f[10]}
    values: dict = {"file_name": file_name}
    for name in IMPORT_INT_FIELDS:
        raw = record.get(name)
        if raw is None:
            values[name] = derived[name]
            continue
        number = _int_value(raw)
        if number is None or (name in ("width", "height") and number <= 0):
            raise ImportRecordError(index, name, "must be an integer" + (" > 0" if name in ("width", "height") else ""))
        values[name] = number
    scale = record.get("scale")
    if scale is None:
        values["scale"] = (f[7] - f[5]) / f[9]
    elif isinstance(scale, bool) or not isinstance(scale, int | float):
        raise ImportRecordError(index, "scale", "must be a number")
    else:
        values["scale"] = float(scale)
    for name, default in (("start_time", f[12]), ("end_time", f[13])):
        raw = record.get(name)
        moment = _epoch(default if raw is None else raw)
        if moment is None:
            raise ImportRecordError(index, name, "must be epoch seconds")
        values[name] = moment
    source_url = _source_url(record)
    if source_url is not None and (not isinstance(source_url, str) or not source_url or len(source_url) > 768):
        raise ImportRecordError(index, "source_url", "must be a non-empty string of at most 768 characters")
    values["source_url"] = source_url
    if with_labels:
        for name in ("label_state", "label_state_admin"):
            raw = record.get(name)
            if raw is None:
                continue
            code = _int_value(raw)
            if code is None or code not in states.ALL_STATES:
                raise ImportRecordError(index, name, f"must be one of {sorted(states.ALL_STATES)}")
            values[name] = code
    return Video(**values)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    written: bool = False


def import_videos(
    *,
    records: Iterable[object],
    with_labels: bool = False,
    confirm: bool = False,
    chunk_size: int = 1000,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate every record first (any bad one → ImportRecordError, nothing written), skip clips whose
    file_name or source_url exists (in the database or earlier in the input), and with `confirm` insert
    the rest in one bulk transaction. `progress(n)` is called as records are checked."""
    candidates: list[Video] = []
    for index, record in enumerate(records):
        candidates.append(video_from_record(index, record, with_labels=with_labels))
        if progress:
            progress(1)
    result = ImportResult()
    seen_names: set[str] = set()
    seen_urls: set[str] = set()
    fresh: list[Video] = []
    for start in range(0, len(candidates), chunk_size):
        chunk = candidates[start : start + chunk_size]
        names = set(
            Video.objects.filter(file_name__in=[v.file_name for v in chunk]).values_list("file_name", flat=True)
        )
        urls = {v.source_url for v in chunk if v.source_url}
        known_urls = (
            set(Video.objects.filter(source_url__in=urls).values_list("source_url", flat=True)) if urls else set()
        )
        for video in chunk:
            duplicate = (
                video.file_name in names
                or video.file_name in seen_names
                or (video.source_url and (video.source_url in known_urls or video.source_url in seen_urls))
            )
            if duplicate:
                result.skipped.append(video.file_name)
                continue
            seen_names.add(video.file_name)
            if video.source_url:
                seen_urls.add(video.source_url)
            fresh.append(video)
    result.added = [video.file_name for video in fresh]
    if confirm and fresh:
        with transaction.atomic():
            Video.objects.bulk_create(fresh, batch_size=chunk_size)
        result.written = True
    return result


def read_import_file(path: str) -> list[object]:
    """Records of a JSON array or JSON Lines file; a malformed line raises InvalidInput naming it."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} is not valid JSON: {exc}", field="file") from exc
        return data
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path} line {number} is not valid JSON: {exc}", field="file") from exc
    return records


def scan_stored_clips(*, root: str = "videos/180") -> Iterator[dict]:
    """`{"file_name": ...}` for every `<file_name>.mp4` under storage `videos/180/` (import_videos --scan)."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            dirs, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        stack.extend(f"{folder}/{name}" for name in sorted(dirs, reverse=True))
        for name in sorted(files):
            if name.endswith(".mp4"):
                yield {"file_name": name[: -len(".mp4")]}


# --- gallery views and tutorial (§5.5, §5.9) ------------------------------------------------------------------


def record_views(*, user, connection_id: object, video_ids: list[int], query_type: int) -> int:
    """One View per clip shown, for a connected non-researcher caller (§5.5); 0 when nothing to record."""
    if not video_ids or not isinstance(connection_id, int) or isinstance(connection_id, bool) or connection_id < 0:
        return 0
    if user is None or user.client_type == ClientType.RESEARCHER:
        return 0
    if not Connection.objects.filter(pk=connection_id, user=user).exists():
        return 0
    now = timezone.now()
    View.objects.bulk_create(
        [
            View(connection_id=connection_id, video_id=video_id, query_type=query_type, time=now)
            for video_id in video_ids
        ]
    )
    return len(video_ids)


def add_tutorial_record(*, user, connection_id: object, action_type: int, query_type: int) -> Tutorial:
    """Insert a Tutorial row and raise the labeler's best tutorial action when this one is higher."""
    if isinstance(action_type, bool) or action_type not in range(5):
        raise InvalidInput("action_type must be 0-4", field="action_type")
    if isinstance(query_type, bool) or query_type not in range(3):
        raise InvalidInput("query_type must be 0-2", field="query_type")
    with transaction.atomic():
        ensure_profile(user)
        tutorial = Tutorial(user=user, action_type=action_type, query_type=query_type, time=timezone.now())
        connection = _connection_of(user, connection_id)
        if connection is not None:
            tutorial.connection_id = (
                Connection.objects.filter(pk=connection_id, user=user).values_list("pk", flat=True).first()
            )
        tutorial.save()
        LabelerProfile.objects.filter(pk=user.pk, best_tutorial_action__lt=action_type).update(
            best_tutorial_action=action_type
        )
    return tutorial


# --- scores (admin) ----------------------------------------------------------------------------------------


def set_labeler_scores(*, user, score: int | None = None, raw_score: int | None = None) -> LabelerProfile:
    """Correct a labeler's score and/or raw score (admin); both stay ≥ 0."""
    changes = {}
    for name, value in (("score", score), ("raw_score", raw_score)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"{name} must be an integer ≥ 0", field=name)
        changes[name] = value
    with transaction.atomic():
        profile, _ = LabelerProfile.objects.select_for_update().get_or_create(user=user)
        for name, value in changes.items():
            setattr(profile, name, value)
        if changes:
            profile.save(update_fields=list(changes))
    return profile
