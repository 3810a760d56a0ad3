"""Request and response shapes of the accounts endpoints, for validation docs and the OpenAPI schema."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class LabelerLoginRequest(serializers.Serializer):
    google_id_token = serializers.CharField(required=False, help_text="Google ID token (wins when both are sent).")
    client_id = serializers.CharField(required=False, max_length=255, help_text="Analytics id or random uuid.")


class LabelerLoginResponse(serializers.Serializer):
    user_token = serializers.CharField()
    user_token_for_other_app = serializers.CharField()


class CrowdMessage(serializers.Serializer):
    message = serializers.CharField()


class AlertCurrentUser(serializers.Serializer):
    username = serializers.CharField(required=False)
    token = serializers.CharField()


class AlertNewUserUpdate(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The user to update.")
    password = serializers.CharField(required=False, max_length=254)
    role = serializers.CharField(
        required=False, help_text="Admin, manager, Full, Limited, Unauthorized, expert, researcher or citizen."
    )
    email = serializers.EmailField(required=False)


class AlertNewUserCreate(AlertNewUserUpdate):
    password = serializers.CharField(max_length=254)
    role = serializers.CharField(
        help_text="Admin, manager, Full, Limited, Unauthorized, expert, researcher or citizen."
    )
    email = serializers.EmailField()


class AlertRegisterRequest(serializers.Serializer):
    cur_user = AlertCurrentUser(required=False)
    token = serializers.CharField(required=False, help_text="Instead of cur_user.token (or the Bearer header).")
    new_user = AlertNewUserCreate()


class AlertUpdateRequest(AlertRegisterRequest):
    new_user = AlertNewUserUpdate()


class AlertUserData(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField()


class AlertUserResponse(serializers.Serializer):
    code = serializers.IntegerField()
    status_code = serializers.CharField()
    data = AlertUserData()


class AlertError(serializers.Serializer):
    code = serializers.IntegerField()
    status_code = serializers.CharField()
    error = serializers.CharField()


class AlertLoginRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class QaResponse(serializers.Serializer):
    response = serializers.CharField()


class QaCurrentUser(serializers.Serializer):
    response = serializers.CharField()
    username = serializers.CharField(required=False)
    usertype = serializers.CharField(required=False)


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "expert_id": {"type": "integer"},
                        "expert_name": {"type": "string"},
                        "expert_area": {"type": "string"},
                    },
                    "required": ["expert_id", "expert_name", "expert_area"],
                },
            },
            {"type": "string", "enum": ["未登录", "非管理员用户"]},
        ]
    }
)
class ExpertsOrRefusal(serializers.JSONField):
    """The expert list, or the documented refusal string."""


class QaExpertList(serializers.Serializer):
    response = ExpertsOrRefusal()


class QaLoginRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class QaLoginResponse(serializers.Serializer):
    response = serializers.CharField()
    session_id = serializers.CharField(required=False, help_text="Returned under the key `Session-Id`.")


class QaRegisterExpertRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(min_length=8, help_text="Must pass the platform's password validators.")
    user_area = serializers.CharField(max_length=100)


class QaRegisterManagerRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(min_length=8, help_text="Must pass the platform's password validators.")


class QaBadParameter(serializers.Serializer):
    response = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class TokenPair(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class ApiError(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
