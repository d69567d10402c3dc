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


def cycle_group(cycle_id: int) -> str:
    return f"cycle.{cycle_id}"


class CycleConsumer(AsyncJsonWebsocketConsumer):
    """A cycle dashboard listening for "the cycle moved": only users who may open that dashboard join its group."""

    async def connect(self):
        from channels.db import database_sync_to_async

        user = self.scope.get("user")
        cycle_id = self.scope["url_route"]["kwargs"]["pk"]
        allowed = (
            user is not None and user.is_authenticated and await database_sync_to_async(_may_watch)(user, cycle_id)
        )
        if not allowed:
            await self.close(code=4403)
            return
        self.group = cycle_group(cycle_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen."""

    async def cycle_changed(self, event):
        await self.send_json({"type": "cycle"})


def _may_watch(user, cycle_id) -> bool:
    from . import access
    from .models import ReviewCycle

    cycle = ReviewCycle.objects.filter(pk=cycle_id).first()
    return cycle is not None and access.can_view_cycle_dashboard(user, cycle)
