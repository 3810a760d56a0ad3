from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.models import User
from accounts.notifications import user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_REVOKED = 4403


@database_sync_to_async
def _reload(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """`/ws/notifications/`: a signed-in user's live messages (urges, account changes).

    When the account changes (demoted, blacklisted, deactivated) the connection re-reads it and is
    closed if the user may no longer act, so revocation reaches open sockets at once.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(_account_message("hello", user))

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def user_notification(self, event):
        await self.send_json(event["message"])

    async def account_changed(self, event):
        user = await _reload(self.user_id)
        if user is None or not user.may_act:
            await self.send_json({"type": "account_changed", "user_id": self.user_id, "active": False})
            await self.close(code=CLOSE_REVOKED)
            return
        await self.send_json(_account_message("account_changed", user))


def _account_message(kind: str, user: User) -> dict:
    return {
        "type": kind,
        "user_id": user.pk,
        "username": user.username,
        "role": user.role,
        "client_type": user.client_type,
        "active": user.may_act,
    }
