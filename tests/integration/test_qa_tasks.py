"""Seed 002 on real MariaDB + Redis with real processes (qa-tasks.md §4, §7; CONVENTIONS.md Layers 7):
concurrent assignments never give an item twice, concurrent urges all count, a hand-over racing the
expert's saves loses nothing, an urge made through one ASGI server reaches the expert's socket on the
other, the overdue job runs in a real Celery worker, and large uploads/assignments/downloads work."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from websockets.sync.client import connect

from accounts import services as account_services
from accounts.models import Role
from accounts.tokens import issue_user_token
from datasets.models import DataItem, Dataset
from datasets.services import upload_dataset
from labelplatform.errors import Conflict, DoesNotExist
from tasks import services
from tasks.models import Task
from tests.datasets.factories import row
from tests.integration.races import run_together

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-qa-integration-2026"


def _user(username: str, role: str, **kwargs):
    return account_services.create_user(username=username, password=PASSWORD, role=role, validate=False, **kwargs)


def _dataset(boss, n: int, area: str = "medicine") -> Dataset:
    return upload_dataset(
        name="race", task_type="qa", source="s", rows=[row(i, area) for i in range(n)], uploaded_by=boss
    )


def test_concurrent_assignments_never_give_an_item_twice(evidence):
    boss = _user("boss", Role.MANAGER)
    experts = [_user(f"doc{i}", Role.EXPERT, area="medicine") for i in range(4)]
    dataset = _dataset(boss, 200)
    due = timezone.now() + timedelta(days=3)

    def assign(i):
        return services.assign_area(dataset=dataset, area="medicine", experts=[experts[i]], due_time=due, by=boss)

    results, errors = run_together(4, assign)
    assert len(results) == 1, errors
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors)
    assert Task.objects.count() == 1
    assert DataItem.objects.filter(dataset=dataset, task=results[0][0]).count() == 200
    evidence("4 simultaneous assignments of one area on MariaDB: 1 task with all 200 items, 3 answered 409")


def test_concurrent_urges_all_count():
    boss = _user("boss", Role.MANAGER)
    doc = _user("doc", Role.EXPERT, area="medicine")
    dataset = _dataset(boss, 3)
    [task] = services.assign_area(
        dataset=dataset, area="medicine", experts=[doc], due_time=timezone.now() + timedelta(days=1), by=boss
    )
    results, errors = run_together(6, lambda i: services.urge_task(task=task, by=boss))
    assert not errors and len(results) == 6
    task.refresh_from_db()
    assert task.urge_count == 6 and task.is_highlight


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15])
def test_hand_over_racing_saves_reviews_and_urges_loses_nothing(evidence, delay):
    """Labeling, reviewing and urging threads race a hand-over; no deadlock, every item ends on exactly
    one task, saved items stay with the old task, the heir gets only unfinished ones."""
    boss = _user("boss", Role.MANAGER)
    doc, heir = _user("doc", Role.EXPERT, area="m"), _user("heir", Role.EXPERT, area="m")
    dataset = _dataset(boss, 60, area="m")
    due = timezone.now() + timedelta(days=1)
    [old] = services.assign_area(dataset=dataset, area="m", experts=[doc], due_time=due, by=boss)
    item_ids = list(old.items.order_by("position").values_list("pk", flat=True))
    for item_id in item_ids[:10]:
        services.label_item(item_id=item_id, by=doc, question="q0", answers=[], data_reserve=1)

    def act(i):
        if i == 0:
            time.sleep(delay)
            return services.hand_over_task(task=old, experts=[heir], due_time=due, by=boss)
        if i == 1:
            for _ in range(5):
                services.urge_task(task=old, by=boss)
            return "urged"
        if i == 2:
            return services.review_items(
                items=list(DataItem.objects.filter(pk__in=item_ids[:10])), accept=True, by=boss
            )
        saved = 0
        for item_id in item_ids[10 + (i - 3) * 10 : 10 + (i - 2) * 10]:
            try:
                services.label_item(item_id=item_id, by=doc, question="q", answers=[], data_reserve=1)
                saved += 1
            except DoesNotExist:  # moved to the heir first
                pass
        return saved

    results, errors = run_together(8, act)
    assert not [e for e in errors if not isinstance(e, Conflict)], errors
    on_old = DataItem.objects.filter(task=old)
    moved = DataItem.objects.filter(task__original=old)
    assert on_old.filter(is_labeled=False).count() == 0
    assert on_old.count() + moved.count() == 60
    assert moved.filter(is_labeled=True).count() == 0
    assert DataItem.objects.filter(pk__in=item_ids[:10], task=old, review_accept=True).count() == 10
    evidence(
        f"hand-over after {delay}s racing 5 labelers, a reviewer and urges: "
        f"{on_old.count()} stayed, {moved.count()} moved"
    )


@contextmanager
def _socket(server, user):
    with connect(f"{server.ws_url}/ws/notifications/?token={issue_user_token(user)}", open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        yield ws


def _next_of_type(ws, kind: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
        if message.get("type") == kind:
            return message


def _seed_session(server, user) -> requests.Session:
    session = requests.Session()
    body = session.get(f"{server.url}/user/login", params={"username": user.username, "password": PASSWORD}, timeout=10)
    assert body.json()["response"] == "登录成功", body.text
    return session


def test_urge_through_one_server_reaches_the_expert_on_the_other(asgi_servers, celery_worker, evidence):
    server_a, server_b = asgi_servers
    boss = _user("boss", Role.MANAGER)
    doc = _user("doc", Role.EXPERT, area="medicine")
    manager_session = _seed_session(server_a, boss)
    upload = manager_session.post(
        f"{server_a.url}/dataset/upload",
        json={"dataset_name": "跨进程", "dataset_task_type": "qa", "dataset_source": "s", "dataset_json": [row(0)]},
        timeout=30,
    )
    dataset_id = upload.json()["dataset_id"]
    with _socket(server_b, doc) as ws:
        assign = manager_session.post(
            f"{server_a.url}/task/assign",
            json={"dataset_id": dataset_id, "area": "medicine", "expert_id_list": [doc.pk], "due_time": "2099/01/01"},
            timeout=30,
        )
        assert assign.json() == {"response": "success"}
        assigned = _next_of_type(ws, "task_assigned")
        task_id = assigned["data"]["task_id"]
        urge = manager_session.post(f"{server_a.url}/task/urgent", json={"mission_id": task_id}, timeout=30)
        assert urge.json() == {"response": "success"}
        urged = _next_of_type(ws, "task_urged")
    assert urged["data"]["task_id"] == task_id and urged["data"]["urge_count"] == 1
    expert_session = _seed_session(server_b, doc)
    rows = expert_session.get(f"{server_b.url}/task/list", timeout=10).json()["response"]
    assert [(r["task_id"], r["is_highlight"]) for r in rows] == [(task_id, 1)]
    evidence(f"urge via {server_a} reached the expert's /ws/notifications/ socket on {server_b} through Redis")


def test_overdue_job_in_the_worker_tells_the_manager_once(asgi_servers, celery_worker, evidence):
    from tasks.jobs import notify_overdue_tasks_job

    _, server_b = asgi_servers
    boss = _user("boss", Role.MANAGER)
    doc = _user("doc", Role.EXPERT, area="medicine")
    dataset = _dataset(boss, 2)
    [task] = services.assign_area(
        dataset=dataset, area="medicine", experts=[doc], due_time=timezone.now() + timedelta(days=1), by=boss
    )
    Task.objects.filter(pk=task.pk).update(due_time=timezone.now() - timedelta(minutes=5))
    with _socket(server_b, boss) as ws:
        assert notify_overdue_tasks_job.delay().get(timeout=60) == [task.pk]
        message = _next_of_type(ws, "task_overdue")
        assert notify_overdue_tasks_job.delay().get(timeout=60) == []
    assert message["data"]["task_id"] == task.pk and message["data"]["expert_name"] == "doc"
    task.refresh_from_db()
    assert task.overdue_notified_at is not None
    evidence("overdue beat job run by a real Celery worker pushed task_overdue once to the manager")


def test_large_upload_assignment_and_download(asgi_servers, evidence):
    server_a, _ = asgi_servers
    boss = _user("boss", Role.MANAGER)
    experts = [_user(f"doc{i}", Role.EXPERT, area="medicine") for i in range(7)]
    session = _seed_session(server_a, boss)
    rows = [row(i, "medicine") for i in range(20_000)]
    body = json.dumps(
        {"dataset_name": "big", "dataset_task_type": "qa", "dataset_source": "s", "dataset_json": rows}
    ).encode()
    started = time.perf_counter()
    response = session.post(
        f"{server_a.url}/dataset/upload", data=body, headers={"Content-Type": "application/json"}, timeout=120
    )
    upload_seconds = time.perf_counter() - started
    assert response.json()["response"] == "success", response.text[:500]
    dataset = Dataset.objects.get(pk=response.json()["dataset_id"])
    assert dataset.items.count() == 20_000
    started = time.perf_counter()
    tasks = services.assign_area(
        dataset=dataset, area="medicine", experts=experts, due_time=timezone.now() + timedelta(days=1), by=boss
    )
    assign_seconds = time.perf_counter() - started
    sizes = [t.items.count() for t in tasks]
    assert sizes == [2858] + [2857] * 6
    download = session.get(
        f"{server_a.url}/dataset/download", params={"dataset_id": dataset.pk}, stream=True, timeout=120
    )
    data = json.loads(b"".join(download.iter_content(65536)))["response"]
    assert len(data) == 20_000 and data[-1]["data_question"] == "question 19999?"
    evidence(
        f"20,000-row upload over HTTP {upload_seconds:.2f}s ({20_000 / upload_seconds:,.0f} rows/s incl. JSON), "
        f"assignment to 7 experts {assign_seconds * 1000:.0f} ms, download streamed and complete (MariaDB)"
    )


def _plan(queryset) -> list[dict]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_assignment_rewrites_tasks_in_place_and_item_reads_use_the_task_index(evidence):
    """Unassigned items hold task 0 (never NULL -> id, which makes MariaDB rebuild every record), and every
    read by task goes through the one index that holds it (dataset, area, task, is_labeled)."""
    from django.db import connection

    from datasets import selectors as dataset_selectors
    from tasks import selectors

    boss = _user("boss", Role.MANAGER)
    experts = [_user(f"doc{i}", Role.EXPERT, area="medicine") for i in range(3)]
    rows = [row(i, "medicine" if i % 3 else "law") for i in range(6_000)]
    dataset = upload_dataset(name="plans", task_type="qa", source="s", rows=rows, uploaded_by=boss)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM datasets_dataitem WHERE dataset_id = %s AND task_id = 0", [dataset.pk])
        assert cursor.fetchone() == (6_000,)
    tasks = services.assign_area(
        dataset=dataset, area="medicine", experts=experts, due_time=timezone.now() + timedelta(days=1), by=boss
    )
    assert [t.items.count() for t in tasks] == [1334, 1333, 1333]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM datasets_dataitem WHERE task_id IS NULL")
        assert cursor.fetchone() == (0,)
        cursor.execute("ANALYZE TABLE datasets_dataitem")
        cursor.fetchall()
    task = tasks[1]
    counted = {  # answered from the index alone
        "a task's unfinished items": task.items.filter(is_labeled=False).order_by().values("pk"),
        "an area's unassigned items": DataItem.objects.filter(dataset=dataset, area="law", task__isnull=True)
        .order_by()
        .values("pk"),
        "progress counts": services._progress_rows({dataset.pk}),
        "an expert's tasks with counts": selectors.tasks_with_progress().filter(expert=experts[1]),
        "datasets with counts": dataset_selectors.datasets_with_counts(),
    }
    for name, queryset in counted.items():
        plan = [step for step in _plan(queryset) if step["table"] == "datasets_dataitem"]
        assert [(step["key"], "Using index" in step["Extra"]) for step in plan] == [
            ("dataitem_area_task_labeled", True)
        ], (name, plan)
    (fetch,) = [step for step in _plan(selectors.task_items(task)) if step["table"] == "datasets_dataitem"]
    evidence(
        f"MariaDB: {len(counted)} item counts by task read only the (dataset, area, task, is_labeled) index; "
        f"a task's rows ({task.items.count()} of 6,000) by {fetch['type']} {fetch['key'] or 'scan'}"
    )


def _multiply_items(dataset: Dataset, times: int) -> int:
    """Copy the dataset's items `times` times in SQL (positions continue), as a big dataset fixture."""
    from django.db import connection

    columns = [f.column for f in DataItem._meta.concrete_fields if f.column not in ("id", "position")]
    names = ", ".join(columns)
    table = DataItem._meta.db_table
    with connection.cursor() as cursor:
        for _ in range(times):
            cursor.execute(f"SELECT MAX(position) + 1 FROM {table} WHERE dataset_id = %s", [dataset.pk])
            (offset,) = cursor.fetchone()
            cursor.execute(
                f"INSERT INTO {table} (position, {names}) SELECT position + %s, {names} FROM {table} "
                f"WHERE dataset_id = %s ORDER BY position",
                [offset, dataset.pk],
            )
    return dataset.items.count()


def test_download_through_asgi_keeps_server_memory_flat(asgi_servers, evidence):
    """Under ASGI Django would list() a sync iterator before sending; the download must not."""
    import psutil

    server_a, _ = asgi_servers
    boss = _user("boss", Role.MANAGER)
    dataset = _dataset(boss, 5_000)
    total = _multiply_items(dataset, 5)  # 160,000 items, ~50 MB of JSON
    session = _seed_session(server_a, boss)
    process = psutil.Process(server_a.process.pid)
    before = process.memory_info().rss
    peak = before
    received = 0
    with session.get(
        f"{server_a.url}/dataset/download", params={"dataset_id": dataset.pk}, stream=True, timeout=300
    ) as response:
        assert response.status_code == 200
        for index, part in enumerate(response.iter_content(256 * 1024)):
            received += len(part)
            if index % 8 == 0:
                peak = max(peak, process.memory_info().rss)
    growth = (peak - before) / 2**20
    assert total == 160_000 and received > 40 * 2**20
    assert growth < 60, f"server RSS grew by {growth:.0f} MiB while streaming {received / 2**20:.0f} MiB"
    evidence(f"download of {total:,} items ({received / 2**20:.0f} MiB) through uvicorn: server RSS +{growth:.0f} MiB")


TRICKY = [
    'it\'s "quoted" \\ back\\slash',
    "line\nbreak\r\ttab \x1a",
    "中文问题？😀",
    "%s %(x)s {x} ?",
    "'); DROP TABLE datasets_dataitem; --",
]


@pytest.mark.parametrize("sql_mode", ["default", "NO_BACKSLASH_ESCAPES"])
def test_upload_stores_every_character_as_sent_on_mariadb(sql_mode, evidence):
    """The MariaDB upload builds its INSERT statements itself (escaped beside the running one); every
    character arrives as sent, and a server that does not read backslash escapes gets the driver's path."""
    from django.db import connection

    if sql_mode != "default":
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')")
    try:
        rows = [
            row(i, "law") | {"data_background": text, "data_question": text, "data_keyword": text}
            for i, text in enumerate(TRICKY)
        ]
        rows[0]["data_answer"] = [{"answer": TRICKY[0], "ranking_number": 1, "reserve": 1}]
        dataset = upload_dataset(name="字符", task_type="qa", source="s", rows=rows, uploaded_by=None)
        stored = list(dataset.items.order_by("position"))
        assert [item.background for item in stored] == TRICKY
        assert [item.question for item in stored] == TRICKY
        assert [item.keyword for item in stored] == TRICKY
        assert stored[0].answer[0]["answer"] == TRICKY[0]
    finally:
        if sql_mode != "default":
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES', '')")
    evidence(f"upload on MariaDB ({sql_mode} sql_mode): quotes, backslashes, control characters, emoji stored as sent")
