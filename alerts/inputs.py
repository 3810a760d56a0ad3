"""Seed 001 input formats: MAC addresses, dates and integers (alerts.md §4.1). Pure: no Django import.

Each parser raises `BadValue` with no message; callers word the refusal in the seed's terms.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

SEED_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
OUTPUT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$")
_DIGITS = re.compile(r"^[0-9]{1,18}$")
MAX_INT = 2**31 - 1


class BadValue(ValueError):
    """The value cannot be read as the wanted type."""


class OutOfRange(BadValue):
    """A number of the right type outside the accepted range."""


def normalise_mac(text: object) -> str:
    """Six hex pairs separated all by `:` or all by `-`, returned lower case with `:`."""
    if not isinstance(text, str) or not _MAC.match(text):
        raise BadValue
    return text.lower().replace("-", ":")


def parse_datetime(text: object, zone: tzinfo) -> datetime:
    """The seed's `%Y-%m-%d %H:%M:%S` or ISO 8601; a value without offset is in `zone`. Aware result."""
    if not isinstance(text, str):
        raise BadValue
    text = text.strip()
    try:
        if _ISO.match(text):
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            value = datetime.strptime(text, SEED_DATE_FORMAT)
    except ValueError as exc:
        raise BadValue from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value


def format_datetime(value: datetime | None, zone: tzinfo) -> str | None:
    """`YYYY-MM-DDTHH:MM:SS` in `zone`, no offset, as the seed prints it; None stays None."""
    if value is None:
        return None
    return value.astimezone(zone).strftime(OUTPUT_DATE_FORMAT)


def parse_int(value: object, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An int, or a string of digits (the seed's clients send both); bool is refused.

    Raises `BadValue` for a wrong type and `OutOfRange` for a number outside [minimum, maximum].
    """
    if isinstance(value, bool):
        raise BadValue
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        number = int(value.strip())
    elif isinstance(value, str) and value.strip().startswith("-") and _DIGITS.match(value.strip()[1:]):
        raise OutOfRange
    else:
        raise BadValue
    if number < minimum or number > maximum:
        raise OutOfRange
    return number


def parse_bool(text: object) -> bool:
    """`true`/`false`/`1`/`0`, case-insensitive (the seed's `started=True`)."""
    if isinstance(text, str):
        lowered = text.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    raise BadValue
