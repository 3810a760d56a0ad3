"""Who is calling: a device (device JWT) or a watcher (user JWT), answered in the seed's envelope.

Shared by the REST views and the websocket consumers, so both refuse the same tokens with the same
words: a bad, expired, revoked or wrong-kind token is 401 `Wrong token`; a disabled device is 403
`Device is disabled.`; a valid user who may not watch alerts is 403 `Current user don't has permission`.
"""

from __future__ import annotations

from accounts.tokens import TokenRejected, UserBlacklisted, authenticate_user_token
from alerts import selectors, services
from alerts.errors import AlertMessage, Unauthorized
from alerts.models import Device
from alerts.tokens import DeviceDisabled, authenticate_device_token
from labelplatform.errors import NotAllowed


def device_for_token(raw: str) -> Device:
    """The active device a device token names (its `last_seen_at` refreshed); 401/403 otherwise."""
    try:
        device = authenticate_device_token(raw)
    except TokenRejected as exc:
        raise Unauthorized(AlertMessage.WRONG_TOKEN, field="token") from exc
    except DeviceDisabled as exc:
        raise NotAllowed(AlertMessage.DEVICE_DISABLED) from exc
    services.touch_device(device=device)
    return device


def watcher_for_token(raw: str):
    """The user a user token names, if they may watch alerts; 401/403 otherwise."""
    try:
        user = authenticate_user_token(raw).user
    except TokenRejected as exc:
        raise Unauthorized(AlertMessage.WRONG_TOKEN, field="token") from exc
    except UserBlacklisted as exc:
        raise NotAllowed(AlertMessage.NO_PERMISSION) from exc
    if not selectors.can_watch_alerts(user):
        raise NotAllowed(AlertMessage.NO_PERMISSION)
    return user
