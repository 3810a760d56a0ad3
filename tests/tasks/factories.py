"""Tasks, made directly or through the real assignment service."""

from __future__ import annotations

from datetime import datetime, timedelta

import factory
from django.utils import timezone

from accounts.models import Role
from tasks import services
from tasks.models import Task
from tests.accounts.factories import UserFactory
from tests.datasets.factories import DatasetFactory


def later(days: float = 7) -> datetime:
    return timezone.now() + timedelta(days=days)


def assigned(dataset, *, area: str = "medicine", experts=None, by=None, due_time=None, notice: str = "") -> list[Task]:
    """Assign `area` of `dataset` through `tasks.services.assign_area`."""
    experts = experts or [UserFactory(role=Role.EXPERT)]
    by = by or dataset.uploaded_by or UserFactory(role=Role.MANAGER)
    return services.assign_area(
        dataset=dataset, area=area, experts=experts, notice=notice, due_time=due_time or later(), by=by
    )


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    dataset = factory.SubFactory(DatasetFactory)
    area = "medicine"
    expert = factory.SubFactory(UserFactory, role=Role.EXPERT)
    notice = ""
    due_time = factory.LazyFunction(later)
    assigned_by = factory.SubFactory(UserFactory, role=Role.MANAGER)
    assigned_at = factory.LazyFunction(timezone.now)
