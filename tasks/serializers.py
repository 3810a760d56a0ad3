"""Request/response shapes of the tasks endpoints: seed 002 (§3.3-3.4, described for the schema only) and
the seed 004 review/acceptance endpoints (§6; their input serializers validate requests)."""

from __future__ import annotations

from rest_framework import serializers

from datasets.models import SCORES
from datasets.serializers import QaAnswer
from tasks.services import COMMENT_MAX, NOTICE_MAX

# --- seed 002 -----------------------------------------------------------------------------------------


class QaTaskList(serializers.Serializer):
    response = serializers.JSONField(
        help_text="Expert: [{task_id, task_type, area, resource, assign_time, due_time, "
        "status 未开始|未完成|超时|已完成, finished_count, total_count, is_highlight}]; "
        "manager: [{task_id, task_type, expert_name, dataset_name, "
        "status 已分配|标注中|超时|已完成, assign_time, due_time, finished_count, total_count, is_highlight}]; "
        "or 请先登录 / 非管理员用户."
    )


class QaTaskHistory(serializers.Serializer):
    response = serializers.JSONField(
        help_text="[{mission_id, expert_name, area, dataset_name, status 标注中|已移交|已完成, "
        "original_id (int or '-'), assign_time, finished_count, total_count}] or 未登录 / 非管理员用户."
    )


class QaAssignRequest(serializers.Serializer):
    dataset_id = serializers.IntegerField()
    area = serializers.CharField(max_length=100)
    expert_id_list = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    notice = serializers.CharField(required=False, allow_blank=True, max_length=NOTICE_MAX)
    due_time = serializers.CharField(help_text="YYYY/MM/DD[ HH:MM[:SS]], YYYY-MM-DD…, ISO 8601 or epoch ms")


class QaReassignRequest(serializers.Serializer):
    mission_id = serializers.IntegerField()
    expert_id_list = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    mission_notice = serializers.CharField(required=False, allow_blank=True, max_length=NOTICE_MAX)
    mission_due_time = serializers.CharField()


class QaUrgeRequest(serializers.Serializer):
    mission_id = serializers.IntegerField()


class QaDataList(serializers.Serializer):
    response = serializers.JSONField(
        help_text="[{data_id, background, task_type, data_source, is_labeled, question, answer, keywords, "
        "lastest_time, data_reserve, returned, return_comment}] or 未登录 / 非专家用户"
    )
    notice = serializers.CharField(required=False)


class QaLabelRequest(serializers.Serializer):
    data_id = serializers.IntegerField()
    data_question = serializers.CharField()
    data_answer = QaAnswer(many=True)
    data_reserve = serializers.IntegerField(min_value=0, max_value=1)


# --- seed 004 review and acceptance ---------------------------------------------------------------------


class SampleComment(serializers.Serializer):
    sample_id = serializers.CharField(max_length=20)
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=COMMENT_MAX, default="")
    score = serializers.ChoiceField(choices=list(SCORES), required=False, allow_blank=True, allow_null=True)
    worker_id = serializers.CharField(required=False, allow_blank=True, help_text="Accepted and ignored.")

    def validate_sample_id(self, value: str) -> int:
        if not value.isdigit() or int(value) == 0:
            raise serializers.ValidationError("must be a sample id")
        return int(value)


class SampleComments(serializers.Serializer):
    comments = SampleComment(many=True, allow_empty=False, max_length=1000)


class AcceptanceRequest(serializers.Serializer):
    sampling_rate = serializers.FloatField(required=False, min_value=0, max_value=1)
    sampling_num = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if ("sampling_rate" in attrs) == ("sampling_num" in attrs):
            raise serializers.ValidationError("give either sampling_rate or sampling_num")
        if attrs.get("sampling_rate") == 0:
            raise serializers.ValidationError({"sampling_rate": "must be greater than 0"})
        return attrs


class AcceptanceStatusRequest(serializers.Serializer):
    action = serializers.ChoiceField(choices=["pass", "reject"], help_text="pass: accept all; reject: reject all")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=COMMENT_MAX, default="")
    score = serializers.ChoiceField(choices=list(SCORES), required=False, allow_blank=True, allow_null=True)


class SamplingStats(serializers.Serializer):
    task_id = serializers.CharField(help_text="The sampling round id.")
    drawn_at = serializers.IntegerField(help_text="epoch ms")
    sampling_rate = serializers.FloatField(required=False)
    sampling_num = serializers.IntegerField(required=False)
    sampled_sample_count = serializers.IntegerField()
    checked_sample_count = serializers.IntegerField()
    accepted_sample_count = serializers.IntegerField()
    rejected_sample_count = serializers.IntegerField()
    unchecked_sample_count = serializers.IntegerField()
    pass_rate = serializers.FloatField(required=False)


class TotalStats(serializers.Serializer):
    total_sample_count = serializers.IntegerField()
    sampled_sample_count = serializers.IntegerField()
    checked_sample_count = serializers.IntegerField()
    accepted_sample_count = serializers.IntegerField()
    rejected_sample_count = serializers.IntegerField()
    unchecked_sample_count = serializers.IntegerField()
    pass_rate = serializers.FloatField(required=False)


class AcceptanceReport(serializers.Serializer):
    checking_stats = SamplingStats(required=False, help_text="The latest round.")
    total_stats = TotalStats()
    rounds = SamplingStats(many=True)


class DecidedCount(serializers.Serializer):
    decided = serializers.IntegerField()
