"""`POST /verify` (seed 003) and `GET /verify/<id>` (its job), thin over services and selectors.

`POST /verify` takes the seed's JSON document, or a multipart form with the document in a single `json`
field and the files whose *filenames* are the `source` / `uri` values (file field names unique). No
token is needed (orchestrators call without one); a platform token (Bearer) makes the caller a user
with its own throttle and its own jobs. Every call is a job: by default the view waits for it up to
`VERIFY_SYNC_TIMEOUT` (or the `wait=N` of a `Prefer` header, if shorter) and answers 200 with the
document, or 202 with the job id when it is not done by then; `?async=1` or `Prefer: respond-async`
answers 202 at once. An optional `Idempotency-Key` header makes a retried POST return the first job.
Errors are JSON `{"detail", "code", "field"}`; the field names the offending input
(`renditions[1].resolution.height`, `source`, the upload's filename, `body`).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import PlatformTokenAuthentication
from accounts.throttles import client_ip
from labelplatform.api import ScopedGenericAPIView, SeedAnswer, retry_after_headers
from labelplatform.errors import InvalidInput
from labelplatform.parsers import JSONParser, MultiPartParser, PayloadTooLarge
from verification import selectors, services
from verification.models import JobStatus, VerificationJob
from verification.serializers import (
    JobAcceptedOut,
    JobErrorOut,
    JobOut,
    VerifyIn,
    VerifyMultipartIn,
    VerifyOut,
    parse_document,
)
from verification.throttles import VerifyAnonThrottle, VerifyPollThrottle, VerifyUserThrottle

MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_KEY_LENGTH = 128


def _error(status: int, detail: str, code: str, field: str | None = None, headers: dict | None = None) -> SeedAnswer:
    return SeedAnswer(status, {"detail": detail, "code": code, **({"field": field} if field else {})}, headers)


def verification_error(exc: Exception) -> SeedAnswer | None:
    """Parser, media-type, size and throttle errors in the same JSON shape as domain errors."""
    if isinstance(exc, PayloadTooLarge):
        return _error(413, str(exc.detail), "too_large", "body")
    if isinstance(exc, exceptions.ParseError):
        return _error(400, str(exc.detail), "malformed", "body")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _error(415, "send application/json or multipart/form-data", "unsupported_media_type", "Content-Type")
    if isinstance(exc, exceptions.Throttled):
        return _error(429, str(exc.detail), "throttled", headers=retry_after_headers(exc))
    return None


def _prefer(request) -> tuple[bool, float | None]:
    """(respond-async asked, wait=N seconds) from the `Prefer` header (RFC 7240)."""
    asked, wait = False, None
    for token in request.headers.get("Prefer", "").split(","):
        name, _, value = token.strip().partition("=")
        name = name.strip().lower()
        if name == "respond-async":
            asked = True
        elif name == "wait" and value.strip().isdigit():
            wait = float(value.strip())
    return asked, wait


def _job_url(request, job: VerificationJob) -> str:
    return request.build_absolute_uri(reverse("verification:job", args=[job.pk]))


def _accepted(request, job: VerificationJob, *, prefer_async: bool) -> Response:
    url = _job_url(request, job)
    headers = {"Location": url}
    if prefer_async:
        headers["Preference-Applied"] = "respond-async"
    return Response({"id": str(job.pk), "status": job.status, "url": url}, status=202, headers=headers)


def _answer(request, job: VerificationJob) -> Response:
    """The finished job's document (200); a failed job's error (400 when the request was at fault)."""
    if job.status == JobStatus.DONE:
        return Response(job.result, status=200)
    error = dict(job.error or {"detail": "verification failed", "code": services.ErrorCode.INTERNAL})
    status = {
        services.ErrorCode.SOURCE_UNREADABLE: 400,
        services.ErrorCode.NOT_QUEUED: 503,
        services.ErrorCode.MODEL_UNAVAILABLE: 503,
    }.get(error.get("code"), 500)
    return Response({**error, "id": str(job.pk)}, status=status)


ERRORS = {
    400: OpenApiResponse(JobErrorOut, description="malformed document, refused URI, missing or unreadable source"),
    401: OpenApiResponse(
        description="a platform token was sent but is invalid or expired (send none to call anonymously)"
    ),
    409: OpenApiResponse(JobErrorOut, description="Idempotency-Key reused for a different request"),
    413: OpenApiResponse(JobErrorOut, description="body or an uploaded file too large"),
    415: OpenApiResponse(JobErrorOut, description="neither JSON nor multipart"),
    429: OpenApiResponse(JobErrorOut, description="throttled (VERIFY_ANON_RATE / VERIFY_USER_RATE)"),
    503: OpenApiResponse(JobErrorOut, description="the job could not be queued, or no verifier model is installed"),
}


class VerifyView(APIView):
    authentication_classes = [PlatformTokenAuthentication]
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser]
    throttle_classes = [VerifyAnonThrottle, VerifyUserThrottle]

    @property
    def max_body_bytes(self) -> int:
        """A JSON document is small; a multipart body carries at most the source and every rendition."""
        request = getattr(self, "request", None)
        if request is not None and request.content_type.startswith("multipart/"):
            return settings.VERIFY_MAX_FILE_BYTES * (settings.VERIFY_MAX_RENDITIONS + 1) + MAX_DOCUMENT_BYTES
        return MAX_DOCUMENT_BYTES

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return verification_error(exc)

    @extend_schema(
        operation_id="verify_renditions",
        tags=["seed 003: verification"],
        summary="Verify renditions of a source video (seed 003)",
        request={"application/json": VerifyIn, "multipart/form-data": VerifyMultipartIn},
        parameters=[
            OpenApiParameter("async", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="answer 202 at once"),
            OpenApiParameter("Prefer", str, OpenApiParameter.HEADER, description="`respond-async`, `wait=N`"),
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="a retry returns the first job"
            ),
        ],
        responses={
            200: VerifyOut,
            202: OpenApiResponse(JobAcceptedOut, description="queued: poll GET /verify/<id>"),
            **ERRORS,
        },
    )
    def post(self, request):
        raw, uploads = self._read(request)
        document = parse_document(raw, max_renditions=settings.VERIFY_MAX_RENDITIONS)
        submission = services.submit_verification(
            document=document,
            raw_document=raw,
            uploads=uploads,
            user=request.user,
            client_ip=client_ip(request),
            idempotency_key=self._idempotency_key(request),
        )
        prefer_async, wait = _prefer(request)
        if prefer_async or request.query_params.get("async", "").lower() in ("1", "true", "yes"):
            submission.job.refresh_from_db(fields=["status"])  # without a broker it has already run
            return _accepted(request, submission.job, prefer_async=prefer_async)
        timeout = settings.VERIFY_SYNC_TIMEOUT if wait is None else min(wait, settings.VERIFY_SYNC_TIMEOUT)
        job = selectors.wait_for_job(job_id=submission.job.pk, timeout=timeout)
        if not job.is_final:
            return _accepted(request, job, prefer_async=False)
        return _answer(request, job)

    def _read(self, request) -> tuple[dict, dict]:
        """(document, filename -> uploaded file) from a JSON body or the seed's multipart form."""
        if not request.content_type.startswith("multipart/"):
            return request.data, {}  # parse_document refuses anything but a JSON object
        files = request.FILES
        texts = request.POST.getlist("json")
        if "json" in files:
            raise InvalidInput("json must be a text form field holding the document", field="json")
        if len(texts) != 1:
            message = "send the document in one form field named json" if not texts else "send json only once"
            raise InvalidInput(message, field="json")
        try:
            data = json.loads(texts[0])
        except ValueError as exc:
            raise InvalidInput(f"json: not valid JSON ({exc})", field="json") from exc
        if not isinstance(data, dict):
            raise InvalidInput("json: the document must be a JSON object", field="json")
        uploads: dict = {}
        for field in files:
            parts = files.getlist(field)
            if len(parts) > 1:
                raise InvalidInput(
                    f"file field names must be unique: {field!r} is used {len(parts)} times", field=field
                )
            upload = parts[0]
            if not upload.name or upload.name in uploads:
                raise InvalidInput(f"each file needs its own filename ({upload.name!r} is repeated)", field=field)
            uploads[upload.name] = upload
        return data, uploads

    @staticmethod
    def _idempotency_key(request) -> str | None:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return None
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            raise InvalidInput(f"at most {MAX_KEY_LENGTH} printable ASCII characters", field="Idempotency-Key")
        return key


class VerificationJobView(ScopedGenericAPIView):
    """A job's state; when done, the same document the synchronous call answers."""

    authentication_classes = [PlatformTokenAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [VerifyPollThrottle]
    serializer_class = JobOut
    lookup_url_kwarg = "job_id"

    def scoped_queryset(self, user):
        return selectors.jobs_visible_to(user)

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return verification_error(exc)

    @extend_schema(
        operation_id="verify_job",
        tags=["seed 003: verification"],
        summary="A verification job's state and, when done, its result",
        responses={
            200: JobOut,
            401: ERRORS[401],
            404: OpenApiResponse(description="no such job, or not yours"),
            429: OpenApiResponse(description="polled too often"),
        },
    )
    def get(self, request, job_id: str):
        return Response(JobOut(self.get_object()).data)  # a malformed id is a 404 too
