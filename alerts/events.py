"""Live alert events for watchers (alerts.md §6.1), sent through the channel layer after commit.

One `group_send` per event to the watchers group: channels-redis delivers it once per server process,
which hands it to each of its subscribed watchers, so the cost of an open or close does not grow with
the number of Redis round trips per watcher. Delivery is best effort: the database is the source of
truth and a reconnecting watcher re-reads `GET /api/v1/alert/`.
"""

from __future__ import annotations

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

WATCHERS_GROUP = "alerts.watchers"
OPENED = "opened"
CLOSED = "closed"
logger = logging.getLogger(__name__)


def alert_event(event: str, alert_data: dict) -> dict:
    """The message every watcher receives: `{"type": "an_alert", "data": {"event", "alert"}}`."""
    return {"type": "an_alert", "data": {"event": event, "alert": alert_data}}


def publish_alert_event(event: str, alert_data: dict) -> None:
    """Send `event` ("opened" / "closed") for the alert once the current transaction commits."""
    message = alert_event(event, alert_data)
    transaction.on_commit(lambda: send_to_watchers(message))


def send_to_watchers(message: dict) -> None:
    """One group send; the JSON text is made once here, not once per watcher."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        event = {"type": "alert.event", "text": json.dumps(message, separators=(",", ":"))}
        async_to_sync(layer.group_send)(WATCHERS_GROUP, event)
    except Exception:  # the write is committed; a lost push is recovered by the watchers' re-read
        logger.exception("could not publish alert event to watchers")
