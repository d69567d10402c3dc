"""Two people, two browsers: one completes a step, the other's open inbox shows the new task without reload."""

import pytest
from playwright.sync_api import expect

from flows.models import ReviewCycle, Role
from flows.services import assessments as svc
from tests import cycle_helpers as h

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def logged_in(browser, base, username, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.set_default_timeout(15_000)
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    page.wait_for_url(base + "/")
    return context, page


def test_the_secretarys_open_inbox_shows_the_new_task_without_a_reload(browser, asgi_server, demo, settings):
    from tests.e2e.conftest import ARTIFACTS

    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")  # the demo city's cycle
    a = h.assessment_of(cycle)
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    for ind in a.template.indicators.filter(evidence_required=True, veto=False):
        svc.evidence_add(
            assessment=a, by=deputy, upload=h.pdf(f"{ind.code}.pdf"), content_type="application/pdf", indicator=ind
        )
    svc.self_assessment_save(assessment=a, by=deputy, scores=h.full_self_scores(a), report="述职报告")

    secretary_context, secretary = logged_in(browser, asgi_server, "shuji", settings.DEMO_PASSWORD)
    expect(secretary.locator("[data-inbox-list]")).not_to_contain_text("审核自评")
    secretary.wait_for_selector("body[data-live-connected]", state="attached")  # the page's socket is open

    deputy_context, deputy_page = logged_in(browser, asgi_server, "fenguan", settings.DEMO_PASSWORD)
    deputy_page.locator("table.tasks a", has_text="起草自评").first.click()
    deputy_page.click("button[value=submit]")
    expect(deputy_page.locator(".messages")).to_contain_text("已提交")

    # pushed, not polled: an open inbox re-reads by itself only once a minute. (How fast is the bench's business, not
    # a timed test's: late in the PostgreSQL suite this took over 2 s now and then.)
    expect(secretary.locator("[data-inbox-list]")).to_contain_text("审核自评", timeout=8000)
    expect(secretary.locator("[data-inbox-count]")).to_have_text("1")
    expect(secretary.locator(".toast")).to_contain_text("审核自评")
    secretary.screenshot(path=str(ARTIFACTS / "live-inbox-secretary.png"))
    deputy_context.close()
    secretary_context.close()
