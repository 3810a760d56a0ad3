"""Seed 002 dataset endpoints (qa-tasks.md §3.2) and seed 004's sample listing (§5). Thin: parameters in,
selectors/services, documented bodies out."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from accounts.serializers import QaBadParameter, QaResponse
from datasets import exports, inputs, selectors, services
from datasets.qa import LargeFormParser, LargeJSONParser, QaView, SmallMultiPartParser
from datasets.serializers import (
    QaAreaList,
    QaDatasetList,
    QaDownload,
    QaUploadRequest,
    QaUploadResponse,
    QaUploadRowError,
    SampleDetail,
    SampleList,
    WorkforceError,
)
from datasets.workforce import WorkforceApiView, epoch_ms, filter_samples, parse_sample_query, render_sample
from labelplatform.errors import DoesNotExist
from tasks import selectors as task_selectors

TAGS = ["seed 002: expert Q&A"]
DATASET_ID = OpenApiParameter("dataset_id", int, required=True)
DATASET_RESPONSES = {  # the seed 002 endpoints that take a dataset_id
    400: OpenApiResponse(QaBadParameter, description="参数错误"),
    404: OpenApiResponse(QaResponse, description="数据集不存在"),
}


class DatasetGetView(QaView):
    @extend_schema(
        operation_id="qa_dataset_get",
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: QaAreaList, **DATASET_RESPONSES},
    )
    def get(self, request):
        self.require_manager(request)
        dataset = selectors.get_dataset(inputs.require_id(request.query_params, "dataset_id"))
        rows = selectors.area_progress(dataset)
        size = sum(row.total for row in rows)
        return Response(
            {
                "response": [
                    {
                        "area": row.area,
                        "data_size": row.total,
                        "dataset_size": size,
                        "is_assigned": row.is_assigned,
                        "expert_name": ",".join(row.experts) or "-",
                    }
                    for row in rows
                ]
            }
        )


class DatasetListView(QaView):
    @extend_schema(operation_id="qa_dataset_list", tags=TAGS, responses={200: QaDatasetList})
    def get(self, request):
        self.require_manager(request)
        return Response(
            {
                "response": [
                    {
                        "dataset_id": dataset.pk,
                        "dataset_name": dataset.name,
                        "dataset_task_type": dataset.task_type,
                        "dataset_source": dataset.source,
                        "dataset_upload_time": task_selectors.format_date(dataset.uploaded_at),
                        "dataset_assign_time": task_selectors.format_date(dataset.last_assigned_at),
                        "status": selectors.status_of(dataset).value,
                    }
                    for dataset in selectors.datasets_with_counts()
                ]
            }
        )


class DatasetUploadView(QaView):
    """Bodies up to `QA_UPLOAD_MAX_BYTES`; every row validated before anything is written."""

    parser_classes = [LargeJSONParser, LargeFormParser, SmallMultiPartParser]

    @property
    def max_body_bytes(self) -> int:
        return settings.QA_UPLOAD_MAX_BYTES

    @extend_schema(
        operation_id="qa_dataset_upload",
        tags=TAGS,
        request=QaUploadRequest,
        responses={
            200: QaUploadResponse,
            400: OpenApiResponse(QaUploadRowError, description="参数错误 or 上传失败,数据格式错误 (row, field)"),
            403: OpenApiResponse(QaResponse, description="请求来源不被允许"),
            413: OpenApiResponse(QaResponse, description="上传数据过大"),
        },
    )
    def post(self, request):
        user = self.require_manager(request)
        params = self.params(request)
        name = inputs.require_text(params, "dataset_name", limit=255)
        task_type = inputs.require_text(params, "dataset_task_type", limit=100)
        source = inputs.require_text(params, "dataset_source", limit=255)
        rows = inputs.json_value(inputs.get_value(params, "dataset_json"), "dataset_json")
        dataset = services.upload_dataset(name=name, task_type=task_type, source=source, rows=rows, uploaded_by=user)
        return Response({"response": "success", "dataset_id": dataset.pk})


class DatasetDownloadView(QaView):
    @extend_schema(
        operation_id="qa_dataset_download",
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: QaDownload, **DATASET_RESPONSES},
        description="Streamed JSON attachment `<dataset name>.json` (§4.6).",
    )
    def get(self, request):
        self.require_manager(request)
        dataset = selectors.get_dataset(inputs.require_id(request.query_params, "dataset_id"))
        return exports.streaming_export(dataset, "json", request=request._request)


# --- seed 004 -----------------------------------------------------------------------------------------

WORKFORCE_TAGS = ["seed 004: team labeling"]
WORKFORCE_PATH = [
    OpenApiParameter("project_id", str, OpenApiParameter.PATH, description="Accepted and ignored."),
    OpenApiParameter("dataset_id", str, OpenApiParameter.PATH),
    OpenApiParameter("workforce_task_id", str, OpenApiParameter.PATH),
]
_SAMPLE_PARAMETERS = [
    *WORKFORCE_PATH,
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0, "default": 0}, description="Page index."),
    OpenApiParameter("sample_state", str),
    OpenApiParameter("label_name", str),
    OpenApiParameter("label_type", int),
    OpenApiParameter("search_conditions", str, description="URL-encoded JSON array of conditions."),
    OpenApiParameter("locale", str),
    OpenApiParameter("process_parameter", str),
]
WORKFORCE_ERRORS = {
    status: OpenApiResponse(WorkforceError, description=f"DATA.0{status}") for status in (400, 401, 403, 404)
}


def workforce_task(request, view: WorkforceApiView, dataset_id: str, workforce_task_id: str):
    """The caller's task of the dataset (managers: any), or 404 (an expert's other tasks look missing)."""
    user = view.require_member(request)
    task_id = inputs.parse_id(workforce_task_id, "workforce_task_id") if workforce_task_id.isdigit() else None
    owner_dataset = inputs.parse_id(dataset_id, "dataset_id") if dataset_id.isdigit() else None
    if task_id is None or owner_dataset is None:
        raise DoesNotExist("no such workforce task")
    return task_selectors.task_for_user(user=user, task_id=task_id, dataset_id=owner_dataset)


class SampleListView(WorkforceApiView):
    @extend_schema(
        operation_id="workforce_task_samples",
        tags=WORKFORCE_TAGS,
        parameters=_SAMPLE_PARAMETERS,
        responses={200: SampleList, **WORKFORCE_ERRORS},
    )
    def get(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        task = workforce_task(request, self, dataset_id, workforce_task_id)
        query = parse_sample_query(request.query_params)
        items = filter_samples(task_selectors.task_items(task), query, dataset_name=task.dataset.name)
        count = items.count()
        start = query.offset * query.limit
        page = list(items.order_by("position")[start : start + query.limit]) if start < count else []
        return Response(
            {"sample_count": count, "samples": [render_sample(item, task=task, dataset=task.dataset) for item in page]}
        )


def _history_entry(entry) -> dict:
    """One revision as JSON: a label save with its before/after, or a review/acceptance decision."""
    if isinstance(entry, task_selectors.Change):
        revision = entry.revision
        return {
            "kind": revision.kind,
            "by": revision.by.username if revision.by else None,
            "time": epoch_ms(revision.created_at),
            "before": {
                "question": entry.before_question,
                "answer": entry.before_answer,
                "reserve": entry.before_reserve,
            },
            "after": {"question": entry.after_question, "answer": entry.after_answer, "reserve": entry.after_reserve},
        }
    return {
        "kind": entry.kind,
        "by": entry.by.username if entry.by else None,
        "time": epoch_ms(entry.created_at),
        "accept": entry.accept,
        "comment": entry.comment,
        "score": entry.score,
    }


class SampleDetailView(WorkforceApiView):
    @extend_schema(
        operation_id="workforce_task_sample",
        tags=WORKFORCE_TAGS,
        parameters=[*WORKFORCE_PATH, OpenApiParameter("sample_id", str, OpenApiParameter.PATH)],
        responses={200: SampleDetail, **WORKFORCE_ERRORS},
        description="One sample of the task (the listing's fields) plus `history`: every save with the values "
        "before and after it, and every review/acceptance decision, oldest first.",
    )
    def get(self, request, project_id: str, dataset_id: str, workforce_task_id: str, sample_id: str):
        task = workforce_task(request, self, dataset_id, workforce_task_id)
        item_id = int(sample_id) if sample_id.isdigit() else None
        item = task_selectors.task_items(task).filter(pk=item_id).first() if item_id else None
        if item is None:
            raise DoesNotExist("no such sample in this task")
        body = render_sample(item, task=task, dataset=task.dataset)
        body["history"] = [_history_entry(entry) for entry in task_selectors.item_history(item)]
        return Response(body)
