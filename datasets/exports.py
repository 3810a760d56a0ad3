"""Streamed dataset exports: JSON (the seed's `{"response": [...]}`), JSON Lines and CSV (qa-tasks.md §4.6).

Rows come in keyset pages of `chunk_size` (datasets.selectors.items_for_export) and text is yielded in
chunks, so memory stays flat whatever the dataset's size. `/dataset/download`, the admin and `export_dataset` share it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse

from datasets.models import Dataset
from datasets.selectors import items_for_export
from labelplatform.streaming import streaming_response

FORMATS = ("json", "jsonl", "csv")
COLUMNS = (
    "data_background", "data_question", "data_answer", "data_area", "data_keyword", "other", "expert_name",
    "data_reserve",
)  # fmt: skip
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
ROWS_PER_CHUNK = 500


def export_row(values: tuple) -> dict:
    """One item's exported object: current values, the latest labeler or "-", then its extra keys."""
    (background, question, labeled_question, answer, labeled_answer, area, keyword, other, labeler, reserve, extra) = (
        values
    )
    row = {
        "data_background": background,
        "data_question": labeled_question if labeled_question is not None else question,
        "data_answer": labeled_answer if labeled_answer is not None else answer,
        "data_area": area,
        "data_keyword": keyword,
        "other": other,
        "expert_name": labeler or "-",
        "data_reserve": reserve,
    }
    for key, value in (extra or {}).items():
        row.setdefault(key, value)
    return row


def _rows(dataset: Dataset, chunk_size: int) -> Iterator[dict]:
    for values in items_for_export(dataset, chunk_size=chunk_size):
        yield export_row(values)


def _batched(lines: Iterable[str], size: int = ROWS_PER_CHUNK) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def json_chunks(rows: Iterable[dict]) -> Iterator[str]:
    def pieces() -> Iterator[str]:
        yield '{"response": ['
        for index, row in enumerate(rows):
            yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    return _batched(pieces())


def jsonl_chunks(rows: Iterable[dict]) -> Iterator[str]:
    return _batched(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def csv_chunks(rows: Iterable[dict]) -> Iterator[str]:
    """The same columns as JSON plus every extra key seen in the first row; `data_answer` as JSON text."""

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = None
        for row in rows:
            if writer is None:
                header = list(COLUMNS) + [key for key in row if key not in COLUMNS]
                writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
                writer.writeheader()
            cells = dict(row)
            cells["data_answer"] = json.dumps(row["data_answer"], ensure_ascii=False)
            cells["data_reserve"] = "" if row["data_reserve"] is None else row["data_reserve"]
            for key, value in cells.items():
                if isinstance(value, dict | list) and key != "data_answer":
                    cells[key] = json.dumps(value, ensure_ascii=False)
            writer.writerow(cells)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if writer is None:
            csv.writer(buffer).writerow(COLUMNS)
            yield buffer.getvalue()

    return _batched(lines())


def export_chunks(dataset: Dataset, fmt: str = "json", *, chunk_size: int = 2000) -> Iterator[bytes]:
    """UTF-8 chunks of the whole dataset in `fmt` (json, jsonl or csv)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    make = {"json": json_chunks, "jsonl": jsonl_chunks, "csv": csv_chunks}[fmt]
    return (chunk.encode("utf-8") for chunk in make(_rows(dataset, chunk_size)))


def content_type(fmt: str) -> str:
    return CONTENT_TYPES[fmt]


def filename(dataset: Dataset, fmt: str) -> str:
    """`<dataset name>.<ext>`, with characters that would break a header or a path replaced."""
    safe = "".join("_" if ch in '"\\/\r\n\t' or ord(ch) < 32 else ch for ch in dataset.name).strip() or "dataset"
    return f"{safe}.{fmt}"


def content_disposition(dataset: Dataset, fmt: str) -> str:
    """`attachment; filename="<name>.<ext>"` as the spec shows; a non-ASCII name (headers are Latin-1) gets
    an ASCII fallback plus RFC 6266's `filename*` with the exact name, which browsers prefer."""
    from urllib.parse import quote

    name = filename(dataset, fmt)
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    if ascii_name == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def streaming_export(dataset: Dataset, fmt: str, *, request: HttpRequest | None = None) -> StreamingHttpResponse:
    """The export as an attachment, streamed with flat memory under WSGI and ASGI alike."""
    response = streaming_response(request, export_chunks(dataset, fmt), content_type=content_type(fmt))
    response["Content-Disposition"] = content_disposition(dataset, fmt)
    return response
