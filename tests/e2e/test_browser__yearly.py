"""The oversight office compares years in the browser: the chart drawn from our own static files, the movement
counts and lists, a drill-down into one county, and an organisation's history with its path through the stages."""

import pytest
from playwright.sync_api import expect

from flows.models import ClassificationRecord, Organisation
from tests.e2e.test_browser__live_inbox import logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_office_opens_year_over_year_drills_down_and_reads_a_history(browser, asgi_server, demo, settings):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    context, page = logged_in(browser, asgi_server, "zuzhibu", settings.DEMO_PASSWORD)
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.click("nav >> text=逐年对比")
    expect(page.locator("h1")).to_contain_text("逐年对比")
    expect(page.locator("#chart-classes svg")).to_be_visible()  # drawn by ECharts, served by us
    expect(page.locator("p.filters")).to_contain_text("2025年与2024年对比")
    converted = int(page.locator("[data-figure='converted']").inner_text())
    assert converted > 0
    expect(page.locator("table.weak")).to_contain_text("杨家坪村")
    expect(page.locator("table.weak")).to_contain_text("2024-03-15")
    page.screenshot(path=str(ARTIFACTS / "year-over-year.png"), full_page=True)

    # the converted tile opens the list of backward organisations that moved up
    page.click("#moves a:has-text('后进转化')")
    expect(page.locator("#drill h2")).to_contain_text("后进转化的党组织")
    expect(page.locator("#drill table.drill tbody tr")).to_have_count(converted)

    # drill into one county's organisations that moved up
    county = page.locator("table.branches tr", has_text="青山县委")
    county.locator("td[data-move='up'] a").click()
    expect(page.locator("#drill h2")).to_contain_text("中共青山县委员会")
    qs = Organisation.objects.get(code="JC-QS")
    first = page.locator("#drill table.drill tbody tr a").first
    name = first.inner_text()
    assert Organisation.objects.get(name=name).path.startswith(qs.path)
    page.screenshot(path=str(ARTIFACTS / "year-over-year-drill-down.png"), full_page=True)

    # the organisation's history: every year's path through the stages, scores, rating and classification
    first.click()
    expect(page.locator("h1")).to_contain_text(name)
    row = page.locator("table.org-history tr[data-year='2025']")
    expect(row.locator("ol.stage-path li.last")).to_contain_text("已办结")
    record = ClassificationRecord.objects.get(organisation__name=name, year=2025)
    expect(row).to_contain_text(record.get_classification_display())
    expect(row).to_contain_text(record.get_rating_display())
    page.locator("#history").screenshot(path=str(ARTIFACTS / "organisation-history.png"))
    row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text(name[:4])
    assert not [u for u in failed if "/static/" in u]
    context.close()
