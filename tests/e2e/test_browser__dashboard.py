"""The oversight office's cycle dashboard in the browser: charts drawn from our own static files, drill-down to
the list, and a live redraw when an assessment moves while the page is open."""

import pytest
from playwright.sync_api import expect

from flows.models import ReviewCycle, Role
from flows.services import assessments as svc
from tests import cycle_helpers as h
from tests.e2e.test_browser__live_inbox import logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_office_watches_the_cycle_dashboard_move(browser, asgi_server, demo, settings):
    from tests.e2e.conftest import ARTIFACTS

    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")  # the demo city's cycle
    a = h.assessment_of(cycle, "JC-QS-HT-01")
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    for ind in a.template.indicators.filter(evidence_required=True, veto=False):
        svc.evidence_add(
            assessment=a, by=deputy, upload=h.pdf(f"{ind.code}.pdf"), content_type="application/pdf", indicator=ind
        )
    svc.self_assessment_save(assessment=a, by=deputy, scores=h.full_self_scores(a), report="述职报告")
    context, page = logged_in(browser, asgi_server, "zuzhibu", settings.DEMO_PASSWORD)
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.click("nav >> text=考核周期")
    page.locator("tr", has_text=cycle.name).locator("text=工作看板").click()
    expect(page.locator("h1")).to_contain_text("工作看板")
    for chart in ("#chart-stages", "#chart-sectors", "#chart-ratings"):
        expect(page.locator(f"{chart} svg")).to_be_visible()  # drawn by ECharts, served by us
    # the four agency branches whose reviews were submitted are rated; 柳湾村's saved draft is not
    expect(page.locator("table.ranking tbody tr")).to_have_count(4)
    expect(page.locator("table.ranking")).not_to_contain_text("柳湾村")
    expect(page.locator("#dashboard")).to_have_attribute("data-live", "1")
    approval = page.locator("[data-figure='stage.self_approval']")
    before = int(approval.inner_text())
    page.screenshot(path=str(ARTIFACTS / "dashboard-cycle.png"), full_page=True)

    # a village's deputy submits the self-assessment in another browser: the open dashboard redraws, no reload
    deputy_context, deputy_page = logged_in(browser, asgi_server, "fenguan", settings.DEMO_PASSWORD)
    deputy_page.locator("table.tasks a", has_text="起草自评").first.click()
    deputy_page.click("button[value=submit]")
    expect(deputy_page.locator(".messages")).to_contain_text("已提交")
    deputy_context.close()
    expect(approval).to_have_text(str(before + 1), timeout=3000)

    # drill down from the stage to the list of organisations
    page.locator("table.stage-counts a", has_text="书记审核").click()
    expect(page.locator("#drill")).to_contain_text("东坪村")
    page.screenshot(path=str(ARTIFACTS / "dashboard-drill-down.png"), full_page=True)
    assert not [u for u in failed if "/static/" in u]
    context.close()
