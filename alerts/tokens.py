"""Device JWTs (alerts.md §1): their own kind of token, never a user token and never taking one.

A device token is a simplejwt token with `token_type` "device" and claims `device_id`, `truck_id`, `mac`,
`token_version`, living `DEVICE_TOKEN_LIFETIME`. It is valid while its device is active and its
`token_version` equals the device's (disabling, a new password or "revoke tokens" bump the version).
`accounts.tokens.authenticate_user_token` refuses it because of its type; this module refuses user
tokens for the same reason.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework_simplejwt.tokens import Token

from accounts.tokens import TokenRejected, decode_token
from alerts.models import Device

DEVICE_TOKEN_TYPE = "device"


class DeviceToken(Token):
    token_type = DEVICE_TOKEN_TYPE

    @property
    def lifetime(self):  # read per token, so tests and settings overrides apply
        return settings.DEVICE_TOKEN_LIFETIME


class DeviceDisabled(Exception):
    """A well-formed token of a disabled device (403 `Device is disabled.`)."""


def issue_device_token(device: Device) -> str:
    """A fresh device JWT for `device` (and its truck)."""
    token = DeviceToken()
    token["device_id"] = device.pk
    token["truck_id"] = device.truck.pk
    token["mac"] = device.mac
    token["token_version"] = device.token_version
    return str(token)


def authenticate_device_token(raw: str) -> Device:
    """The device a device token names, read now with its truck.

    Raises `TokenRejected` (401 `Wrong token`: bad signature, expired, another token kind, unknown device,
    revoked version) or `DeviceDisabled` (403).
    """
    claims = decode_token(raw)
    if claims.get("token_type") != DEVICE_TOKEN_TYPE:
        raise TokenRejected("Token has wrong type", code="token_wrong_type")
    device_id = claims.get("device_id")
    if not isinstance(device_id, int) or isinstance(device_id, bool):
        raise TokenRejected("Token has no device", code="token_invalid")
    device = Device.objects.select_related("truck").filter(pk=device_id).first()
    if device is None or not hasattr(device, "truck"):
        raise TokenRejected("Device not found", code="device_not_found")
    if not device.is_active:
        raise DeviceDisabled()
    if claims.get("token_version") != device.token_version:
        raise TokenRejected("Token has been revoked", code="token_revoked")
    return device
