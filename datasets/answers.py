"""Seed 002's `response` words for the datasets/tasks endpoints, and the domain-error codes behind them.

Services raise `labelplatform.errors` with a stable `code` (English message for admins and logs); the
seed views answer the documented Chinese word for that code (qa-tasks.md §1.4-1.5).
"""

from __future__ import annotations

from enum import StrEnum


class QaResponse(StrEnum):
    SUCCESS = "success"
    NOT_LOGGED_IN = "未登录"
    PLEASE_LOG_IN = "请先登录"
    NOT_MANAGER = "非管理员用户"
    NOT_EXPERT = "非专家用户"
    BAD_PARAMETER = "参数错误"
    BAD_UPLOAD_ROW = "上传失败,数据格式错误"
    DATASET_NOT_FOUND = "数据集不存在"
    TASK_NOT_FOUND = "任务不存在"
    ITEM_NOT_FOUND = "数据不存在"
    DATASET_CLOSED = "数据集已结束"
    AREA_FULLY_ASSIGNED = "该领域没有未分配的数据"
    TASK_HAS_NO_UNFINISHED = "任务没有未完成的数据"
    TOO_LARGE = "上传数据过大"


class ErrorCode(StrEnum):
    """`DomainError.code` values raised by datasets/tasks services."""

    DATASET_NOT_FOUND = "dataset_not_found"
    TASK_NOT_FOUND = "task_not_found"
    ITEM_NOT_FOUND = "item_not_found"
    DATASET_CLOSED = "dataset_closed"
    AREA_FULLY_ASSIGNED = "area_fully_assigned"
    TASK_HAS_NO_UNFINISHED = "task_has_no_unfinished_items"
    ITEM_NOT_LABELED = "item_not_labeled"
    NOTHING_TO_SAMPLE = "nothing_to_sample"
    TOO_LARGE = "upload_too_large"


RESPONSE_FOR_CODE: dict[str, QaResponse] = {
    ErrorCode.DATASET_NOT_FOUND: QaResponse.DATASET_NOT_FOUND,
    ErrorCode.TASK_NOT_FOUND: QaResponse.TASK_NOT_FOUND,
    ErrorCode.ITEM_NOT_FOUND: QaResponse.ITEM_NOT_FOUND,
    ErrorCode.DATASET_CLOSED: QaResponse.DATASET_CLOSED,
    ErrorCode.AREA_FULLY_ASSIGNED: QaResponse.AREA_FULLY_ASSIGNED,
    ErrorCode.TASK_HAS_NO_UNFINISHED: QaResponse.TASK_HAS_NO_UNFINISHED,
    ErrorCode.TOO_LARGE: QaResponse.TOO_LARGE,
}
