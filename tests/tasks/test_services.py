"""Services behind the endpoints, the admin and the beat job (qa-tasks.md §4, §6, §7): live pushes,
e-mails, overdue notices, history, sampling, and their refusals."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.notifications import user_group
from datasets import selectors as dataset_selectors
from datasets.models import DataItem
from labelplatform.celery import app as celery_app
from labelplatform.errors import Conflict, DoesNotExist, InvalidInput
from tasks import jobs, selectors, services
from tasks.models import RevisionKind, SampleRound, Task
from tests.datasets.factories import DataItemFactory, DatasetFactory, uploaded_dataset
from tests.datasets.helpers import expert, manager
from tests.tasks.factories import assigned, later

pytestmark = pytest.mark.django_db


class Inbox:
    """A channel subscribed to one user's group, like their /ws/notifications/ socket."""

    def __init__(self, user_id: int):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(user_group(user_id), self.channel)

    def messages(self) -> list[dict]:
        found = []

        async def drain():
            import asyncio

            while True:
                try:
                    event = await asyncio.wait_for(self.layer.receive(self.channel), 0.05)
                except TimeoutError:
                    return
                found.append(event["message"])

        async_to_sync(drain)()
        return found


def label(item, user, reserve=1):
    return services.label_item(item_id=item.pk, by=user, question="q", answers=[], data_reserve=reserve)


# --- live pushes and e-mail ---------------------------------------------------------------------------


def test_assign_pushes_task_assigned_after_commit(django_capture_on_commit_callbacks):
    boss = manager()
    doc = expert()
    inbox = Inbox(doc.pk)
    dataset = uploaded_dataset(name="集", areas={"medicine": 3}, by=boss)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [task] = assigned(dataset, experts=[doc], by=boss)
    assert inbox.messages() == []  # nothing before commit
    for callback in callbacks:
        callback()
    [message] = inbox.messages()
    assert message == {
        "type": "task_assigned",
        "data": {
            "task_id": task.pk,
            "dataset_name": "集",
            "area": "medicine",
            "due_time": selectors.format_time(task.due_time),
            "total_count": 3,
            "original_id": "-",
        },
    }


def test_urge_pushes_and_emails_the_expert(django_capture_on_commit_callbacks, mailoutbox, settings):
    settings.EMAIL_HOST = "smtp.example.org"
    boss = manager()
    doc = expert(email="doc@example.org")
    dataset = uploaded_dataset(name="集", areas={"medicine": 2}, by=boss)
    [task] = assigned(dataset, experts=[doc], by=boss, notice="慢慢来")
    label(task.items.first(), doc)
    inbox = Inbox(doc.pk)
    stranger_inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.urge_task(task=task, by=boss)
    [message] = inbox.messages()
    assert message["type"] == "task_urged"
    data = message["data"]
    assert (data["task_id"], data["urge_count"], data["finished_count"], data["total_count"]) == (task.pk, 1, 1, 2)
    assert data["urged_at"] and data["due_time"] == selectors.format_time(task.due_time)
    assert stranger_inbox.messages() == []
    [mail] = mailoutbox
    assert mail.to == ["doc@example.org"]
    assert "集" in mail.subject and "medicine" in mail.subject
    assert "1/2" in mail.body and "慢慢来" in mail.body


def test_urge_sends_no_mail_without_email_host(django_capture_on_commit_callbacks, mailoutbox, settings):
    settings.EMAIL_HOST = None
    boss = manager()
    [task] = assigned(uploaded_dataset(by=boss), by=boss)
    with django_capture_on_commit_callbacks(execute=True):
        services.urge_task(task=task, by=boss)
    assert mailoutbox == []


def test_a_broken_channel_layer_never_fails_an_urge(django_capture_on_commit_callbacks, monkeypatch):
    boss = manager()
    [task] = assigned(uploaded_dataset(by=boss), by=boss)

    def broken(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(services, "notify_user", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.urge_task(task=task, by=boss)
    task.refresh_from_db()
    assert task.urge_count == 1


def test_mail_failure_never_fails_the_job(monkeypatch, settings, caplog):
    boss = manager()
    [task] = assigned(uploaded_dataset(by=boss), by=boss)

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(jobs, "send_mail", broken)
    assert jobs.send_urge_email_job(task.pk) is False
    assert "could not send" in caplog.text


# --- overdue beat job -----------------------------------------------------------------------------------


def test_overdue_job_notifies_the_manager_once(django_capture_on_commit_callbacks, mailoutbox, settings):
    settings.EMAIL_HOST = "smtp.example.org"
    boss = manager(email="boss@example.org")
    doc = expert(username="doc")
    dataset = uploaded_dataset(name="集", areas={"a": 2, "b": 1, "c": 1, "d": 1}, by=boss)
    [late] = assigned(dataset, area="a", experts=[doc], by=boss)
    [finished] = assigned(dataset, area="b", experts=[doc], by=boss)
    [on_time] = assigned(dataset, area="c", experts=[doc], by=boss)
    [handed] = assigned(dataset, area="d", experts=[doc], by=boss)
    label(finished.items.get(), doc)
    services.hand_over_task(task=handed, experts=[expert()], due_time=later(), by=boss)
    past = timezone.now() - timedelta(hours=1)
    Task.objects.filter(pk__in=[late.pk, finished.pk, handed.pk]).update(due_time=past)
    inbox = Inbox(boss.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.notify_overdue_tasks_job() == [late.pk]
    [message] = inbox.messages()
    assert message["type"] == "task_overdue"
    assert message["data"] == {
        "task_id": late.pk,
        "dataset_name": "集",
        "area": "a",
        "expert_name": "doc",
        "due_time": selectors.format_time(past),
        "finished_count": 0,
        "total_count": 2,
    }
    [mail] = mailoutbox
    assert mail.to == ["boss@example.org"] and "doc" in mail.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.notify_overdue_tasks_job() == []  # once
    assert inbox.messages() == []
    services.extend_due_time(task=late, due_time=later(1), by=boss)
    late.refresh_from_db()
    assert late.overdue_notified_at is None
    Task.objects.filter(pk=late.pk).update(due_time=past)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.notify_overdue_tasks_job() == [late.pk]  # a new lateness is reported again


def test_overdue_job_is_in_the_beat_schedule():
    entries = [e for e in celery_app.conf.beat_schedule.values() if e["task"] == "tasks.jobs.notify_overdue_tasks_job"]
    assert len(entries) == 1
    assert "tasks.jobs.notify_overdue_tasks_job" in celery_app.tasks


def test_extend_due_time_must_be_in_the_future():
    boss = manager()
    [task] = assigned(uploaded_dataset(by=boss), by=boss)
    with pytest.raises(InvalidInput):
        services.extend_due_time(task=task, due_time=timezone.now() - timedelta(minutes=1), by=boss)


# --- assignment rules -----------------------------------------------------------------------------------


def test_assign_example_from_the_spec():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 10}, by=boss)
    e7, e3, e9 = expert(), expert(), expert()
    tasks = assigned(dataset, experts=[e7, e3, e9], by=boss)
    assert [list(t.items.order_by("position").values_list("position", flat=True)) for t in tasks] == [
        [0, 1, 2, 3], [4, 5, 6], [7, 8, 9],
    ]  # fmt: skip


def test_assign_with_ids_not_following_positions():
    """Hand-made rows whose ids run against their positions still split by position."""
    boss = manager()
    dataset = DatasetFactory(uploaded_by=boss)
    for position in reversed(range(7)):
        DataItemFactory(dataset=dataset, position=position, area="medicine")
    tasks = assigned(dataset, experts=[expert(), expert()], by=boss)
    assert [list(t.items.order_by("position").values_list("position", flat=True)) for t in tasks] == [
        [0, 1, 2, 3], [4, 5, 6],
    ]  # fmt: skip


def _stored_task_ids(dataset) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT task_id FROM datasets_dataitem WHERE dataset_id = %s ORDER BY position", [dataset.pk])
        return [task_id for (task_id,) in cursor.fetchall()]


def test_unassigned_items_are_stored_as_task_zero_and_read_as_none():
    """Assignment rewrites `task_id` in place (datasets.models.TaskForeignKey): never NULL -> id."""
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 3, "law": 2}, by=boss)
    assert _stored_task_ids(dataset) == [0] * 5
    (task,) = assigned(dataset, by=boss)
    assert _stored_task_ids(dataset) == [task.pk] * 3 + [0, 0]
    law = DataItem.objects.filter(dataset=dataset, area="law")
    assert [item.task_id for item in law] == [None, None] and [item.task for item in law] == [None, None]
    assert list(law.values_list("task_id", flat=True)) == [None, None]
    assert DataItem.objects.filter(dataset=dataset, task__isnull=True).count() == 2
    assert DataItem.objects.filter(dataset=dataset, task=None).count() == 2
    assert DataItem.objects.filter(dataset=dataset, task__isnull=False).count() == 3
    assert DataItem.objects.exclude(task=None).filter(dataset=dataset).count() == 3
    assert dataset_selectors.area_progress(dataset)[1].unassigned == 2


def test_a_null_task_written_outside_django_still_reads_as_unassigned():
    from django.db import connection

    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 4}, by=boss)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE datasets_dataitem SET task_id = NULL WHERE dataset_id = %s AND position < 2", [dataset.pk]
        )
    assert DataItem.objects.filter(dataset=dataset, task__isnull=True).count() == 4
    tasks = assigned(dataset, experts=[expert(), expert()], by=boss)
    assert [t.items.count() for t in tasks] == [2, 2]
    assert _stored_task_ids(dataset) == [tasks[0].pk] * 2 + [tasks[1].pk] * 2


def test_a_tasks_items_are_joined_on_dataset_area_and_task():
    """`task.items` and `Count("items")` go through the (dataset, area, task) index: an item whose task
    id matches but whose area does not (never written by the services) is not the task's."""
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 3}, by=boss)
    (task,) = assigned(dataset, by=boss)
    sql = str(task.items.all().query)
    assert all(column in sql for column in ('"dataset_id"', '"area"', '"task_id"'))
    DataItem.objects.filter(dataset=dataset, position=2).update(area="law")
    assert task.items.count() == 2
    assert selectors.tasks_with_progress().get(pk=task.pk).total_count == 2


def test_deleting_a_task_leaves_its_items_unassigned():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 2}, by=boss)
    (task,) = assigned(dataset, by=boss)
    Task.objects.filter(pk=task.pk).delete()
    assert _stored_task_ids(dataset) == [0, 0]
    assert DataItem.objects.filter(dataset=dataset, task__isnull=True).count() == 2


def test_assign_refuses_non_experts_and_naive_times():
    boss = manager()
    dataset = uploaded_dataset(by=boss)
    with pytest.raises(InvalidInput) as refused:
        services.assign_area(dataset=dataset, area="medicine", experts=[boss], due_time=later(), by=boss)
    assert refused.value.field == "expert_id_list"
    with pytest.raises(InvalidInput):
        services.assign_area(
            dataset=dataset, area="medicine", experts=[expert()], due_time=later().replace(tzinfo=None), by=boss
        )
    assert not Task.objects.exists()


def test_hand_over_of_unknown_state_conflicts():
    boss = manager()
    dataset = uploaded_dataset(areas={"medicine": 1}, by=boss)
    [task] = assigned(dataset, by=boss)
    label(task.items.get(), task.expert)
    with pytest.raises(Conflict):
        services.hand_over_task(task=task, experts=[expert()], due_time=later(), by=boss)
    with pytest.raises(Conflict):
        services.urge_task(task=task, by=boss)


def test_label_item_scoped_to_own_tasks():
    boss = manager()
    [task] = assigned(uploaded_dataset(by=boss), by=boss)
    with pytest.raises(DoesNotExist):
        label(task.items.first(), expert())


# --- history --------------------------------------------------------------------------------------------


def test_item_history_pairs_before_and_after():
    boss = manager()
    doc = expert()
    [task] = assigned(uploaded_dataset(areas={"medicine": 1}, by=boss), experts=[doc], by=boss)
    item = task.items.get()
    services.label_item(item_id=item.pk, by=doc, question="v1", answers=[], data_reserve=1)
    services.review_item(item=item, accept=False, comment="no", score="C", by=boss)
    answers = [{"answer": "x", "ranking_number": 0, "reserve": 1}]
    services.label_item(item_id=item.pk, by=doc, question="v2", answers=answers, data_reserve=0)
    first, decision, second = selectors.item_history(item)
    assert (first.before_question, first.after_question, first.before_reserve) == ("question 0?", "v1", None)
    assert first.before_answer == item.answer and first.revision.by == doc
    assert (decision.kind, decision.accept, decision.comment, decision.score, decision.by) == (
        RevisionKind.REVIEW, False, "no", "C", boss,
    )  # fmt: skip
    assert (second.before_question, second.after_question, second.after_answer, second.after_reserve) == (
        "v1", "v2", answers, 0,
    )  # fmt: skip


# --- review and sampling --------------------------------------------------------------------------------


def test_review_requires_labeled_items_and_valid_scores():
    boss = manager()
    [task] = assigned(uploaded_dataset(areas={"medicine": 2}, by=boss), by=boss)
    first, second = task.items.order_by("position")
    label(first, task.expert)
    with pytest.raises(Conflict):
        services.review_items(items=[first, second], accept=True, by=boss)
    with pytest.raises(InvalidInput):
        services.review_item(item=first, accept=True, score="E", by=boss)
    with pytest.raises(InvalidInput):
        services.check_item(item=first, accept="yes", by=boss)
    assert not DataItem.objects.filter(review_accept__isnull=False).exists()


def test_draw_sample_by_rate_and_count_uniformly():
    boss = manager()
    [task] = assigned(uploaded_dataset(areas={"medicine": 10}, by=boss), by=boss)
    for item in task.items.all()[:7]:
        label(item, task.expert)
    first = services.draw_sample(task=task, rate=0.3, by=boss, rng=random.Random(1))
    assert first.items.count() == 3  # ceil(0.3 * 7)
    assert all(item.is_labeled and item.sampled for item in first.items.all())
    second = services.draw_sample(task=task, count=10, by=boss)
    assert second.items.count() == 4  # fewer if fewer exist
    assert not set(first.items.all()) & set(second.items.all())
    with pytest.raises(Conflict):
        services.draw_sample(task=task, count=1, by=boss)
    for bad in ({"rate": 0}, {"rate": 1.1}, {"count": 0}, {"rate": 0.5, "count": 1}, {}, {"count": True}):
        with pytest.raises(InvalidInput):
            services.draw_sample(task=task, by=boss, **bad)
    assert SampleRound.objects.count() == 2


def test_draw_sample_draws_uniformly_among_all_candidates():
    """The draw is `rng.sample` over every labeled, unsampled item (not the first ones)."""
    boss = manager()
    [task] = assigned(uploaded_dataset(areas={"medicine": 30}, by=boss), by=boss)
    for item in task.items.all():
        label(item, task.expert)
    candidates = sorted(task.items.values_list("pk", flat=True))
    sample = services.draw_sample(task=task, count=5, by=boss, rng=random.Random(7))
    assert set(sample.items.values_list("pk", flat=True)) == set(random.Random(7).sample(candidates, 5))


def test_round_pass_rate_counts_decided_only():
    boss = manager()
    [task] = assigned(uploaded_dataset(areas={"medicine": 4}, by=boss), by=boss)
    for item in task.items.all():
        label(item, task.expert)
    sample = services.draw_sample(task=task, count=4, by=boss)
    a, b, c, _ = sample.items.order_by("pk")
    services.check_item(item=a, accept=True, by=boss)
    services.check_item(item=b, accept=True, by=boss)
    services.check_item(item=c, accept=False, by=boss)
    [stats] = selectors.sample_rounds(task)
    assert (stats.size, stats.accepted, stats.rejected, stats.unchecked) == (4, 2, 1, 1)
    assert stats.pass_rate == pytest.approx(2 / 3)
    assert services.decide_sampled(task=task, accept=True, by=boss) == 1


# --- dataset selectors ----------------------------------------------------------------------------------


def test_area_progress_and_unassigned_areas():
    boss = manager()
    dataset = uploaded_dataset(areas={"law": 2, "medicine": 3}, by=boss)
    doc = expert(username="doc")
    [task] = assigned(dataset, area="law", experts=[doc], by=boss)
    label(task.items.first(), doc)
    law, medicine = dataset_selectors.area_progress(dataset)
    assert (law.area, law.total, law.labeled, law.assigned, law.experts, law.is_assigned) == (
        "law", 2, 1, 2, ["doc"], True,
    )  # fmt: skip
    assert (medicine.unassigned, medicine.experts) == (3, [])
    assert dataset_selectors.unassigned_areas(dataset) == [("medicine", 3)]
