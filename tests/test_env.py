"""labelplatform/env.py: typed readers of the environment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labelplatform.env import (
    ConfigError,
    env_bool,
    env_duration,
    env_int,
    env_list,
    env_str,
    parse_duration,
)

NAME = "LP_TEST_SETTING"


@pytest.fixture(autouse=True)
def _unset(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300", timedelta(seconds=300)),
        ("0", timedelta(0)),
        ("300s", timedelta(seconds=300)),
        ("45 sec", timedelta(seconds=45)),
        ("1 second", timedelta(seconds=1)),
        ("10 seconds", timedelta(seconds=10)),
        ("5m", timedelta(minutes=5)),
        ("5min", timedelta(minutes=5)),
        ("1 minute", timedelta(minutes=1)),
        ("15 minutes", timedelta(minutes=15)),
        ("12h", timedelta(hours=12)),
        ("1 hour", timedelta(hours=1)),
        ("2 hours", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("1 day", timedelta(days=1)),
        ("365 days", timedelta(days=365)),
        ("1.5h", timedelta(minutes=90)),
        ("0.5d", timedelta(hours=12)),
        ("  7d  ", timedelta(days=7)),
        ("7D", timedelta(days=7)),
        ("5M", timedelta(minutes=5)),
        ("2 Hours", timedelta(hours=2)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", " ", "abc", "7 weeks", "5w", "-5m", "-1", "5ms", "1 month", "d", "1.d", ".5h", "5 m s", "1e3", "7dd", "h7"],
)
def test_parse_duration_refuses(text):
    with pytest.raises(ConfigError) as refused:
        parse_duration(text)
    assert repr(text) in str(refused.value)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_env_duration(monkeypatch):
    default = timedelta(days=7)
    assert env_duration(NAME, default) == default
    monkeypatch.setenv(NAME, "")
    assert env_duration(NAME, default) == default
    monkeypatch.setenv(NAME, "   ")
    assert env_duration(NAME, default) == default
    monkeypatch.setenv(NAME, "90m")
    assert env_duration(NAME, default) == timedelta(minutes=90)
    monkeypatch.setenv(NAME, "soon")
    with pytest.raises(ConfigError) as refused:
        env_duration(NAME, default)
    assert NAME in str(refused.value)
    assert "'soon'" in str(refused.value)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", "yes", "YES", "on", " on ", "On"])
def test_env_bool_true(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, False) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "off", "", "  ", " Off "])
def test_env_bool_false(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_gives_default(default):
    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("value", ["2", "maybe", "y", "n", "truee", "enabled", "-1"])
def test_env_bool_errors(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ConfigError) as refused:
        env_bool(NAME, True)
    assert NAME in str(refused.value)
    assert repr(value) in str(refused.value)


def test_env_int(monkeypatch):
    assert env_int(NAME, 8000) == 8000
    monkeypatch.setenv(NAME, "")
    assert env_int(NAME, 8000) == 8000
    monkeypatch.setenv(NAME, "9000")
    assert env_int(NAME, 8000) == 9000
    monkeypatch.setenv(NAME, "31_536_000")
    assert env_int(NAME, 0) == 31536000
    monkeypatch.setenv(NAME, " 42 ")
    assert env_int(NAME, 0) == 42
    monkeypatch.setenv(NAME, "-3")
    assert env_int(NAME, 0) == -3


@pytest.mark.parametrize("value", ["eight", "1.5", "0x10", "1e3"])
def test_env_int_errors(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ConfigError) as refused:
        env_int(NAME, 0)
    assert NAME in str(refused.value)


def test_env_str(monkeypatch):
    assert env_str(NAME) is None
    assert env_str(NAME, "fallback") == "fallback"
    monkeypatch.setenv(NAME, "")
    assert env_str(NAME, "fallback") == "fallback"
    monkeypatch.setenv(NAME, "value")
    assert env_str(NAME, "fallback") == "value"


def test_env_list(monkeypatch):
    assert env_list(NAME) == []
    assert env_list(NAME, ["a"]) == ["a"]
    default = ["x"]
    result = env_list(NAME, default)
    result.append("y")
    assert default == ["x"]  # the default is copied, never shared
    monkeypatch.setenv(NAME, " ")
    assert env_list(NAME, ["a"]) == ["a"]
    monkeypatch.setenv(NAME, "https://a.example, https://b.example ,,")
    assert env_list(NAME) == ["https://a.example", "https://b.example"]
