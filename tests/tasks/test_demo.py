"""Demo Q&A data (tasks/demo.py): loaded by seed_demo on a fresh database, idempotent, and it gives the
workspace and the cockpit something to show (the urged task first for the demo expert)."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from accounts import services
from accounts.management.commands.seed_demo import DEMO_APPS, DEMO_USERS
from accounts.models import User
from datasets.models import DataItem, Dataset
from tasks.demo import DATASET, FOLLOW_UPS, load_demo_data
from tasks.models import ItemRevision, Task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load() -> str:
    """What seed_demo does for this app: its demo users, then tasks/demo.py."""
    for spec in DEMO_USERS[:2]:
        if not User.objects.filter(username=spec["username"]).exists():
            services.create_user(
                username=spec["username"],
                password=spec["password"],
                role=spec["role"],
                area=spec["area"],
                watcher=spec["watcher"],
                validate=False,
            )
    out = io.StringIO()
    load_demo_data(stdout=out)
    return out.getvalue()


def test_seed_demo_calls_it():
    assert "tasks" in DEMO_APPS


def test_the_demo_loads_once():
    assert "two tasks for expert" in load()
    counts = (Dataset.objects.count(), DataItem.objects.count(), Task.objects.count(), ItemRevision.objects.count())
    assert counts == (2, 11, 2, 3)
    assert set(Dataset.objects.values_list("name", flat=True)) == {DATASET, FOLLOW_UPS}
    assert "Q&A demo data already present." in load()
    assert (
        Dataset.objects.count(),
        DataItem.objects.count(),
        Task.objects.count(),
        ItemRevision.objects.count(),
    ) == counts


def test_the_demo_is_skipped_without_the_demo_users():
    out = io.StringIO()
    load_demo_data(stdout=out)
    assert "skipped" in out.getvalue()
    assert not Dataset.objects.exists()


def test_the_demo_expert_sees_the_urged_task_first_and_a_notice():
    load()
    client = Client()
    assert client.login(username="expert", password="expert-demo-2026")
    tasks = client.get("/task/list").json()["response"]
    assert len(tasks) == 2
    assert tasks[0]["is_highlight"] == 1 and tasks[0]["task_type"] == "qa-followup"
    ranking = next(t for t in tasks if t["task_type"] == "qa-ranking")
    assert ranking["finished_count"] == 2
    listing = client.get("/data/list", {"mission_id": ranking["task_id"]}).json()
    assert "best answer first" in listing["notice"]


def test_no_extra_user_and_areas_left_to_assign():
    load()
    assert User.objects.count() == 2  # the demo manager and expert made by load() above
    # law and finance stay unassigned, for the manager to try "Assign area to experts"
    unassigned = DataItem.objects.filter(dataset__name=DATASET, task__isnull=True)
    assert sorted(set(unassigned.values_list("area", flat=True))) == ["finance", "law"]
