"""Seed 001's error messages (alerts.md §3), verbatim including the original's typos, in one enum.

Services raise `labelplatform.errors` exceptions carrying these messages; `accounts.families.alert_error`
turns them into the envelope `{"code", "status_code", "error"}`. `Unauthorized` adds the 401 the seed uses
for device passwords and tokens.
"""

from __future__ import annotations

from enum import StrEnum

from labelplatform.errors import DomainError


class Unauthorized(DomainError):
    status = 401


class AlertMessage(StrEnum):
    NO_INPUT = "No input data provided"
    BAD_DATE = "date fields must be in '%Y-%m-%d %H:%M:%S' format."
    BEHAVIOR_UNKNOWN = "Behavior Unknow."
    BAD_MAC = "Mac doesn't has correct format."
    TRUCK_UNKNOWN = "Truck_id doesn't exists."
    ALERT_UNKNOWN = "Alert_id doesn't exists."
    END_BEFORE_INIT = "alert_end must not be before alert_init."
    NOT_BASE64 = "Frame is not valid base64."
    NOT_AN_IMAGE = "Frame is not a valid JPEG or PNG image."
    WRONG_TOKEN = "Wrong token"
    WRONG_PASSWORD = "Wrong password."
    DEVICE_UNKNOWN = "Jetson device dosen't exists"
    NO_PERMISSION = "Current user don't has permission"
    DEVICE_DISABLED = "Device is disabled."
    FOREIGN_TRUCK = "Truck doesn't belong to this device."
    FOREIGN_ALERT = "Alert doesn't belong to this device."
    NO_FRAME_YET = "No frame for this truck yet."
    TRUCK_TAKEN = "Truck already register."
    ALERT_CLOSED = "Alert is already closed."
    PASSWORD_TOO_LARGE = "Password is too large."
    FRAME_TOO_LARGE = "Frame is too large."
    BINARY_WITHOUT_HEADER = "Binary frame without header."
    BINARY_EXPECTED = "Binary frame expected after the header."
    TOO_MANY_REQUESTS = "Too many requests."


def missing_field(name: str) -> str:
    return f'Missing "{name}" field in payload'


def missing_value(name: str) -> str:
    return f'Missing value for "{name}" field in payload'


def wrong_type(name: str) -> str:
    return f'Wrong type for "{name}" field in payload'


def wrong_value(name: str) -> str:
    return f'Wrong value for "{name}" field in payload'


def missing_param(name: str) -> str:
    return f'Missing "{name}" parameter in query'


def wrong_param(name: str) -> str:
    return f'Wrong value for "{name}" parameter in query'
