"""Seed 002 status words, computed at read time (qa-tasks.md §4.5). Pure: no Django.

Each view has its own enum with the seed's words as values; the rules take counts and times so the
REST views, the admin and the workspace all show the same word for the same state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class ExpertStatus(StrEnum):
    NOT_STARTED = "未开始"
    IN_PROGRESS = "未完成"
    OVERDUE = "超时"
    FINISHED = "已完成"


class ManagerStatus(StrEnum):
    ASSIGNED = "已分配"
    LABELING = "标注中"
    OVERDUE = "超时"
    FINISHED = "已完成"


class HistoryStatus(StrEnum):
    LABELING = "标注中"
    HANDED_OVER = "已移交"
    FINISHED = "已完成"


class DatasetStatus(StrEnum):
    UNASSIGNED = "未分配"
    ASSIGNED = "已分配"
    FINISHED = "已完成"
    CLOSED = "已结束"


def expert_status(*, done: int, total: int, due_time: datetime, now: datetime) -> ExpertStatus:
    if total > 0 and done == total:
        return ExpertStatus.FINISHED
    if now > due_time:
        return ExpertStatus.OVERDUE
    if done == 0:
        return ExpertStatus.NOT_STARTED
    return ExpertStatus.IN_PROGRESS


def manager_status(*, done: int, total: int, due_time: datetime, now: datetime) -> ManagerStatus:
    if total > 0 and done == total:
        return ManagerStatus.FINISHED
    if now > due_time:
        return ManagerStatus.OVERDUE
    if done == 0:
        return ManagerStatus.ASSIGNED
    return ManagerStatus.LABELING


def history_status(*, done: int, total: int, handed_over: bool) -> HistoryStatus:
    if handed_over:
        return HistoryStatus.HANDED_OVER
    if total > 0 and done == total:
        return HistoryStatus.FINISHED
    return HistoryStatus.LABELING


def dataset_status(*, closed: bool, total: int, labeled: int, assigned: int) -> DatasetStatus:
    if closed:
        return DatasetStatus.CLOSED
    if total > 0 and labeled == total:
        return DatasetStatus.FINISHED
    if assigned > 0:
        return DatasetStatus.ASSIGNED
    return DatasetStatus.UNASSIGNED


def is_highlighted(*, is_highlight: bool, done: int, total: int) -> int:
    """Shown as 1 only while the task still has unfinished items."""
    return 1 if is_highlight and done < total else 0


def split_evenly(n: int, k: int) -> list[int]:
    """Sizes of k contiguous chunks of n items; the remainder goes to the first ones (§4.2)."""
    base, rem = divmod(n, k)
    return [base + 1 if j < rem else base for j in range(k)]
