"""Datasets and items. Items are made directly (fast); `uploaded_dataset` goes through the real service."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Role
from datasets.models import DataItem, Dataset
from datasets.services import upload_dataset
from tests.accounts.factories import UserFactory


def row(i: int, area: str = "medicine", **extra) -> dict:
    """One upload row as the seed's front-end sends it."""
    return {
        "data_background": f"background {i}",
        "data_question": f"question {i}?",
        "data_answer": [
            {"answer": f"answer {i}a", "ranking_number": 1, "reserve": 1},
            {"answer": f"answer {i}b", "ranking_number": 2, "reserve": 0},
        ],
        "data_area": area,
        "data_keyword": f"kw{i}",
        "other": "",
        **extra,
    }


def uploaded_dataset(*, areas: dict[str, int] | None = None, by=None, name: str = "QA set", **kwargs) -> Dataset:
    """A dataset uploaded through `upload_dataset`: `areas` maps area -> item count, in upload order."""
    areas = areas or {"medicine": 4}
    rows, i = [], 0
    for area, count in areas.items():
        for _ in range(count):
            rows.append(row(i, area))
            i += 1
    by = by or UserFactory(role=Role.MANAGER)
    return upload_dataset(
        name=name,
        task_type=kwargs.get("task_type", "qa"),
        source=kwargs.get("source", "web"),
        rows=rows,
        uploaded_by=by,
    )


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    name = factory.Sequence(lambda n: f"dataset {n}")
    task_type = "qa"
    source = "web"
    uploaded_by = factory.SubFactory(UserFactory, role=Role.MANAGER)
    uploaded_at = factory.LazyFunction(timezone.now)


class DataItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataItem

    dataset = factory.SubFactory(DatasetFactory)
    position = factory.Sequence(lambda n: n)
    background = factory.Sequence(lambda n: f"background {n}")
    question = factory.Sequence(lambda n: f"question {n}?")
    answer = factory.LazyFunction(lambda: [{"answer": "an answer", "ranking_number": 1, "reserve": 1}])
    area = "medicine"
    keyword = "kw"
    other = ""
