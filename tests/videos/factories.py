"""Factories for the videos app (used by videos-core's and videos-pages' tests)."""

from __future__ import annotations

import factory

from tests.accounts.factories import LabelerFactory  # noqa: F401  (re-exported: labelers come from login)
from videos.models import Batch, Label, Video

BASE_EPOCH = 1547732890  # 2019-01-17 13:48:10 UTC


def clip_name(
    n: int,
    *,
    camera: int = 0,
    view: int = 1,
    date: str = "2019-01-17",
    left: int | None = None,
    top: int = 928,
    size: int = 180,
) -> str:
    """A valid 14-field file name; `n` makes it unique (start frame and epoch)."""
    left = 6007 + (n % 1000) if left is None else left
    start = BASE_EPOCH + n * 10
    return f"{camera}-{view}-{date}-{left}-{top}-{left + 502}-{top + 502}-{size}-{size}-{n}-{start}-{start + 175}"


class VideoFactory(factory.django.DjangoModelFactory):
    """A clip; pass `label_state` / `label_state_admin` for a given state (gold: label_state_admin=47/32)."""

    class Meta:
        model = Video

    file_name = factory.Sequence(clip_name)
    start_time = factory.LazyAttribute(lambda o: _epoch_field(o.file_name, 12))
    end_time = factory.LazyAttribute(lambda o: _epoch_field(o.file_name, 13))
    width = 180
    height = 180
    scale = factory.LazyAttribute(lambda o: 502 / 180)
    left = factory.LazyAttribute(lambda o: int(o.file_name.split("-")[5]))
    top = factory.LazyAttribute(lambda o: int(o.file_name.split("-")[6]))
    camera_id = factory.LazyAttribute(lambda o: int(o.file_name.split("-")[0]))
    view_id = factory.LazyAttribute(lambda o: int(o.file_name.split("-")[1]))


def _epoch_field(file_name: str, index: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(file_name.split("-")[index]), tz=UTC)


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    video = factory.SubFactory(VideoFactory)
    user = factory.SubFactory(LabelerFactory)
    label = 1


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    user = factory.SubFactory(LabelerFactory)
    client_type = 3
    video_ids = factory.LazyFunction(list)
    num_unlabeled = 12
    num_gold_standard = 4


def gold_videos(positive: int = 3, negative: int = 3) -> list[Video]:
    """`positive` Gold Pos and `negative` Gold Neg clips."""
    return VideoFactory.create_batch(positive, label_state_admin=47) + VideoFactory.create_batch(
        negative, label_state_admin=32
    )
