"""Seed 000 login (videos.md §5.1): labelers sign in with a client id or a Google ID token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts import google, services
from accounts.families import CrowdApiView, crowd_answer
from accounts.serializers import CrowdMessage, LabelerLoginRequest, LabelerLoginResponse
from accounts.throttles import LabelerLoginThrottle
from accounts.tokens import issue_user_token
from videos.models import LabelerProfile

MISSING_LOGIN_FIELD = "Missing field: google_id_token or client_id"


def _labeler_client_id(data: dict) -> str:
    """`google.<sub>` for a verified Google token, else the client id as sent."""
    id_token = data.get("google_id_token")
    if id_token is not None:
        try:
            claims = google.verify_google_id_token(id_token)
        except google.WrongIssuer as exc:
            raise crowd_answer(401, str(exc)) from exc
        except google.GoogleTokenInvalid as exc:
            raise crowd_answer(418, str(exc)) from exc
        return f"google.{claims['sub']}"
    client_id = data.get("client_id")
    if client_id is None:
        raise crowd_answer(400, MISSING_LOGIN_FIELD)
    if not isinstance(client_id, str) or not client_id or len(client_id) > services.CLIENT_ID_MAX_LENGTH:
        raise crowd_answer(400, "Invalid field: client_id")
    return client_id


class LabelerLoginView(CrowdApiView):
    throttle_classes = [LabelerLoginThrottle]

    @extend_schema(
        operation_id="labeler_login",
        tags=["seed 000: crowd labeling"],
        request=LabelerLoginRequest,
        responses={
            200: LabelerLoginResponse,
            400: OpenApiResponse(CrowdMessage, description="Missing field: google_id_token or client_id"),
            401: OpenApiResponse(CrowdMessage, description="Wrong token issuer"),
            403: OpenApiResponse(CrowdMessage, description="Permission denied (blacklisted)"),
            418: OpenApiResponse(CrowdMessage, description="Google ID token failed verification"),
            429: OpenApiResponse(CrowdMessage, description="Too many requests"),
        },
        auth=[],
        summary="Log in a labeler; creates the labeler on first use",
    )
    def post(self, request):
        try:
            data = request.data
        except (exceptions.ParseError, exceptions.UnsupportedMediaType):
            data = None  # no JSON body (videos.md §5.1 step 1), whatever the content type
        if not isinstance(data, dict):
            raise crowd_answer(400, MISSING_LOGIN_FIELD)
        connection = services.log_in_labeler(client_id=_labeler_client_id(data))
        user = connection.user
        if not user.may_act:
            raise crowd_answer(403, "Permission denied")
        profile = LabelerProfile.objects.get(user=user)
        common = {"issued_at": connection.time, "client_type": connection.client_type, "bound_to_password": False}
        return Response(
            {
                "user_token": issue_user_token(
                    user,
                    connection_id=connection.pk,
                    user_score=profile.score,
                    user_raw_score=profile.raw_score,
                    **common,
                ),
                "user_token_for_other_app": issue_user_token(user, connection_id=-1, **common),
            }
        )
