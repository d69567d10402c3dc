"""Telling open pages that something changed — on commit only, so nobody is told about work that was rolled back."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    """The channel group of one user's pages (named from the authenticated user, never from the URL)."""
    return f"user.{user_id}"


def cycle_group(cycle_id: int) -> str:
    return f"cycle.{cycle_id}"


def _send_on_commit(push) -> None:
    def send():
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(push)()  # the usual case: a request or job thread
        else:
            loop.create_task(push())  # called from code already inside an event loop

    transaction.on_commit(send)


def inbox_changed(user_ids, *, title: str = "") -> None:
    """After the current transaction commits, push "inbox changed" to each user's open pages."""
    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return

    async def push():
        layer = get_channel_layer()
        for uid in ids:
            await layer.group_send(user_group(uid), {"type": "inbox.changed", "title": title})

    _send_on_commit(push)


def cycle_changed(cycle_id: int) -> None:
    """After the current transaction commits, tell the cycle's open dashboards to redraw."""

    async def push():
        await get_channel_layer().group_send(cycle_group(cycle_id), {"type": "cycle.changed"})

    _send_on_commit(push)
