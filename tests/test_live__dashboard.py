"""Open dashboards hear when the cycle moves; someone who may not open the dashboard cannot listen."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from flows.models import User
from project.asgi import application
from tests import cycle_helpers as h
from tests.test_live__inbox import run

pytestmark = pytest.mark.django_db(transaction=True)


def dashboard_socket(username, cycle):
    client = Client()
    client.force_login(User.objects.get(username=username))
    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"host", b"127.0.0.1"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    return WebsocketCommunicator(application, f"/ws/cycles/{cycle.pk}/", headers=headers)


def test_a_moving_assessment_is_pushed_to_the_dashboard_and_outsiders_are_refused(demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    office = dashboard_socket(h.county_officer().username, cycle)
    outsider = dashboard_socket("dangyuan", cycle)

    async def scenario():
        assert (await office.connect())[0]
        connected, code = await outsider.connect()
        assert not connected and code == 4403
        await database_sync_to_async(h.do_self_assessment)(a)
        message = await office.receive_json_from(timeout=5)
        assert message == {"type": "cycle"}
        await office.disconnect()

    run(scenario)
