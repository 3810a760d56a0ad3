"""Streamed exports (qa-tasks.md §4.6) and the `import_dataset` / `export_dataset` commands (§8)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from datasets import exports
from datasets.models import Dataset
from tasks import services
from tests.datasets.factories import row, uploaded_dataset
from tests.datasets.helpers import expert, manager
from tests.tasks.factories import assigned

pytestmark = pytest.mark.django_db


@pytest.fixture
def labeled_dataset():
    boss = manager()
    dataset = uploaded_dataset(name="export me", areas={"medicine": 3}, by=boss)
    doc = expert(username="doc")
    [task] = assigned(dataset, experts=[doc], by=boss)
    first = task.items.order_by("position").first()
    answers = [{"answer": "答", "ranking_number": 1, "reserve": 1}]
    services.label_item(item_id=first.pk, by=doc, question="改过", answers=answers, data_reserve=1)
    return dataset


def joined(dataset, fmt, **kwargs) -> str:
    return b"".join(exports.export_chunks(dataset, fmt, **kwargs)).decode("utf-8")


def test_json_jsonl_and_csv_agree(labeled_dataset):
    as_json = json.loads(joined(labeled_dataset, "json", chunk_size=1))["response"]
    as_jsonl = [json.loads(line) for line in joined(labeled_dataset, "jsonl").splitlines()]
    assert as_json == as_jsonl
    assert [r["data_question"] for r in as_json] == ["改过", "question 1?", "question 2?"]
    assert [r["expert_name"] for r in as_json] == ["doc", "-", "-"]
    records = list(csv.DictReader(io.StringIO(joined(labeled_dataset, "csv"))))
    assert [r["data_question"] for r in records] == ["改过", "question 1?", "question 2?"]
    assert json.loads(records[0]["data_answer"]) == as_json[0]["data_answer"]
    assert (records[0]["data_reserve"], records[1]["data_reserve"]) == ("1", "")
    assert list(records[0])[:8] == list(exports.COLUMNS)


def test_csv_of_an_export_imports_back(labeled_dataset, tmp_path):
    path = tmp_path / "round.csv"
    path.write_text(joined(labeled_dataset, "csv"), encoding="utf-8")
    out = io.StringIO()
    call_command("import_dataset", str(path), "--name", "again", "--task-type", "qa", "--source", "s", stdout=out)
    copy = Dataset.objects.get(pk=int(out.getvalue()))
    assert list(copy.items.order_by("position").values_list("question", flat=True)) == [
        "改过", "question 1?", "question 2?",
    ]  # fmt: skip


def test_chunks_are_bounded_and_empty_dataset():
    dataset = Dataset.objects.create(name="empty", task_type="t", source="s")
    assert json.loads(joined(dataset, "json")) == {"response": []}
    assert joined(dataset, "jsonl") == ""
    assert joined(dataset, "csv").strip() == ",".join(exports.COLUMNS)
    big = uploaded_dataset(areas={"m": 1200})
    chunks = list(exports.export_chunks(big, "jsonl", chunk_size=100))
    assert len(chunks) == 3  # 500 rows per chunk: memory does not grow with the dataset
    with pytest.raises(ValueError):
        list(exports.export_chunks(big, "xml"))


def test_export_command_writes_every_format(labeled_dataset, tmp_path):
    for fmt in exports.FORMATS:
        target = tmp_path / f"out.{fmt}"
        call_command("export_dataset", str(labeled_dataset.pk), "--format", fmt, "--output", str(target))
        assert target.read_bytes() == b"".join(exports.export_chunks(labeled_dataset, fmt))
    out = io.StringIO()
    call_command("export_dataset", str(labeled_dataset.pk), stdout=out)
    assert json.loads(out.getvalue())["response"][0]["data_question"] == "改过"
    with pytest.raises(CommandError):
        call_command("export_dataset", "999")


def test_import_command_validates_like_the_upload(tmp_path):
    boss = manager(username="boss")
    good = tmp_path / "rows.jsonl"
    good.write_text("\n".join(json.dumps(row(i)) for i in range(3)), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_dataset", str(good), "--name", "n", "--task-type", "t", "--source", "s", "--uploaded-by", "boss",
        stdout=out,
    )  # fmt: skip
    dataset = Dataset.objects.get(pk=int(out.getvalue()))
    assert dataset.items.count() == 3 and dataset.uploaded_by == boss
    bad = tmp_path / "rows.json"
    bad.write_text(json.dumps([row(0), {**row(1), "data_area": ""}]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"row 1, data_area"):
        call_command("import_dataset", str(bad), "--name", "n", "--task-type", "t", "--source", "s")
    with pytest.raises(CommandError, match="no user"):
        call_command(
            "import_dataset", str(good), "--name", "n", "--task-type", "t", "--source", "s", "--uploaded-by", "x"
        )
    with pytest.raises(CommandError, match="dataset_name"):
        call_command("import_dataset", str(good), "--name", " ", "--task-type", "t", "--source", "s")
    assert Dataset.objects.count() == 1
