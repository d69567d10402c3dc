"""等次审定 and publication in the browser: the demo city's organisation department finds the settling of the
ratings in its queue, over the 30% cap on 好; settling without lowering or a reason is refused with the page kept;
it lowers two ratings with reasons, settles, and publishes from the cycle page. The draft review of 柳湾村 is
nowhere among the results."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from flows.models import Publication, RatingChange, RatingSettlement, ReviewCycle, SettlementState
from tests.e2e.test_browser__cycle import as_user  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_office_settles_the_ratings_under_the_cap_and_publishes(as_user, demo):  # noqa: F811
    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")
    page = as_user("zuzhibu")
    page.click("text=待认领")
    page.locator("table.tasks tr", has_text="等次审定").locator("a", has_text="等次审定").click()
    expect(page.locator("h1")).to_contain_text("等次审定")
    figures = page.locator("section.settlement-figures")
    expect(figures).to_contain_text("“好”等次 3 个")
    expect(figures.locator("[role=alert]")).to_contain_text("超出比例上限")
    rows = page.locator("table.settlement tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("table.settlement")).not_to_contain_text("柳湾村")  # a draft review is no rating

    # settling asks first, saying what will happen (the page's own script, no inline script)
    expect(page.locator("form.step-form button.primary")).to_have_attribute("data-confirm", re.compile("确认审定"))
    # over the cap, with nothing lowered and no reason: refused, nothing settled
    page.click("form.step-form button.primary")
    expect(page.locator(".errors")).to_contain_text("超过")
    assert RatingSettlement.objects.get(cycle=cycle).state == SettlementState.SETTLING

    # lower the two highest 好 with reasons; the page kept what was typed on the way
    good = [row for row in rows.all() if row.locator("td").nth(2).inner_text().startswith("好")]
    for row in good[:2]:
        name = row.locator("td").first.inner_text()
        row.locator("select").select_option(label="较好")
        row.locator("input").fill(f"{name}组织生活记录不全，经审定调为较好")
    page.click("form.step-form button.primary")
    expect(page.locator(".messages")).to_contain_text("等次已审定")
    assert RatingSettlement.objects.get(cycle=cycle).state == SettlementState.SETTLED
    assert RatingChange.objects.filter(assessment__cycle=cycle).count() == 2

    # publish from the cycle page
    page.goto(urljoin(page.url, f"/cycles/{cycle.pk}/"))
    expect(page.locator(".settlement-state")).to_contain_text("等次已审定")
    page.click("text=公示评定等次")
    page.click("form[action$='/publish/'] button.primary")
    expect(page.locator("h1")).to_contain_text("结果公示")
    published = page.locator("tbody:has(tr[data-org])")
    expect(published).to_contain_text("较好")
    expect(published).not_to_contain_text("柳湾村")
    assert Publication.objects.filter(cycle=cycle).exists()
