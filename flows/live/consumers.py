"""Live pages over websockets. A page listens on one channel group; the server only says "this changed" and the
page re-reads over HTTP, so the database stays the source of truth and a client that reconnects simply re-fetches.

* the inbox: one group per user (named from the authenticated user, never from the URL);
* a cycle dashboard: one group per cycle, joined only by users who may open that dashboard.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from flows.services.notifications import cycle_group, user_group


class GroupListener(AsyncJsonWebsocketConsumer):
    """Joins the group `group_for` names for the connected user, or closes with `refusal` when it names none."""

    refusal = 4401

    async def group_for(self, user) -> str | None:
        raise NotImplementedError

    async def connect(self):
        user = self.scope.get("user")
        group = await self.group_for(user) if user is not None and user.is_authenticated else None
        if group is None:
            await self.close(code=self.refusal)
            return
        self.group = group
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen."""


class InboxConsumer(GroupListener):
    async def group_for(self, user):
        return user_group(user.pk)

    async def inbox_changed(self, event):
        await self.send_json({"type": "inbox", "title": event.get("title", "")})


class CycleConsumer(GroupListener):
    refusal = 4403

    async def group_for(self, user):
        cycle_id = self.scope["url_route"]["kwargs"]["pk"]
        if not await database_sync_to_async(_may_watch)(user, cycle_id):
            return None
        return cycle_group(cycle_id)

    async def cycle_changed(self, event):
        await self.send_json({"type": "cycle"})


def _may_watch(user, cycle_id) -> bool:
    from flows.models import ReviewCycle
    from flows.policy import access

    cycle = ReviewCycle.objects.filter(pk=cycle_id).first()
    return cycle is not None and access.can_view_cycle_dashboard(user, cycle)
