"""The live inbox over websockets: a push arrives when a task arrives, the wrong user gets nothing, an anonymous
socket is refused, and nothing is pushed for work that was rolled back."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from flows.models import User
from project.asgi import application
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db(transaction=True)


def run(scenario):
    """Run an async scenario on its own event loop, in its own thread, and re-raise what it raised. Each scenario
    gets fresh channel-layer instances: a Redis layer remembers the event loop it last received on."""
    import threading

    from channels.layers import channel_layers

    channel_layers.backends.clear()
    failure = []

    def target():
        try:
            async_to_sync(scenario)()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)  # a scenario that hangs fails its test, not the run
    thread.start()
    thread.join(90)
    assert not thread.is_alive(), "the scenario did not finish in 90 s"
    if failure:
        raise failure[0]


def socket_for(username):
    headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
    if username:
        client = Client()
        client.force_login(User.objects.get(username=username))
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return WebsocketCommunicator(application, "/ws/inbox/", headers=headers)


def test_a_task_arriving_is_pushed_to_its_new_owner_only(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    secretary, bystander = socket_for("shuji"), socket_for("xianshuji")

    async def scenario():
        assert (await secretary.connect())[0] and (await bystander.connect())[0]
        await database_sync_to_async(h.do_self_assessment)(a)  # the approval task arrives for the secretary
        message = await secretary.receive_json_from(timeout=5)
        assert message["type"] == "inbox" and "审核自评" in message["title"]
        assert await bystander.receive_nothing(timeout=0.5)
        await secretary.disconnect()
        await bystander.disconnect()

    run(scenario)


def test_an_anonymous_socket_is_refused(demo):
    async def scenario():
        connected, _code = await socket_for(None).connect()
        assert not connected

    run(scenario)


def test_a_foreign_origin_is_refused(demo):
    client = Client()
    client.force_login(User.objects.get(username="shuji"))
    communicator = WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        ],
    )

    async def scenario():
        connected, _code = await communicator.connect()
        assert not connected

    run(scenario)


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        (b"http://127.0.0.1:8000", b"127.0.0.1:8000", True),
        (b"http://127.0.0.1:9999", b"127.0.0.1:8000", False),  # another port of the same host: another site
        (b"https://127.0.0.1:8000", b"127.0.0.1:8000", False),  # another scheme
        (b"http://localhost:8000", b"127.0.0.1:8000", False),  # another host name
        (b"null", b"127.0.0.1:8000", False),
    ],
)
def test_the_socket_origin_is_compared_on_scheme_host_and_port(demo, origin, host, accepted):
    client = Client()
    client.force_login(User.objects.get(username="shuji"))
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, "/ws/inbox/", headers=[(b"origin", origin), (b"host", host), (b"cookie", cookie)]
    )

    async def scenario():
        connected, _code = await communicator.connect()
        assert connected is accepted
        if connected:
            await communicator.disconnect()

    run(scenario)


def test_nothing_is_pushed_for_work_that_is_rolled_back(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    secretary = socket_for("shuji")

    def submit_then_fail():
        try:
            with transaction.atomic():
                h.do_self_assessment(a)
                raise RuntimeError("the request failed after the step")
        except RuntimeError:
            pass

    async def scenario():
        assert (await secretary.connect())[0]
        await database_sync_to_async(submit_then_fail)()
        assert await secretary.receive_nothing(timeout=0.5)
        await secretary.disconnect()

    run(scenario)


def test_the_page_rereads_its_counts(client, demo):
    """What an open page re-reads: the user's own open tasks and unread notifications, as stored now."""
    from viewflow.workflow.models import Task

    from flows.models import Notification
    from flows.services.tasks import OPEN_STATUSES

    h.open_cycle()
    user = User.objects.get(username="fenguan")
    Notification.objects.create(user=user, title="提醒", link="/")
    Notification.objects.create(user=User.objects.get(username="shuji"), title="别人的提醒", link="/")
    client.force_login(user)
    state = client.get("/tasks/live.json").json()
    assert state["open_tasks"] == Task.objects.filter(owner=user, status__in=OPEN_STATUSES).count() >= 1
    assert state["unread_notifications"] == Notification.objects.filter(user=user, read_at=None).count() >= 1
    Notification.objects.filter(user=user).update(read_at="2026-12-07T10:00:00+08:00")
    assert client.get("/tasks/live.json").json()["unread_notifications"] == 0
