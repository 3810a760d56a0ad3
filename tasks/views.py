"""Seed 002 task and data endpoints (qa-tasks.md §3.3-3.4) and the seed 004 review / acceptance endpoints
(§6). Thin: parameters in, selectors/services, documented bodies out."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from accounts.serializers import QaBadParameter, QaResponse
from datasets import inputs
from datasets import selectors as dataset_selectors
from datasets.qa import QaView
from datasets.views import (
    DATASET_ID,
    DATASET_RESPONSES,
    WORKFORCE_ERRORS,
    WORKFORCE_PATH,
    WORKFORCE_TAGS,
    workforce_task,
)
from datasets.workforce import WorkforceApiView, epoch_ms
from labelplatform.errors import InvalidInput
from tasks import selectors, services
from tasks.models import RevisionKind
from tasks.serializers import (
    AcceptanceReport,
    AcceptanceRequest,
    AcceptanceStatusRequest,
    DecidedCount,
    QaAssignRequest,
    QaDataList,
    QaLabelRequest,
    QaReassignRequest,
    QaTaskHistory,
    QaTaskList,
    QaUrgeRequest,
    SampleComments,
    SamplingStats,
)

TAGS = ["seed 002: expert Q&A"]
_WRITE_RESPONSES = {
    200: OpenApiResponse(QaResponse, description="success / 未登录 / 非管理员用户"),
    400: OpenApiResponse(QaBadParameter, description="参数错误"),
    403: OpenApiResponse(QaResponse, description="请求来源不被允许"),
    404: OpenApiResponse(QaResponse, description="数据集不存在 / 任务不存在"),
    409: OpenApiResponse(QaResponse, description="数据集已结束 / 该领域没有未分配的数据 / 任务没有未完成的数据"),
}


def _tz():
    return timezone.get_current_timezone()


class TaskListView(QaView):
    @extend_schema(operation_id="qa_task_list", tags=TAGS, responses={200: QaTaskList})
    def get(self, request):
        user = self.require_login(request, message="请先登录")
        now = timezone.now()
        if user.is_expert:
            rows = [
                {
                    "task_id": task.pk,
                    "task_type": task.dataset.task_type,
                    "area": task.area,
                    "resource": task.dataset.source,
                    "assign_time": selectors.format_time(task.assigned_at),
                    "due_time": selectors.format_time(task.due_time),
                    "status": selectors.expert_status_of(task, now=now).value,
                    "finished_count": task.finished_count,
                    "total_count": task.total_count,
                    "is_highlight": selectors.highlight_of(task),
                }
                for task in selectors.tasks_of_expert(user)
            ]
            return Response({"response": rows})
        if not user.is_manager:
            return Response({"response": "非管理员用户"})
        rows = [
            {
                "task_id": task.pk,
                "task_type": task.dataset.task_type,
                "expert_name": task.expert.username,
                "dataset_name": task.dataset.name,
                "status": selectors.manager_status_of(task, now=now).value,
                "assign_time": selectors.format_time(task.assigned_at),
                "due_time": selectors.format_time(task.due_time),
                "finished_count": task.finished_count,
                "total_count": task.total_count,
                "is_highlight": selectors.highlight_of(task),
            }
            for task in selectors.tasks_for_managers()
        ]
        return Response({"response": rows})


class TaskListByDatasetView(QaView):
    @extend_schema(
        operation_id="qa_task_list_by_dataset",
        tags=TAGS,
        parameters=[DATASET_ID],
        responses={200: QaTaskHistory, **DATASET_RESPONSES},
    )
    def get(self, request):
        self.require_manager(request)
        dataset = dataset_selectors.get_dataset(inputs.require_id(request.query_params, "dataset_id"))
        rows = [
            {
                "mission_id": task.pk,
                "expert_name": task.expert.username,
                "area": task.area,
                "dataset_name": dataset.name,
                "status": selectors.history_status_of(task).value,
                "original_id": task.original_id if task.original_id is not None else "-",
                "assign_time": selectors.format_time(task.assigned_at),
                "finished_count": task.finished_count,
                "total_count": task.total_count,
            }
            for task in selectors.dataset_history(dataset)
        ]
        return Response({"response": rows})


class TaskAssignView(QaView):
    @extend_schema(operation_id="qa_task_assign", tags=TAGS, request=QaAssignRequest, responses=_WRITE_RESPONSES)
    def post(self, request):
        user = self.require_manager(request)
        params = self.params(request)
        dataset = dataset_selectors.get_dataset(inputs.require_id(params, "dataset_id"))
        services.check_open(dataset)
        area = inputs.require_text(params, "area", limit=100)
        experts = selectors.experts_in_order(inputs.require_id_list(params, "expert_id_list"))
        notice = inputs.optional_text(params, "notice", limit=services.NOTICE_MAX)
        due_time = inputs.require_time(params, "due_time", tz=_tz())
        services.assign_area(dataset=dataset, area=area, experts=experts, notice=notice, due_time=due_time, by=user)
        return Response({"response": "success"})


class TaskReassignView(QaView):
    @extend_schema(operation_id="qa_task_reassign", tags=TAGS, request=QaReassignRequest, responses=_WRITE_RESPONSES)
    def put(self, request):
        user = self.require_manager(request)
        params = self.params(request)
        task = selectors.task_for_manager(task_id=inputs.require_id(params, "mission_id"))
        services.check_open(task.dataset)
        experts = selectors.experts_in_order(inputs.require_id_list(params, "expert_id_list"))
        notice = inputs.optional_text(params, "mission_notice", limit=services.NOTICE_MAX, default=None)
        due_time = inputs.require_time(params, "mission_due_time", tz=_tz())
        services.hand_over_task(task=task, experts=experts, notice=notice, due_time=due_time, by=user)
        return Response({"response": "success"})


class TaskUrgentView(QaView):
    @extend_schema(operation_id="qa_task_urgent", tags=TAGS, request=QaUrgeRequest, responses=_WRITE_RESPONSES)
    def post(self, request):
        user = self.require_manager(request)
        task = selectors.task_for_manager(task_id=inputs.require_id(self.params(request), "mission_id"))
        services.urge_task(task=task, by=user)
        return Response({"response": "success"})


class DataListView(QaView):
    @extend_schema(
        operation_id="qa_data_list",
        tags=TAGS,
        parameters=[OpenApiParameter("mission_id", int, required=True)],
        responses={
            200: QaDataList,
            400: OpenApiResponse(QaBadParameter, description="参数错误"),
            404: OpenApiResponse(QaResponse, description="任务不存在"),
        },
    )
    def get(self, request):
        user = self.require_expert(request)
        task = selectors.task_for_expert(user=user, task_id=inputs.require_id(request.query_params, "mission_id"))
        dataset = task.dataset
        rows = [
            {
                "data_id": item.pk,
                "background": item.background,
                "task_type": dataset.task_type,
                "data_source": dataset.source,
                "is_labeled": int(item.is_labeled),
                "question": item.current_question,
                "answer": item.current_answer,
                "keywords": item.keyword,
                "lastest_time": selectors.format_time(item.updated_at),
                "data_reserve": item.data_reserve,
                "returned": int(item.returned),
                "return_comment": selectors.return_comment(item),
            }
            for item in selectors.task_items(task)
        ]
        return Response({"response": rows, "notice": task.notice})


class DataLabelView(QaView):
    @extend_schema(
        operation_id="qa_data_label",
        tags=TAGS,
        request=QaLabelRequest,
        responses={
            200: OpenApiResponse(QaResponse, description="success / 未登录 / 非专家用户"),
            400: OpenApiResponse(QaBadParameter, description="参数错误"),
            403: OpenApiResponse(QaResponse, description="请求来源不被允许"),
            404: OpenApiResponse(QaResponse, description="数据不存在"),
            409: OpenApiResponse(QaResponse, description="数据集已结束"),
        },
    )
    def put(self, request):
        user = self.require_expert(request)
        params = self.params(request)
        item_id = inputs.require_id(params, "data_id")
        question = inputs.get_value(params, "data_question")
        if question is None:
            question = ""
        answers = inputs.get_value(params, "data_answer")
        if answers is None:
            raise InvalidInput("data_answer is required", field="data_answer")
        reserve = inputs.parse_flag(inputs.get_value(params, "data_reserve"), "data_reserve")
        services.label_item(item_id=item_id, by=user, question=question, answers=answers, data_reserve=reserve)
        return Response({"response": "success"})


# --- seed 004: review and acceptance ------------------------------------------------------------------


def round_stats(stats: selectors.RoundStats) -> dict:
    data = {
        "task_id": str(stats.sample_round.pk),
        "drawn_at": epoch_ms(stats.sample_round.drawn_at),
        "sampling_rate": stats.sample_round.rate,
        "sampling_num": stats.sample_round.count,
        "sampled_sample_count": stats.size,
        "checked_sample_count": stats.decided,
        "accepted_sample_count": stats.accepted,
        "rejected_sample_count": stats.rejected,
        "unchecked_sample_count": stats.unchecked,
        "pass_rate": stats.pass_rate,
    }
    return {key: value for key, value in data.items() if value is not None}


def acceptance_report(task) -> dict:
    rounds = selectors.sample_rounds(task)
    accepted = sum(r.accepted for r in rounds)
    rejected = sum(r.rejected for r in rounds)
    sampled = sum(r.size for r in rounds)
    total = {
        "total_sample_count": task.total_count,
        "sampled_sample_count": sampled,
        "checked_sample_count": accepted + rejected,
        "accepted_sample_count": accepted,
        "rejected_sample_count": rejected,
        "unchecked_sample_count": sampled - accepted - rejected,
    }
    if accepted + rejected:
        total["pass_rate"] = accepted / (accepted + rejected)
    report = {"total_stats": total, "rounds": [round_stats(r) for r in rounds]}
    if rounds:
        report["checking_stats"] = report["rounds"][0]
    return report


_DECISION_RESPONSES = {
    200: OpenApiResponse(DecidedCount),
    **WORKFORCE_ERRORS,
    409: OpenApiResponse(description="DATA.0409: dataset closed or a sample is not labeled"),
}


class _ManagerWorkforceView(WorkforceApiView):
    def manager_task(self, request, dataset_id: str, workforce_task_id: str):
        task = workforce_task(request, self, dataset_id, workforce_task_id)
        return self.require_manager(request), task


class ReviewView(_ManagerWorkforceView):
    kind = RevisionKind.REVIEW

    @extend_schema(
        operation_id="workforce_task_review",
        tags=WORKFORCE_TAGS,
        parameters=WORKFORCE_PATH,
        request=SampleComments,
        responses=_DECISION_RESPONSES,
        description="Review decisions (accept/reject, comment, score A–D) on labeled samples of the task; "
        "a rejection sends the item back to its expert. All or nothing.",
    )
    def post(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        user, task = self.manager_task(request, dataset_id, workforce_task_id)
        body = SampleComments(data=request.data)
        body.is_valid(raise_exception=True)
        decisions = [
            (c["sample_id"], c["accept"], c.get("comment", ""), c.get("score") or None)
            for c in body.validated_data["comments"]
        ]
        decided = services.decide_samples(task=task, decisions=decisions, kind=self.kind, by=user)
        return Response({"decided": decided})


class AcceptanceCommentView(ReviewView):
    kind = RevisionKind.CHECK

    @extend_schema(
        operation_id="workforce_task_acceptance_comment",
        tags=WORKFORCE_TAGS,
        parameters=WORKFORCE_PATH,
        request=SampleComments,
        responses=_DECISION_RESPONSES,
        description="Acceptance decisions on labeled samples (sampled or not); a rejection sends the item back.",
    )
    def post(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        return super().post(request, project_id, dataset_id, workforce_task_id)


class AcceptanceView(_ManagerWorkforceView):
    @extend_schema(
        operation_id="workforce_task_acceptance_start",
        tags=WORKFORCE_TAGS,
        parameters=WORKFORCE_PATH,
        request=AcceptanceRequest,
        responses={200: SamplingStats, **WORKFORCE_ERRORS, 409: OpenApiResponse(description="DATA.0409")},
        description="Draw an acceptance sample: `sampling_num` items, or ⌈`sampling_rate` × the labeled, not yet "
        "sampled items⌉, uniformly at random.",
    )
    def post(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        user, task = self.manager_task(request, dataset_id, workforce_task_id)
        body = AcceptanceRequest(data=request.data)
        body.is_valid(raise_exception=True)
        drawn = services.draw_sample(
            task=task, rate=body.validated_data.get("sampling_rate"), count=body.validated_data.get("sampling_num"),
            by=user,
        )  # fmt: skip
        stats = next(r for r in selectors.sample_rounds(task) if r.sample_round.pk == drawn.pk)
        return Response(round_stats(stats))


class AcceptanceReportView(_ManagerWorkforceView):
    @extend_schema(
        operation_id="workforce_task_acceptance_report",
        tags=WORKFORCE_TAGS,
        parameters=WORKFORCE_PATH,
        responses={200: AcceptanceReport, **WORKFORCE_ERRORS},
        description="Every sampling round of the task with its pass rate (accepted ÷ decided).",
    )
    def get(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        _, task = self.manager_task(request, dataset_id, workforce_task_id)
        return Response(acceptance_report(task))


class AcceptanceStatusView(_ManagerWorkforceView):
    @extend_schema(
        operation_id="workforce_task_acceptance_status",
        tags=WORKFORCE_TAGS,
        parameters=WORKFORCE_PATH,
        request=AcceptanceStatusRequest,
        responses=_DECISION_RESPONSES,
        description="`pass` accepts / `reject` rejects every sampled, labeled, not yet checked sample of the task.",
    )
    def put(self, request, project_id: str, dataset_id: str, workforce_task_id: str):
        user, task = self.manager_task(request, dataset_id, workforce_task_id)
        body = AcceptanceStatusRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        decided = services.decide_sampled(
            task=task,
            accept=data["action"] == "pass",
            comment=data.get("comment", ""),
            score=data.get("score") or None,
            by=user,
        )
        return Response({"decided": decided})
