"""Contact points and visits in the browser, on a phone: 河塘镇's secretary records a supervision visit to 东坪村
with a problem that becomes a rectification item on its assessment in the open cycle; the page fits a 390 px screen
and axe finds nothing serious on it, nor on the village's visits page, nor on the county office's list of
organisations without a contact leader or a visit."""

import pytest
from playwright.sync_api import expect

from flows.models import Organisation, RectificationItem
from flows.models.contacts import Visit
from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_leader_records_a_visit_whose_problem_becomes_a_rectification_item(browser, live_server, demo, settings):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "dingxuejun")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/contacts/")
    expect(page.locator("table.contact-points")).to_contain_text("东坪村")
    assert page_width(page) <= 392
    assert axe_violations(page) == []

    form = page.locator("#visit-form")
    village = Organisation.objects.get(code="JC-QS-HT-01")
    form.locator("select[name=organisation]").select_option(value=str(village.pk))
    form.locator("select[name=kind]").select_option("supervision")
    form.locator("textarea[name=seen]").fill("查阅“三会一课”记录，走访党员户")
    form.locator("textarea[name=problems]").fill("党员教育培训台账缺少下半年记录")
    form.locator("input[name=to_rectify]").check()
    from flows.models.people import today

    due = today().replace(year=today().year + 1, month=3, day=31)
    form.locator("input[name=due]").fill(due.isoformat())
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "contacts-visit-recorded.png"), full_page=True)

    visit = Visit.objects.get(organisation__code="JC-QS-HT-01", seen="查阅“三会一课”记录，走访党员户")
    item = visit.problems.get().item
    assert isinstance(item, RectificationItem) and item.due == due and item.owner.username == "fenguan"
    assert item.assessment.cycle.state == "open"

    page.goto(live_server.url + "/orgs/JC-QS-HT-01/visits/")
    expect(page.locator(f"[data-visit='{visit.pk}']")).to_contain_text("党员教育培训台账缺少下半年记录")
    assert page_width(page) <= 392
    assert axe_violations(page) == []
    context.close()

    # the county's office sees the organisations of its scope without a contact leader or a visit, on a phone too
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "houhongmei")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/contacts/offices/")
    expect(page.locator("section[aria-labelledby=no-contact]")).to_contain_text("西岭村")
    page.screenshot(path=str(ARTIFACTS / "contacts-office.png"), full_page=True)
    assert page_width(page) <= 392
    assert axe_violations(page) == []
    context.close()
