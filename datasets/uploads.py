"""Upload rows: reading files (JSON array, JSON Lines, CSV) and validating rows (qa-tasks.md §4.1).

Pure Python, no Django and no queries: the REST upload, the admin upload form and `import_dataset` all
validate through `validate_rows`, so every entry point refuses exactly the same rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import IO, Any

from datasets.answers import ErrorCode
from labelplatform.errors import InvalidInput, TooLarge

TEXT_MAX = 65_535
AREA_MAX = 100
ANSWERS_MAX = 100
KNOWN_KEYS = ("data_background", "data_question", "data_answer", "data_area", "data_keyword", "other")
KNOWN_KEYS_SET = frozenset(KNOWN_KEYS)
FORMATS = ("json", "jsonl", "csv")


class RowError(InvalidInput):
    """A bad upload row: `row` is its 0-based index (None when the file itself is unreadable)."""

    def __init__(self, row: int | None, field: str, message: str) -> None:
        super().__init__(message, field=field, code="bad_row")
        self.row = row


def _text(row: int, value: Any, field: str, *, required: bool, limit: int = TEXT_MAX) -> str:
    if value is None:
        if required:
            raise RowError(row, field, f"{field} is required")
        return ""
    if not isinstance(value, str):
        raise RowError(row, field, f"{field} must be a string")
    if required and not value.strip():
        raise RowError(row, field, f"{field} may not be empty")
    if len(value) > limit:
        raise RowError(row, field, f"{field} is longer than {limit} characters")
    return value


def clean_answers(value: Any, *, row: int | None, field: str = "data_answer", fill_defaults: bool = True) -> list:
    """An answer list (or its JSON text): at most 100 objects with `answer` (str), `ranking_number`
    (int >= 0) and `reserve` (0/1). Upload fills missing ranking/reserve with 0; a label save
    (`fill_defaults=False`) requires all three. Extra keys are kept."""

    def fail(sub: str, message: str):
        if row is None:
            raise InvalidInput(message, field=sub)
        raise RowError(row, sub, message)

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            fail(field, f"{field} is not valid JSON")
    if not isinstance(value, list):
        fail(field, f"{field} must be a list of answers")
    if len(value) > ANSWERS_MAX:
        fail(field, f"{field} has more than {ANSWERS_MAX} answers")
    answers = []
    for k, answer in enumerate(value):
        # Fast path (the common, complete answer): exact types, no copy. `type(x) is int` refuses bools.
        if type(answer) is dict:
            text, rank, reserve = answer.get("answer"), answer.get("ranking_number"), answer.get("reserve")
            if (
                type(text) is str
                and len(text) <= TEXT_MAX
                and type(rank) is int
                and rank >= 0
                and type(reserve) is int
                and (reserve == 0 or reserve == 1)
            ):
                answers.append(answer)
                continue
        where = f"{field}[{k}]"
        if not isinstance(answer, dict):
            fail(where, f"{where} must be an object")
        text = answer.get("answer")
        if text is None:
            fail(f"{where}.answer", f"{where}.answer is required")
        if not isinstance(text, str):
            fail(f"{where}.answer", f"{where}.answer must be a string")
        if len(text) > TEXT_MAX:
            fail(f"{where}.answer", f"{where}.answer is longer than {TEXT_MAX} characters")
        cleaned = dict(answer)
        for key, allowed in (("ranking_number", None), ("reserve", (0, 1))):
            sub = f"{where}.{key}"
            if key not in answer or answer[key] is None:
                if not fill_defaults:
                    fail(sub, f"{sub} is required")
                cleaned[key] = 0
                continue
            number = answer[key]
            if isinstance(number, bool) or not isinstance(number, int):
                fail(sub, f"{sub} must be an integer")
            if allowed is None and number < 0:
                fail(sub, f"{sub} must be 0 or more")
            if allowed is not None and number not in allowed:
                fail(sub, f"{sub} must be 0 or 1")
        answers.append(cleaned)
    return answers


def _optional(index: int, row: dict, field: str) -> str:
    value = row.get(field)
    if type(value) is str and len(value) <= TEXT_MAX:
        return value
    return _text(index, value, field, required=False)


def clean_row(index: int, row: Any) -> dict:
    """One uploaded row → the item's fields (`extra` holds unknown keys); raises RowError."""
    if not isinstance(row, dict):
        raise RowError(index, "(row)", "the row must be an object")
    question = row.get("data_question")
    if not (type(question) is str and len(question) <= TEXT_MAX and question.strip()):
        question = _text(index, question, "data_question", required=True)
    if row.get("data_answer") is None:
        raise RowError(index, "data_answer", "data_answer is required")
    answers = clean_answers(row["data_answer"], row=index)
    area = row.get("data_area")
    if not (type(area) is str and len(area) <= AREA_MAX and area.strip()):
        area = _text(index, area, "data_area", required=True, limit=AREA_MAX)
    background = _optional(index, row, "data_background")
    keyword = _optional(index, row, "data_keyword")
    other = _optional(index, row, "other")
    extra = {} if KNOWN_KEYS_SET.issuperset(row) else {k: v for k, v in row.items() if k not in KNOWN_KEYS_SET}
    return {
        "position": index,
        "background": background,
        "question": question,
        "answer": answers,
        "area": area,
        "keyword": keyword,
        "other": other,
        "extra": extra,
    }


def validate_rows(rows: Any, *, max_items: int) -> list[dict]:
    """Every row cleaned, or RowError for the first problem of the first bad row (nothing is written)."""
    if isinstance(rows, str):
        try:
            rows = json.loads(rows)
        except ValueError as exc:
            raise InvalidInput("dataset_json is not valid JSON", field="dataset_json") from exc
    if not isinstance(rows, list):
        raise InvalidInput("dataset_json must be a JSON array of rows", field="dataset_json")
    if not rows:
        raise InvalidInput("dataset_json has no rows", field="dataset_json")
    if len(rows) > max_items:
        raise TooLarge(f"at most {max_items} rows per upload", field="dataset_json", code=ErrorCode.TOO_LARGE)
    return [clean_row(index, row) for index, row in enumerate(rows)]


# --- files --------------------------------------------------------------------------------------------


def guess_format(filename: str, head: bytes = b"") -> str:
    """By extension; else sniffed: `[` → JSON array, `{` → JSON Lines, anything else → CSV."""
    lowered = (filename or "").lower()
    for fmt, suffixes in (("jsonl", (".jsonl", ".ndjson")), ("json", (".json",)), ("csv", (".csv",))):
        if lowered.endswith(suffixes):
            return fmt
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"[":
        return "json"
    if start == b"{":
        return "jsonl"
    return "csv"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RowError(None, "file", "the file is not UTF-8 text") from exc


def read_upload_file(fileobj: IO[bytes], *, filename: str = "", fmt: str | None = None) -> list:
    """The rows of an uploaded file: a JSON array, JSON Lines (one object per line) or CSV with a header
    row (`data_answer` as JSON text). A malformed line raises RowError with its 0-based row index."""
    data = fileobj.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    fmt = fmt or guess_format(filename, data[:64])
    if fmt not in FORMATS:
        raise RowError(None, "format", f"unknown format {fmt!r}; use json, jsonl or csv")
    text = _decode(data)
    if fmt == "json":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise RowError(None, "file", f"the file is not a valid JSON array: {exc}") from exc
        if not isinstance(rows, list):
            raise RowError(None, "file", "the JSON file must hold an array of rows")
        return rows
    if fmt == "jsonl":
        return list(_jsonl_rows(text.splitlines()))
    return list(_csv_rows(text))


def _jsonl_rows(lines: Iterable[str]):
    index = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise RowError(index, "(row)", f"line is not valid JSON: {exc}") from exc
        index += 1


def _csv_rows(text: str):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise RowError(None, "file", "the CSV file has no header row")
    for index, record in enumerate(reader):
        if None in record:
            raise RowError(index, "(row)", "the CSV line has more cells than the header")
        yield {key: value for key, value in record.items() if value is not None}
