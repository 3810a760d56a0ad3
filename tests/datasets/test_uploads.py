"""Pure upload reading and validation (qa-tasks.md §4.1) and parameter parsing (§1.3); no database."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from datasets.inputs import parse_flag, parse_time, require_id, require_id_list
from datasets.uploads import RowError, clean_row, guess_format, read_upload_file, validate_rows
from labelplatform.errors import InvalidInput, TooLarge
from tasks.statuses import dataset_status, expert_status, history_status, is_highlighted, manager_status, split_evenly
from tests.datasets.factories import row

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_clean_row_keeps_unknown_keys_and_fills_defaults():
    cleaned = clean_row(3, {"data_question": "q", "data_answer": '[{"answer": "a", "x": 1}]', "data_area": "m", "k": 2})
    assert cleaned == {
        "position": 3,
        "background": "",
        "question": "q",
        "answer": [{"answer": "a", "x": 1, "ranking_number": 0, "reserve": 0}],
        "area": "m",
        "keyword": "",
        "other": "",
        "extra": {"k": 2},
    }


def test_validate_rows_limits():
    with pytest.raises(TooLarge):
        validate_rows([row(0), row(1)], max_items=1)
    with pytest.raises(InvalidInput):
        validate_rows([], max_items=5)
    assert len(validate_rows(json.dumps([row(0)]), max_items=5)) == 1
    with pytest.raises(RowError) as bad:
        validate_rows([row(0), {**row(1), "data_answer": [{"answer": 1}]}], max_items=5)
    assert (bad.value.row, bad.value.field) == (1, "data_answer[0].answer")


def test_read_json_jsonl_and_csv_files():
    rows = [row(0), row(1, "law")]
    as_json = read_upload_file(io.BytesIO(json.dumps(rows).encode()), filename="x.json")
    as_jsonl = read_upload_file(
        io.BytesIO("\n".join(json.dumps(r) for r in rows).encode() + b"\n\n"), filename="x.jsonl"
    )
    csv_text = "data_question,data_answer,data_area,extra\n" + 'q1,"[{""answer"": ""a""}]",m,e1\n' + "q2,[],law,\n"
    as_csv = read_upload_file(io.BytesIO(("\ufeff" + csv_text).encode()), filename="x.csv")
    assert as_json == rows == as_jsonl
    assert as_csv == [
        {"data_question": "q1", "data_answer": '[{"answer": "a"}]', "data_area": "m", "extra": "e1"},
        {"data_question": "q2", "data_answer": "[]", "data_area": "law", "extra": ""},
    ]
    cleaned = validate_rows(as_csv, max_items=10)
    assert cleaned[0]["answer"] == [{"answer": "a", "ranking_number": 0, "reserve": 0}]


def test_malformed_files_name_the_line():
    with pytest.raises(RowError) as bad:
        read_upload_file(io.BytesIO(b'{"a": 1}\n{broken\n'), filename="rows.jsonl")
    assert bad.value.row == 1
    with pytest.raises(RowError) as bad:
        read_upload_file(io.BytesIO(b"[1, 2"), filename="rows.json")
    assert (bad.value.row, bad.value.field) == (None, "file")
    with pytest.raises(RowError):
        read_upload_file(io.BytesIO(b"\xff\xfe\x00"), filename="rows.csv")
    with pytest.raises(RowError) as bad:
        read_upload_file(io.BytesIO(b"a,b\n1,2,3\n"), filename="rows.csv")
    assert bad.value.row == 0


def test_format_is_sniffed_without_extension():
    assert guess_format("upload", b"  [") == "json"
    assert guess_format("upload", b"{") == "jsonl"
    assert guess_format("upload", b"data_question,") == "csv"
    assert guess_format("A.JSONL") == "jsonl"


# --- parameters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026/03/04", datetime(2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)),
        ("2026-03-04", datetime(2026, 3, 4, 23, 59, 59, tzinfo=SHANGHAI)),
        ("2026/03/04 08:30", datetime(2026, 3, 4, 8, 30, tzinfo=SHANGHAI)),
        ("2026-03-04 08:30:15", datetime(2026, 3, 4, 8, 30, 15, tzinfo=SHANGHAI)),
        ("2026-03-04T08:30:00Z", datetime(2026, 3, 4, 8, 30, tzinfo=UTC)),
        ("2026-03-04T08:30:00", datetime(2026, 3, 4, 8, 30, tzinfo=SHANGHAI)),
        (1772584200000, datetime(2026, 3, 4, 0, 30, tzinfo=UTC)),
        ("1772584200000", datetime(2026, 3, 4, 0, 30, tzinfo=UTC)),
    ],
)
def test_time_formats(text, expected):
    assert parse_time(text, "due_time", tz=SHANGHAI) == expected


@pytest.mark.parametrize("text", ["", None, "soon", "2026/13/01", True, [], "9" * 30])
def test_bad_times(text):
    with pytest.raises(InvalidInput) as bad:
        parse_time(text, "due_time", tz=SHANGHAI)
    assert bad.value.field == "due_time"


def test_id_lists_in_every_spelling():
    assert require_id_list({"ids": [3, "4"]}, "ids") == [3, 4]
    assert require_id_list({"ids": "[5, 6]"}, "ids") == [5, 6]
    assert require_id_list(QueryDict("ids=7&ids=8"), "ids") == [7, 8]
    assert require_id_list(QueryDict("ids[]=7&ids[]=9"), "ids") == [7, 9]
    assert require_id_list(QueryDict("ids=10"), "ids") == [10]
    for bad in ({"ids": []}, {"ids": "[1, 1]"}, {"ids": [1.5]}, {"ids": [0]}, {}, {"ids": {"a": 1}}):
        with pytest.raises(InvalidInput):
            require_id_list(bad, "ids")


def test_ids_and_flags():
    assert require_id({"x": " 12 "}, "x") == 12
    for bad in ({"x": True}, {"x": "1e3"}, {"x": 2**64}, {"x": -1}):
        with pytest.raises(InvalidInput):
            require_id(bad, "x")
    assert parse_flag("1", "f") == 1 and parse_flag(0, "f") == 0
    for bad in (True, 2, "yes", None, 1.0):
        with pytest.raises(InvalidInput):
            parse_flag(bad, "f")


# --- statuses -------------------------------------------------------------------------------------------


def test_status_rules():
    now = datetime(2026, 1, 2, tzinfo=UTC)
    before, after = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
    assert expert_status(done=2, total=2, due_time=before, now=now) == "已完成"
    assert expert_status(done=1, total=2, due_time=before, now=now) == "超时"
    assert expert_status(done=0, total=2, due_time=after, now=now) == "未开始"
    assert expert_status(done=1, total=2, due_time=after, now=now) == "未完成"
    assert manager_status(done=0, total=2, due_time=after, now=now) == "已分配"
    assert manager_status(done=1, total=2, due_time=after, now=now) == "标注中"
    assert manager_status(done=1, total=2, due_time=before, now=now) == "超时"
    assert history_status(done=2, total=2, handed_over=True) == "已移交"
    assert history_status(done=2, total=2, handed_over=False) == "已完成"
    assert history_status(done=0, total=0, handed_over=False) == "标注中"
    assert dataset_status(closed=True, total=1, labeled=1, assigned=1) == "已结束"
    assert dataset_status(closed=False, total=2, labeled=2, assigned=2) == "已完成"
    assert dataset_status(closed=False, total=2, labeled=0, assigned=1) == "已分配"
    assert dataset_status(closed=False, total=2, labeled=0, assigned=0) == "未分配"
    assert is_highlighted(is_highlight=True, done=1, total=1) == 0
    assert is_highlighted(is_highlight=True, done=0, total=1) == 1
    assert split_evenly(10, 3) == [4, 3, 3] and split_evenly(2, 3) == [1, 1, 0]
