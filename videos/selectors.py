"""Scoped reads of the videos app (videos.md §5.5-5.8, §6.3, §7.2): listings, batch candidates,
statistics, label history, similar clips. Shared by the API, the admin, the pages and the commands."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from labelplatform.errors import InvalidInput
from videos import states
from videos.models import Batch, Label, LabelerProfile, Tutorial, Video

S = states

# --- listings (§5.5) ---------------------------------------------------------------------------------

NOT_EXCLUDED = ~Q(label_state_admin__in=S.EXCLUDED)
FINAL_POSITIVE = NOT_EXCLUDED & (
    Q(label_state_admin__in=S.POS) | (~Q(label_state_admin__in=S.DECIDED) & Q(label_state__in=S.POS))
)
FINAL_NEGATIVE = NOT_EXCLUDED & (
    Q(label_state_admin__in=S.NEG) | (~Q(label_state_admin__in=S.DECIDED) & Q(label_state__in=S.NEG))
)


@dataclass(frozen=True)
class Listing:
    """One listing endpoint: its filter and whether it is a dashboard listing (types 0 and 1 only)."""

    name: str
    filter: Q
    dashboard: bool


LISTINGS: dict[str, Listing] = {
    listing.name: listing
    for listing in [
        # FINAL_POSITIVE / FINAL_NEGATIVE as stored by the database (an indexed generated column)
        Listing("get_pos_labels", Q(final_label_code=1), False),
        Listing("get_neg_labels", Q(final_label_code=0), False),
        Listing("get_maybe_pos_labels", Q(label_state__in=S.MAYBE_POS) & NOT_EXCLUDED, False),
        Listing("get_maybe_neg_labels", Q(label_state__in=S.MAYBE_NEG) & NOT_EXCLUDED, False),
        Listing("get_discorded_labels", Q(label_state__in=S.DISCORD) & NOT_EXCLUDED, False),
        Listing("get_pos_gold_labels", Q(label_state_admin__in=S.GOLD_POS), True),
        Listing("get_neg_gold_labels", Q(label_state_admin__in=S.GOLD_NEG), True),
        Listing("get_pos_labels_by_researcher", Q(researcher_decision=1), True),  # A ∈ POS
        Listing("get_neg_labels_by_researcher", Q(researcher_decision=0), True),  # A ∈ NEG
        Listing("get_pos_labels_by_citizen", Q(citizen_decision=1), True),  # C ∈ POS and A ∉ EXCLUDED
        Listing("get_neg_labels_by_citizen", Q(citizen_decision=0), True),  # C ∈ NEG and A ∉ EXCLUDED
        Listing("get_bad_labels", Q(label_state_admin__in=S.BAD), True),
    ]
}

LISTING_FIELDS = ("id", "file_name", "start_time", "camera_id", "view_id", "label_state", "label_state_admin")


def listing_order() -> list:
    """`label_update_time` descending, never-labeled clips last on every database, ties by id descending.

    MySQL/MariaDB and SQLite already sort NULL last in a descending order (and can then walk an index);
    databases whose NULLs sort largest get an explicit NULLS LAST.
    """
    time_desc = F("label_update_time").desc(nulls_last=True if connection.features.nulls_order_largest else None)
    return [time_desc, F("id").desc()]


def listing_videos(name: str) -> QuerySet[Video]:
    """The clips of listing `name` (a key of LISTINGS), in listing order."""
    return Video.objects.filter(LISTINGS[name].filter).order_by(*listing_order()).only(*LISTING_FIELDS)


def positive_videos_of_user(*, user_id: int, caller_is_researcher: bool) -> QuerySet[Video]:
    """User-id mode of get_pos_labels (§5.6): clips with a "yes" Label by `user_id` (a researcher caller
    also counts that user's positive codes); only positive gold is left out."""
    labels = S.USER_POS_LABELS_RESEARCHER if caller_is_researcher else S.USER_POS_LABELS_CITIZEN
    said_yes = Label.objects.filter(user_id=user_id, video=OuterRef("pk"), label__in=labels)
    return (
        Video.objects.filter(Exists(said_yes))
        .exclude(label_state_admin__in=S.GOLD_POS)
        .order_by(*listing_order())
        .only(*LISTING_FIELDS)
    )


def all_videos() -> QuerySet[Video]:
    """Every clip (gold, bad and unlabeled included) by id, for get_all_labels and export_video_labels."""
    return Video.objects.order_by("id").only(*LISTING_FIELDS)


def all_video_rows(*, after_id: int, limit: int) -> list[dict]:
    """One keyset page of every clip (id > after_id) as value dicts (LISTING_FIELDS)."""
    return list(all_videos().filter(pk__gt=after_id).values(*LISTING_FIELDS)[:limit])


def all_video_chunks(*, chunk_size: int = 2000) -> Iterator[list[dict]]:
    """Every clip by id in keyset chunks: a large table is streamed, never held in memory (MySQL's
    client would buffer a whole result set, so one query per chunk rather than one cursor)."""
    last = 0
    while True:
        rows = all_video_rows(after_id=last, limit=chunk_size)
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def label_statistics() -> dict[str, int]:
    """§5.8: all three counts leave out gold and bad clips (deliberate difference 6)."""
    counts = Video.objects.filter(NOT_EXCLUDED).aggregate(
        num_all_videos=Count("id"),
        num_fully_labeled=Count("id", filter=Q(label_state_admin__in=S.DECIDED) | Q(label_state__in=S.DECIDED)),
        num_partially_labeled=Count("id", filter=Q(label_state__in=S.PARTIAL)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


# --- batch composition (§6.3) -------------------------------------------------------------------------

OVERSAMPLE = 3


def _random_ids(queryset: QuerySet[Video], count: int) -> list[tuple[int, str]]:
    """`count` random (id, file_name) rows of `queryset` without ORDER BY RAND(): read a short run of the
    indexed `rand_key` from a random point (wrapping round), then sample from that run."""
    if count <= 0:
        return []
    want = count * OVERSAMPLE
    start = random.random()
    rows = list(queryset.filter(rand_key__gte=start).order_by("rand_key").values_list("id", "file_name")[:want])
    if len(rows) < want:
        rows += list(
            queryset.filter(rand_key__lt=start).order_by("rand_key").values_list("id", "file_name")[: want - len(rows)]
        )
    return random.sample(rows, min(count, len(rows)))


def _not_labeled_by(user_id: int) -> Q:
    return ~Q(Exists(Label.objects.filter(user_id=user_id, video=OuterRef("pk"))))


def pick_batch_videos(*, user_id: int, researcher: bool) -> list[tuple[int, str]] | None:
    """The (id, file_name) rows of a new batch in the order to return them, or None when no full batch
    can be made (§6.3). Reads only index ranges of `citizen_pool` / `researcher_pool` + `rand_key`."""
    if researcher:
        pool = Video.objects.filter(researcher_pool=1).filter(_not_labeled_by(user_id))
        rows = _random_ids(pool, S.BATCH_SIZE)
    else:
        positives = random.randint(1, S.GOLD_PER_BATCH - 1)
        gold = _random_ids(Video.objects.filter(citizen_pool=S.CitizenPool.GOLD_POS), positives)
        gold += _random_ids(Video.objects.filter(citizen_pool=S.CitizenPool.GOLD_NEG), S.GOLD_PER_BATCH - positives)
        if len(gold) < S.GOLD_PER_BATCH:
            return None
        unseen = _not_labeled_by(user_id)
        partial_slots = int(S.NON_GOLD_PER_BATCH * S.PARTIAL_LABEL_RATIO)
        partial = _random_ids(Video.objects.filter(citizen_pool=S.CitizenPool.PARTIAL).filter(unseen), partial_slots)
        fresh = _random_ids(
            Video.objects.filter(citizen_pool=S.CitizenPool.FRESH).filter(unseen), S.NON_GOLD_PER_BATCH - len(partial)
        )
        rows = gold + partial + fresh
    if len(rows) < S.BATCH_SIZE:
        return None
    random.shuffle(rows)
    return rows


# --- admin, pages, commands ------------------------------------------------------------------------------


def label_history(video: Video) -> QuerySet[Label]:
    """Every Label row of a clip, oldest first, with who gave it and in which batch."""
    return Label.objects.filter(video=video).select_related("user", "batch").order_by("time", "id")


def labels_of_user(user) -> QuerySet[Label]:
    return Label.objects.filter(user=user).select_related("video", "batch").order_by("-time", "-id")


def batches_of_user(user) -> QuerySet[Batch]:
    return Batch.objects.filter(user=user).order_by("-request_time", "-id")


def tutorials_of_user(user) -> QuerySet[Tutorial]:
    return Tutorial.objects.filter(user=user).order_by("-time", "-id")


def profile_of(user) -> LabelerProfile:
    """The labeler's scores (unsaved defaults when the user never labeled)."""
    return LabelerProfile.objects.filter(user=user).first() or LabelerProfile(user=user)


@dataclass(frozen=True)
class LabelerSummary:
    score: int
    raw_score: int
    best_tutorial_action: int
    batches_issued: int
    batches_returned: int
    batches_passed: int
    labels: int


def labeler_summary(user) -> LabelerSummary:
    """Scores and activity counts for the user page and the admin."""
    profile = profile_of(user)
    batches = Batch.objects.filter(user=user).aggregate(
        issued=Count("id"),
        returned=Count("id", filter=Q(return_time__isnull=False)),
        passed=Count("id", filter=Q(score__gt=0)),
    )
    return LabelerSummary(
        score=profile.score,
        raw_score=profile.raw_score,
        best_tutorial_action=profile.best_tutorial_action,
        batches_issued=batches["issued"],
        batches_returned=batches["returned"],
        batches_passed=batches["passed"],
        labels=Label.objects.filter(user=user).count(),
    )


@dataclass(frozen=True)
class Region:
    """A panorama region on one day (§7.2): what `mark_bad_videos` matches."""

    day: datetime  # midnight of D in VIDEO_LOCAL_TIME_ZONE
    left: int
    top: int
    width: int
    height: int


def similar_videos(region: Region) -> QuerySet[Video]:
    """Clips cut from the same region on the same day: same crop corner and size, start and end strictly
    between D − 1 day and D + 2 days, and the file name's date fields equal D."""
    low = region.day - timedelta(days=1)
    high = region.day + timedelta(days=2)
    day = region.day
    date_part = f"-0*{day.year}-0*{day.month}-0*{day.day}-"
    return (
        Video.objects.filter(left=region.left, top=region.top, width=region.width, height=region.height)
        .filter(start_time__gt=low, start_time__lt=high, end_time__gt=low, end_time__lt=high)
        .filter(file_name__regex=r"^[0-9]+-[0-9]+" + date_part)
        .order_by("id")
    )


def region_of_reference(reference: str, *, time_zone: str | None = None) -> Region:
    """The panorama region a `mark_bad_videos` reference names (§7.2): a thumbnail URL (`root` with a
    `<YYYY-MM-DD>.timemachine` segment, `boundsLTRB`, `width`/`height`), a clip URL or a bare file name."""
    zone = ZoneInfo(time_zone or settings.VIDEO_LOCAL_TIME_ZONE)
    text = (reference or "").strip()
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    if "boundsLTRB" in query or "root" in query:
        root = unquote(query.get("root", [""])[0])
        day_text = next((seg[: -len(".timemachine")] for seg in root.split("/") if seg.endswith(".timemachine")), None)
        bounds = query.get("boundsLTRB", [""])[0].split(",")
        if not day_text or len(bounds) != 4:
            raise InvalidInput(
                "the thumbnail URL needs a <YYYY-MM-DD>.timemachine root and boundsLTRB=L,T,R,B", field="reference"
            )
        try:
            day = datetime.strptime(day_text, "%Y-%m-%d")
            left, top = int(bounds[0]), int(bounds[1])
            width = int(query.get("width", ["180"])[0])
            height = int(query.get("height", ["180"])[0])
        except ValueError as exc:
            raise InvalidInput(f"bad thumbnail URL: {exc}", field="reference") from exc
    else:
        name = os.path.basename(parts.path or text)
        name = name[: -len(".mp4")] if name.endswith(".mp4") else name
        try:
            f = states.parse_file_name(name)
            day = datetime(f[2], f[3], f[4])
        except (states.InvalidFileName, ValueError) as exc:
            raise InvalidInput(f"the reference has no date and bounds: {exc}", field="reference") from exc
        left, top, width, height = f[5], f[6], f[9], f[10]
    return Region(day=day.replace(tzinfo=zone), left=left, top=top, width=width, height=height)


def similar_to_video(video: Video) -> QuerySet[Video]:
    """Clips of the same region and day as `video` (the admin's "Mark similar clips as bad")."""
    return similar_videos(region_of_reference(video.file_name))


def video_by_id(video_id: int) -> Video | None:
    return Video.objects.filter(pk=video_id).first()


def url_root(request=None) -> str:
    """`url_root` of clip URLs (§6.5): VIDEO_URL_ROOT, else MEDIA_URL + "videos/180/", made absolute from
    the request's scheme and host when MEDIA_URL is relative."""
    if settings.VIDEO_URL_ROOT:
        return settings.VIDEO_URL_ROOT
    root = f"{settings.MEDIA_URL.rstrip('/')}/videos/180/"
    if request is not None and not urlsplit(root).scheme:
        return request.build_absolute_uri(root)
    return root
