"""The duty list in the browser, on a phone: 南坳村's secretary opens the list from 责任清单, adds the secretary's
project among the yearly tasks, saves and confirms it; each page fits a 390 px screen and axe finds nothing
serious on it."""

import pytest
from playwright.sync_api import expect

from flows.models.duties import DutyList
from flows.models.states import DutyListState
from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_secretary_confirms_the_duty_list_on_a_phone(browser, live_server, demo, settings):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    dl = DutyList.objects.get(cycle__office__code="JC-ZZB", cycle__year=2026, organisation__code="JC-QS-HT-03")
    n = dl.lines.count()
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # confirming asks first
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "dingjianguo")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/duties/")
    page.locator("table.duty-mine a", has_text="南坳村").click()
    expect(page.locator(".duty-state")).to_be_visible()
    assert page_width(page) <= 392
    assert axe_violations(page) == []

    page.locator(f"a[href='/duties/{dl.pk}/edit/']").first.click()
    row = f"l-{n}-"
    page.locator(f"select[name={row}kind]").select_option("task")
    page.locator(f"select[name={row}role]").select_option("secretary")
    page.locator(f"textarea[name={row}text]").fill("书记项目：南坳村党群服务驿站建设")
    page.locator(f"input[name={row}secretary_project]").check()
    page.locator(f"input[name={row}due]").fill("2026-11-30")
    page.locator(f"input[name={row}indicators]").fill("D4.5")
    assert page_width(page) <= 392
    assert axe_violations(page) == []
    page.locator("form button[type=submit].primary").click()
    expect(page.locator("table.tasks")).to_contain_text("南坳村党群服务驿站建设")

    page.locator(f"form[action='/duties/{dl.pk}/confirm/'] button").click()
    expect(page.locator(".messages")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "duties-confirmed.png"), full_page=True)
    dl.refresh_from_db()
    assert dl.state == DutyListState.CONFIRMED and dl.confirmed_by.username == "dingjianguo"
    assert page_width(page) <= 392
    assert axe_violations(page) == []
    context.close()
