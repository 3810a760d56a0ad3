"""Typed readers for configuration taken from the environment (no Django import)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)?\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """An environment variable holds a value the platform cannot use."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.replace("_", ""))
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_duration(text: str) -> timedelta:
    """`300`, `300s`, `5m`, `12h`, `7d` (a bare number is seconds)."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 300, 5m, 12h, 7d)")
    unit = (match.group(2) or "s")[0].lower()
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[unit])


def env_duration(name: str, default: timedelta) -> timedelta:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return parse_duration(value)
    except ConfigError as exc:
        raise ConfigError(f"{name}: {exc}") from exc
