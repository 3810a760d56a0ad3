"""Reading seed 001 requests field by field, refusing in the seed's words (alerts.md §3).

`DeviceBody` reads a device's JSON body (token in the body `token` or the Bearer header);
`WatcherQuery` reads a watcher's GET query string (token in `?token=` or the Bearer header). Each refusal
raises the envelope answer at once, before anything is written.
"""

from __future__ import annotations

from datetime import datetime

from rest_framework import exceptions

from accounts.authentication import find_token
from accounts.families import alert_answer
from alerts import inputs
from alerts.devices import device_for_token, watcher_for_token
from alerts.errors import (
    AlertMessage,
    missing_field,
    missing_param,
    missing_value,
    wrong_param,
    wrong_type,
    wrong_value,
)
from alerts.models import Device
from alerts.services import alerts_zone

_ABSENT = object()


class Fields:
    """Named values of a JSON object (a REST body or a device websocket message), read in the seed's words."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def present(self, name: str, *, required: bool = True):
        value = self.data.get(name, _ABSENT)
        if value is _ABSENT:
            if required:
                raise alert_answer(400, missing_field(name))
            return None
        if value is None or value == "":
            if required:
                raise alert_answer(400, missing_value(name))
            return None
        return value

    def require(self, *names: str) -> None:
        for name in names:
            self.present(name)

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.present(name, required=required)
        if value is not None and not isinstance(value, str):
            raise alert_answer(400, wrong_type(name))
        return value

    def integer(self, name: str, *, required: bool = True) -> int | None:
        value = self.present(name, required=required)
        if value is None:
            return None
        try:
            return inputs.parse_int(value)
        except inputs.OutOfRange as exc:
            raise alert_answer(400, wrong_value(name)) from exc
        except inputs.BadValue as exc:
            raise alert_answer(400, wrong_type(name)) from exc

    def date(self, name: str) -> datetime:
        value = self.present(name)
        if not isinstance(value, str):
            raise alert_answer(400, wrong_type(name))
        try:
            return inputs.parse_datetime(value, alerts_zone())
        except inputs.BadValue as exc:
            raise alert_answer(400, AlertMessage.BAD_DATE) from exc


class DeviceBody(Fields):
    """A device's JSON object body; `required` keys must be present with a value, after the token."""

    token_sources = ("body:token", "header")

    def __init__(self, request, *, required: tuple[str, ...] = ()) -> None:
        self.request = request
        try:
            data = request.data
        except (exceptions.ParseError, exceptions.UnsupportedMediaType):
            data = None
        if not isinstance(data, dict) or not data:
            raise alert_answer(400, AlertMessage.NO_INPUT)
        super().__init__(data)
        if required:
            self.raw_token = self._token()
            self.require(*required)

    def _token(self) -> str:
        raw = find_token(self.request, self.token_sources)
        if raw is not None:
            return raw
        value = self.data.get("token", _ABSENT)
        if value is _ABSENT:
            raise alert_answer(400, missing_field("token"))
        if value is None or value == "":
            raise alert_answer(400, missing_value("token"))
        raise alert_answer(400, wrong_type("token"))

    def device(self) -> Device:
        return device_for_token(self.raw_token)


class WatcherQuery:
    """A watcher's query string; `watcher()` must be called first (nothing is said to strangers)."""

    token_sources = ("query:token", "header")

    def __init__(self, request) -> None:
        self.request = request
        self.params = request.query_params

    def watcher(self):
        raw = find_token(self.request, self.token_sources)
        if raw is None:
            raise alert_answer(400, missing_param("token"))
        return watcher_for_token(raw)

    def _value(self, name: str, *, required: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise alert_answer(400, missing_param(name))
            return None
        return value

    def integer(
        self,
        name: str,
        *,
        default: int | None = None,
        required: bool = False,
        minimum: int = 0,
        maximum: int = inputs.MAX_INT,
    ) -> int | None:
        value = self._value(name, required=required)
        if value is None:
            return default
        try:
            return inputs.parse_int(value, minimum=minimum, maximum=maximum)
        except inputs.BadValue as exc:
            raise alert_answer(400, wrong_param(name)) from exc

    def text(self, name: str) -> str | None:
        value = self._value(name)
        if value is not None and len(value) > 255:
            raise alert_answer(400, wrong_param(name))
        return value

    def choice(self, name: str, choices, *, lower: bool = False) -> str | None:
        value = self._value(name)
        if value is None:
            return None
        if lower:
            value = value.lower()
        if value not in choices:
            raise alert_answer(400, wrong_param(name))
        return value

    def boolean(self, name: str) -> bool | None:
        value = self._value(name)
        if value is None:
            return None
        try:
            return inputs.parse_bool(value)
        except inputs.BadValue as exc:
            raise alert_answer(400, wrong_param(name)) from exc

    def date(self, name: str) -> datetime | None:
        value = self._value(name)
        if value is None:
            return None
        try:
            return inputs.parse_datetime(value, alerts_zone())
        except inputs.BadValue as exc:
            raise alert_answer(400, wrong_param(name)) from exc

    def date_pair(self, first: str, second: str) -> tuple[datetime | None, datetime | None]:
        """Both or neither (an inclusive range)."""
        start, end = self.date(first), self.date(second)
        if (start is None) != (end is None):
            raise alert_answer(400, missing_param(second if end is None else first))
        return start, end
