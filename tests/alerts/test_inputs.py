"""alerts/inputs.py: MACs, dates and integers in the seed's forms (alerts.md §4.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts import inputs

SANTIAGO = ZoneInfo("America/Santiago")


@pytest.mark.parametrize(
    ("text", "mac"),
    [("dc:71:96:53:16:0a", "dc:71:96:53:16:0a"), ("DC-71-96-53-16-0A", "dc:71:96:53:16:0a")],
)
def test_mac_normalised(text, mac):
    assert inputs.normalise_mac(text) == mac


@pytest.mark.parametrize(
    "text", ["", "<dc:71:96:53:16:0a>", "dc:71:96:53:16", "dc:71-96:53:16:0a", "dc719653160a", "gg:71:96:53:16:0a", 5]
)
def test_bad_mac(text):
    with pytest.raises(inputs.BadValue):
        inputs.normalise_mac(text)


def test_dates_in_both_forms_and_zones():
    assert inputs.parse_datetime("2020-02-19 12:59:02", UTC) == datetime(2020, 2, 19, 12, 59, 2, tzinfo=UTC)
    local = inputs.parse_datetime("2020-02-19 12:59:02", SANTIAGO)
    assert local.utcoffset() == timedelta(hours=-3)
    assert inputs.parse_datetime("2020-02-19T12:59:02Z", SANTIAGO) == datetime(2020, 2, 19, 12, 59, 2, tzinfo=UTC)
    offset = inputs.parse_datetime("2020-02-19T12:59:02.250+02:00", UTC)
    assert offset == datetime(2020, 2, 19, 10, 59, 2, 250000, tzinfo=UTC)
    assert inputs.format_datetime(offset, UTC) == "2020-02-19T10:59:02"
    assert inputs.format_datetime(datetime(2020, 2, 19, 15, 59, 2, tzinfo=UTC), SANTIAGO) == "2020-02-19T12:59:02"
    assert inputs.format_datetime(None, UTC) is None
    assert inputs.parse_datetime("2020-02-19T12:59:02", UTC).tzinfo is not None


@pytest.mark.parametrize("text", ["", "2020-02-30 10:00:00", "19/02/2020", "2020-02-19", "yesterday", None, 1582117142])
def test_bad_dates(text):
    with pytest.raises(inputs.BadValue):
        inputs.parse_datetime(text, UTC)


def test_integers():
    assert inputs.parse_int(3) == 3
    assert inputs.parse_int("42") == 42
    for value in ("x", 1.5, None, True, [1], "4 2"):
        with pytest.raises(inputs.BadValue):
            inputs.parse_int(value)
    for value in (-1, "-1", 2**31, "99999999999"):
        with pytest.raises(inputs.OutOfRange):
            inputs.parse_int(value)


def test_booleans():
    assert [inputs.parse_bool(v) for v in ("True", "false", "1", "0")] == [True, False, True, False]
    with pytest.raises(inputs.BadValue):
        inputs.parse_bool("yes")
