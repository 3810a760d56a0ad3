"""Request and response shapes of the accounts endpoints, for validation docs and the OpenAPI schema."""

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


class AlertNewUser(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(required=False)
    role = serializers.CharField(
        required=False, help_text="Admin, manager, Full, Limited, Unauthorized, expert, researcher or citizen."
    )
    email = serializers.EmailField(required=False)


class AlertRegisterRequest(serializers.Serializer):
    cur_user = AlertCurrentUser(required=False)
    token = serializers.CharField(required=False, help_text="Instead of cur_user.token.")
    new_user = AlertNewUser()


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


class QaExpert(serializers.Serializer):
    expert_id = serializers.IntegerField()
    expert_name = serializers.CharField()
    expert_area = serializers.CharField()


class QaExpertList(serializers.Serializer):
    response = QaExpert(many=True)


class QaLoginRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class QaLoginResponse(serializers.Serializer):
    response = serializers.CharField()
    session_id = serializers.CharField(required=False, help_text="Returned under the key `Session-Id`.")


class QaRegisterExpertRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField()
    user_area = serializers.CharField(max_length=100)


class QaRegisterManagerRequest(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField()


class QaBadParameter(serializers.Serializer):
    response = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()
