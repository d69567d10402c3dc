"""The live inbox: one websocket per open page, one channel group per user (named from the authenticated user,
never from the URL). The server only says "your inbox changed"; the page then re-reads it over HTTP, so the
database stays the source of truth and a client that reconnects simply re-fetches."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class InboxConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen."""

    async def inbox_changed(self, event):
        await self.send_json({"type": "inbox", "title": event.get("title", "")})
