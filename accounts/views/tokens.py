"""The standard JWT endpoints (`/api/token/...`) and `/api/v1/me/`, the caller's own account."""

from datetime import timedelta

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views

from accounts.models import User
from accounts.serializers import ApiError, TokenPair
from accounts.throttles import LoginIPThrottle, LoginUsernameThrottle
from accounts.tokens import issue_user_token

TAGS = ["tokens"]
BAD_REQUEST = OpenApiResponse(description="A field is missing or malformed: `{field: [messages]}`.")
REFUSED = OpenApiResponse(ApiError, description="Wrong credentials, or an invalid, expired or blacklisted token.")
TOO_LARGE = OpenApiResponse(ApiError, description="Request body too large.")


@extend_schema(
    tags=TAGS,
    responses={
        200: TokenPair,
        400: BAD_REQUEST,
        401: REFUSED,
        413: TOO_LARGE,
        429: OpenApiResponse(ApiError, description="Too many attempts."),
    },
)
class ObtainTokenPairView(jwt_views.TokenObtainPairView):
    """An access token (`ACCESS_TOKEN_LIFETIME`) and a refresh token (`REFRESH_TOKEN_LIFETIME`) for a
    username and password; throttled per client IP and per username."""

    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]


@extend_schema(tags=TAGS, responses={200: TokenPair, 400: BAD_REQUEST, 401: REFUSED, 413: TOO_LARGE})
class RefreshTokenView(jwt_views.TokenRefreshView):
    """A new access token and a rotated refresh token; the old refresh token is blacklisted."""


@extend_schema(
    tags=TAGS,
    responses={200: OpenApiResponse(description="Blacklisted."), 400: BAD_REQUEST, 401: REFUSED, 413: TOO_LARGE},
)
class BlacklistTokenView(jwt_views.TokenBlacklistView):
    """Blacklist a refresh token (sign out everywhere that token reached)."""


class MeSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True, help_text="May be empty.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "area", "client_type", "is_staff"]
        read_only_fields = fields


@extend_schema(
    tags=TAGS,
    responses={
        200: MeSerializer,
        401: OpenApiResponse(ApiError, description="No token, or an invalid or expired one."),
        403: OpenApiResponse(ApiError, description="Blacklisted."),
    },
)
class MeView(RetrieveAPIView):
    """The signed-in user's account (Bearer token or session)."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class SessionTokenView(APIView):
    """Base of the web pages' token endpoints: a page signed in with its session (and Django's CSRF token)
    gets a short-lived user token for its script's API calls and websocket. Subclasses set who may ask
    (`permission_classes`), the lifetime (`get_lifetime`) and their schema."""

    authentication_classes = [SessionAuthentication]

    def get_lifetime(self) -> timedelta:
        raise NotImplementedError

    def post(self, request):
        lifetime = self.get_lifetime()
        token = issue_user_token(request.user, lifetime=lifetime)
        return Response({"token": token, "expires_in": int(lifetime.total_seconds())})
