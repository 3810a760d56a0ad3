"""Request/response shapes of the datasets endpoints for the OpenAPI schema (seed 002 §3.2, seed 004 §5).

The seed views build their documented bodies directly (field names are the contract); these serializers
describe them and are never used to write models.
"""

from __future__ import annotations

from rest_framework import serializers


class QaAnswer(serializers.Serializer):
    answer = serializers.CharField()
    ranking_number = serializers.IntegerField(min_value=0)
    reserve = serializers.IntegerField(min_value=0, max_value=1)


class QaUploadRow(serializers.Serializer):
    data_background = serializers.CharField(required=False, allow_blank=True)
    data_question = serializers.CharField()
    data_answer = QaAnswer(many=True)
    data_area = serializers.CharField(max_length=100)
    data_keyword = serializers.CharField(required=False, allow_blank=True)
    other = serializers.CharField(required=False, allow_blank=True)


class QaUploadRequest(serializers.Serializer):
    dataset_name = serializers.CharField(max_length=255)
    dataset_task_type = serializers.CharField(max_length=100)
    dataset_source = serializers.CharField(max_length=255)
    dataset_json = QaUploadRow(many=True, help_text="The rows, or the JSON text of the array (JSON.stringify).")


class QaUploadResponse(serializers.Serializer):
    response = serializers.CharField(help_text="success, 未登录 or 非管理员用户")
    dataset_id = serializers.IntegerField(required=False)


class QaUploadRowError(serializers.Serializer):
    response = serializers.CharField(help_text="上传失败,数据格式错误")
    row = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class QaAreaRow(serializers.Serializer):
    area = serializers.CharField()
    data_size = serializers.IntegerField()
    dataset_size = serializers.IntegerField()
    is_assigned = serializers.BooleanField()
    expert_name = serializers.CharField()


class QaDatasetRow(serializers.Serializer):
    dataset_id = serializers.IntegerField()
    dataset_name = serializers.CharField()
    dataset_task_type = serializers.CharField()
    dataset_source = serializers.CharField()
    dataset_upload_time = serializers.CharField(help_text="YYYY/MM/DD")
    dataset_assign_time = serializers.CharField(help_text="YYYY/MM/DD or -/-/-")
    status = serializers.ChoiceField(choices=["未分配", "已分配", "已完成", "已结束"])


class QaAreaList(serializers.Serializer):
    response = serializers.JSONField(help_text="[QaAreaRow] or 未登录 / 非管理员用户")


class QaDatasetList(serializers.Serializer):
    response = serializers.JSONField(help_text="[QaDatasetRow] or 未登录 / 非管理员用户")


class QaDownload(serializers.Serializer):
    response = serializers.JSONField(help_text="[item objects in upload shape] or 未登录 / 非管理员用户")


# --- seed 004 -----------------------------------------------------------------------------------------


class WorkforceError(serializers.Serializer):
    error_code = serializers.CharField()
    error_msg = serializers.CharField()


class Worker(serializers.Serializer):
    worker_id = serializers.CharField()
    email = serializers.CharField(required=False)
    role = serializers.IntegerField()
    status = serializers.IntegerField()
    create_time = serializers.IntegerField(required=False)


class SampleLabel(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    type = serializers.IntegerField()
    annotated_by = serializers.CharField()
    property = serializers.DictField()


class Sample(serializers.Serializer):
    sample_id = serializers.CharField()
    sample_type = serializers.IntegerField()
    sample_name = serializers.CharField()
    sample_data = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()
    sample_size = serializers.IntegerField()
    sample_time = serializers.IntegerField()
    sample_status = serializers.CharField()
    labels = SampleLabel(many=True)
    labelers = Worker(many=True)
    worker_id = serializers.CharField()
    review_accept = serializers.BooleanField(required=False)
    review_comment = serializers.CharField(required=False)
    review_score = serializers.CharField(required=False)
    check_accept = serializers.BooleanField(required=False)
    check_comment = serializers.CharField(required=False)
    check_score = serializers.CharField(required=False)
    score = serializers.CharField(required=False)
    metadata = serializers.DictField()


class SampleList(serializers.Serializer):
    sample_count = serializers.IntegerField()
    samples = Sample(many=True)


class SampleRevision(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["label", "review", "check"])
    by = serializers.CharField(allow_null=True)
    time = serializers.IntegerField(help_text="epoch ms")
    before = serializers.DictField(required=False, help_text="label saves: question, answer, reserve before")
    after = serializers.DictField(required=False, help_text="label saves: question, answer, reserve after")
    accept = serializers.BooleanField(required=False)
    comment = serializers.CharField(required=False, allow_null=True)
    score = serializers.CharField(required=False, allow_null=True)


class SampleDetail(Sample):
    history = SampleRevision(many=True)
