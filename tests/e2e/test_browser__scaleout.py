"""Scale-out: two ASGI server processes sharing a Redis channel layer. A secretary's inbox is open on one
process; the deputy submits on the other; the push crosses processes and the new task appears without reload."""

import os

import pytest
from django.conf import settings
from playwright.sync_api import expect

from flows.models import ReviewCycle, Role
from flows.services import assessments as svc
from tests import cycle_helpers as h
from tests.e2e.conftest import ARTIFACTS, asgi_process
from tests.e2e.test_browser__live_inbox import logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _redis_url():
    """bin/test passes the Redis it found (or started) in both suites; the machine's own otherwise."""
    return os.environ.get("SCALEOUT_REDIS_URL") or "redis://127.0.0.1:6379/13"


@pytest.fixture
def two_servers(transactional_db):
    import redis

    url = _redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"this test needs Redis ({url}); bin/test provides one: {exc}")
    with (
        asgi_process(log_name="scaleout-0", REDIS_URL=url) as first,
        asgi_process(log_name="scaleout-1", REDIS_URL=url) as second,
    ):
        yield first, second


def test_a_push_crosses_from_one_server_process_to_another(browser, two_servers, demo):
    first, second = two_servers
    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    for ind in a.template.indicators.filter(evidence_required=True, veto=False):
        svc.evidence_add(
            assessment=a, by=deputy, upload=h.pdf(f"{ind.code}.pdf"), content_type="application/pdf", indicator=ind
        )
    svc.self_assessment_save(assessment=a, by=deputy, scores=h.full_self_scores(a), report="述职报告")

    secretary_context, secretary = logged_in(browser, first, "shuji", settings.DEMO_PASSWORD)
    expect(secretary.locator("[data-inbox-list]")).not_to_contain_text("审核自评")
    secretary.wait_for_selector("body[data-live-connected]", state="attached")  # its socket (first process) is open

    deputy_context, deputy_page = logged_in(browser, second, "fenguan", settings.DEMO_PASSWORD)
    deputy_page.locator("table.tasks a", has_text="起草自评").first.click()
    deputy_page.click("button[value=submit]")  # handled by the second process
    expect(deputy_page.locator(".messages")).to_contain_text("已提交")

    expect(secretary.locator("[data-inbox-list]")).to_contain_text("审核自评", timeout=8000)  # pushed: no poll so soon
    secretary.screenshot(path=str(ARTIFACTS / "scaleout-cross-process-push.png"))
    deputy_context.close()
    secretary_context.close()
