"""The seed 002 view base for datasets/tasks endpoints: accounts' `QaApiView` plus the answers of §1.5
for domain errors (404 数据集不存在 / 任务不存在 / 数据不存在, 409, 413, bad upload rows)."""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import QueryDict
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from accounts.families import QaApiView, qa_answer, qa_error
from datasets.answers import RESPONSE_FOR_CODE, QaResponse
from datasets.uploads import RowError
from labelplatform.api import SeedAnswer
from labelplatform.errors import DomainError, TooLarge
from labelplatform.parsers import MultiPartParser, PayloadTooLarge, read_bounded

_FALLBACK = {404: "数据不存在", 409: "请求与当前状态冲突", 403: QaResponse.NOT_MANAGER}


def qa_domain_error(exc: Exception) -> SeedAnswer | None:
    if isinstance(exc, RowError):
        return qa_answer(400, QaResponse.BAD_UPLOAD_ROW, row=exc.row, field=exc.field, message=exc.message)
    if isinstance(exc, TooLarge):
        return qa_answer(413, QaResponse.TOO_LARGE)
    if isinstance(exc, DomainError) and exc.status != 400:
        word = RESPONSE_FOR_CODE.get(exc.code) or _FALLBACK.get(exc.status, exc.message)
        return qa_answer(exc.status, str(word))
    return qa_error(exc)


class QaView(QaApiView):
    """Seed 002 datasets/tasks endpoint. Body parameters: `self.params(request)` (JSON object or form)."""

    def seed_error(self, exc: Exception) -> SeedAnswer | None:
        return qa_domain_error(exc)

    def params(self, request):
        if request.method in ("GET", "HEAD"):
            return request.query_params
        try:
            data = request.data
        except exceptions.ParseError as exc:
            raise qa_answer(400, QaResponse.BAD_PARAMETER, field="body", message="the body is not valid JSON") from exc
        if not hasattr(data, "get"):
            raise qa_answer(
                400, QaResponse.BAD_PARAMETER, field="body", message="the body must be a JSON object or form data"
            )
        return data


class LargeJSONParser(BaseParser):
    """JSON read straight from the request stream up to the view's `max_body_bytes`.

    DRF's own JSON/form parsers go through `request.body`, which Django caps at
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB) for every view; an upload may be far larger
    (`QA_UPLOAD_MAX_BYTES`), so this parser reads the stream itself (still refusing oversize with 413).
    """

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_bounded(stream, parser_context).getvalue()
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc


class LargeFormParser(BaseParser):
    """`application/x-www-form-urlencoded`, read like LargeJSONParser."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        data = read_bounded(stream, parser_context).getvalue()
        try:
            return QueryDict(data, encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - too many fields or undecodable
            raise exceptions.ParseError(f"form parse error - {exc}") from exc


class SmallMultiPartParser(MultiPartParser):
    """`multipart/form-data` is accepted too; Django keeps its text fields under
    DATA_UPLOAD_MAX_MEMORY_SIZE, so a larger one answers 413 (send JSON for big uploads)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RequestDataTooBig as exc:
            raise PayloadTooLarge("multipart form fields are limited; send a JSON body") from exc
