"""Telling open pages that something changed — on commit only, so nobody is told about work that was rolled back.

A step tells several pages at once (a submission: the drafter's inbox, the secretary's, the cycle's dashboards, the
last of them once for each save of the assessment). What one transaction scope tells is gathered and sent in one
call after the commit, each message once: one trip to the channel layer's event loop instead of one per message,
and a dashboard is asked to redraw once, not once per save."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    """The channel group of one user's pages (named from the authenticated user, never from the URL)."""
    return f"user.{user_id}"


def cycle_group(cycle_id: int) -> str:
    return f"cycle.{cycle_id}"


class _Pushes:
    """The messages of one transaction scope (the savepoints open when it was made), sent after the commit in one
    call. Django drops it with the scope when a savepoint it was made in is rolled back."""

    def __init__(self, savepoints: frozenset):
        self.savepoints = savepoints
        self.messages: dict[tuple, tuple[str, dict]] = {}
        self.__qualname__ = "push_after_commit"  # Django names a failed robust hook by it when it logs the failure

    def add(self, key: tuple, group: str, message: dict) -> None:
        self.messages.setdefault(key, (group, message))

    def __call__(self):
        messages = list(self.messages.values())

        async def push():
            layer = get_channel_layer()
            for group, message in messages:
                await layer.group_send(group, message)

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            async_to_sync(push)()  # the usual case: a request or job thread
        else:
            loop.create_task(push())  # called from code already inside an event loop


def _send_on_commit(group: str, message: dict) -> None:
    """Send `message` to `group` after the current transaction commits (at once outside one).

    Two reuses of a pending batch keep the rule "nothing for work rolled back": a message already pending is not
    added again (the pending one is sent whenever this one would be: the savepoints it depends on that are still
    open are all open here too), and a message joins a batch only of exactly the same savepoints (the same fate)."""
    key = (group, *sorted(message.items()))
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        here = frozenset(conn.savepoint_ids)
        same_scope = None
        for _savepoints, fn, _robust in conn.run_on_commit:
            if isinstance(fn, _Pushes):
                if key in fn.messages:
                    return
                if fn.savepoints == here:
                    same_scope = fn
        if same_scope is not None:
            same_scope.add(key, group, message)
            return
    pushes = _Pushes(frozenset(conn.savepoint_ids) if conn.in_atomic_block else frozenset())
    pushes.add(key, group, message)
    # robust: the change is committed; a push that fails is logged (the pages poll while their socket is down)
    transaction.on_commit(pushes, robust=True)


def inbox_changed(user_ids, *, title: str = "") -> None:
    """After the current transaction commits, push "inbox changed" to each user's open pages."""
    for uid in sorted({uid for uid in user_ids if uid}):
        _send_on_commit(user_group(uid), {"type": "inbox.changed", "title": title})


def cycle_changed(cycle_id: int) -> None:
    """After the current transaction commits, tell the cycle's open dashboards to redraw."""
    _send_on_commit(cycle_group(cycle_id), {"type": "cycle.changed"})
