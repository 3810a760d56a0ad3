"""Live messages to one user's open websockets (`/ws/notifications/`), through the channel layer.

The database stays the source of truth: the channel layer may drop a message, so clients re-read.
Call these after commit (services use `transaction.on_commit`).
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notify_user(user_id: int, message: dict) -> None:
    """Deliver `message` (a JSON object with a `type`) to every connection of the user."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "user.notification", "message": message})


def account_changed(user_id: int) -> None:
    """Tell the user's connections to re-check the account (role, client type, active, groups)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "account.changed"})
