"""Reading seed 002 parameters (qa-tasks.md §1.3): ids, id lists, times and JSON-or-text values.

The original front-end sends JSON bodies, form bodies or query strings, and sometimes the JSON text of a
value (`JSON.stringify`); these helpers accept each documented spelling and raise InvalidInput naming the
parameter otherwise. No Django models here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, tzinfo
from typing import Any

from labelplatform.errors import InvalidInput

_DIGITS = re.compile(r"^\s*\d+\s*$")
_DATE_ONLY = ("%Y/%m/%d", "%Y-%m-%d")
_DATE_TIME = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
ID_MAX = 2**63 - 1


def _values(params: Any, name: str) -> list:
    """All values sent under `name` (repeated form keys, `name[]`), else the single value."""
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        values = getlist(name) or getlist(f"{name}[]")
        if values:
            return values
        return []
    value = params.get(name) if hasattr(params, "get") else None
    return [] if value is None else [value]


def get_value(params: Any, name: str) -> Any:
    values = _values(params, name)
    return values[-1] if values else None


def parse_id(value: Any, name: str) -> int:
    """A positive integer id; digit strings are accepted."""
    if value is None or value == "":
        raise InvalidInput(f"{name} is required", field=name)
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be an integer", field=name)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
    else:
        raise InvalidInput(f"{name} must be an integer", field=name)
    if not 0 < number <= ID_MAX:
        raise InvalidInput(f"{name} must be a positive integer", field=name)
    return number


def require_id(params: Any, name: str) -> int:
    return parse_id(get_value(params, name), name)


def require_id_list(params: Any, name: str) -> list[int]:
    """A non-empty list of distinct ids: a JSON array, its JSON text, or repeated form keys."""
    values = _values(params, name)
    if not values:
        raise InvalidInput(f"{name} is required", field=name)
    if len(values) == 1:
        value = values[0]
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    raise InvalidInput(f"{name} is not a valid JSON array", field=name) from exc
            else:
                value = [value]
        elif not isinstance(value, list):
            value = [value]
    else:
        value = values
    if not isinstance(value, list) or not value:
        raise InvalidInput(f"{name} must be a non-empty list of ids", field=name)
    ids = [parse_id(item, name) for item in value]
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"{name} lists an id twice", field=name)
    return ids


def optional_text(params: Any, name: str, *, limit: int, default: str | None = "") -> str | None:
    value = get_value(params, name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    if len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    return value


def require_text(params: Any, name: str, *, limit: int | None = None) -> str:
    value = get_value(params, name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(f"{name} is required", field=name)
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", field=name)
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"{name} is longer than {limit} characters", field=name)
    return value


def parse_time(value: Any, name: str, *, tz: tzinfo) -> datetime:
    """`YYYY/MM/DD` or `YYYY-MM-DD` (23:59:59 that day), `YYYY/MM/DD HH:MM[:SS]`, `YYYY-MM-DD HH:MM[:SS]`,
    ISO 8601, or epoch milliseconds (a number or digit string); naive times are in `tz`."""
    if value is None or value == "":
        raise InvalidInput(f"{name} is required", field=name)
    if isinstance(value, bool):
        raise InvalidInput(f"{name} is not a time", field=name)
    if isinstance(value, int | float) or (isinstance(value, str) and _DIGITS.match(value)):
        try:
            return datetime.fromtimestamp(int(value) / 1000, tz=tz)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(f"{name} is out of range", field=name) from exc
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a time", field=name)
    text = value.strip()
    for pattern in _DATE_ONLY:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    for pattern in _DATE_TIME:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{name} is not a time (use YYYY/MM/DD HH:MM:SS)", field=name) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def require_time(params: Any, name: str, *, tz: tzinfo) -> datetime:
    return parse_time(get_value(params, name), name, tz=tz)


def parse_flag(value: Any, name: str) -> int:
    """0 or 1 (digit strings accepted; booleans refused)."""
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value)
    if isinstance(value, bool) or value not in (0, 1) or not isinstance(value, int):
        if value is None or value == "":
            raise InvalidInput(f"{name} is required", field=name)
        raise InvalidInput(f"{name} must be 0 or 1", field=name)
    return value


def json_value(value: Any, name: str) -> Any:
    """The value itself, or the value encoded in its JSON text (`JSON.stringify` on the front-end)."""
    if value is None or value == "":
        raise InvalidInput(f"{name} is required", field=name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise InvalidInput(f"{name} is not valid JSON", field=name) from exc
    return value
