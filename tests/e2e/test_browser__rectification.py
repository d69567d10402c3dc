"""Rectification in depth in the browser, on phones (issue 20): 东坪村's leader in charge writes the plan of an item,
asks for more time on two items; the township secretary grants one extension and refuses the other, the old date
stays beside the new one; later the re-check (回头看) finds a verified item's problem back and reopens it. Every
page fits a 390 px screen and axe finds nothing serious on it."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def checked(page):
    assert page_width(page) <= 392, page.url
    assert axe_violations(page) == [], page.url


def test_extensions_granted_and_refused_and_a_recheck_reopening_an_item(browser, live_server, demo, settings):
    from flows.models import ItemState, Outcome, RectificationItem, Role
    from flows.models.assessments import RectificationRecheck
    from flows.selectors.tasks import task_url
    from flows.services import rectification as rsvc
    from tests import cycle_helpers as h
    from tests import rectification_helpers as rh
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    owner = h.holder(h.VILLAGE, Role.DEPUTY)
    due = h.next_week()
    h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "三会一课记录不全", "requirement": "", "owner": owner, "due": due},
            {"problem": "党员活动室未挂牌", "requirement": "", "owner": owner, "due": due},
            {"problem": "发展党员档案缺页", "requirement": "", "owner": owner, "due": due},
        ],
    )
    granted, refused, rechecked = (
        a.rectification_items.get(problem__startswith=p) for p in ("三会一课", "党员活动室", "发展党员")
    )
    reviewer = h.reviewer_of(a)
    for user in (owner, reviewer):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    rh.report_and_verify(rechecked)

    contexts = []

    def phone(user):
        context = browser.new_context(**PHONE, bypass_csp=True)
        contexts.append((user.username, context))
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        return page

    try:
        # the owner writes the plan and asks for more time on two items
        page = phone(owner)
        page.goto(f"{live_server.url}/rectification/items/{granted.pk}/")
        page.locator("textarea[name=plan]").fill("一、逐月补记会议记录；二、书记每月审核")
        checked(page)
        page.locator("form[action$='/plan/'] button").click()
        expect(page.locator(".plan")).to_contain_text("逐月补记")
        for item, days, reason in ((granted, 30, "等待镇里统一培训"), (refused, 20, "人手不足")):
            page.goto(live_server.url + task_url(rh.waiting(item, "report")))
            page.locator("details.extension-request summary").click()
            page.locator("input[name=due]").fill((due + datetime.timedelta(days=days)).isoformat())
            page.locator("textarea[name=reason]").fill(reason)
            checked(page)
            page.locator("button[name=extension]").click()
            page.wait_for_url(live_server.url + "/")
        for item in (granted, refused):
            item.refresh_from_db()
            assert item.state == ItemState.EXTENSION_REQUESTED and item.due == due

        # the township secretary grants one and refuses the other (a refusal without a reason is sent back)
        page = phone(reviewer)
        page.goto(live_server.url + task_url(rh.waiting(granted, "decide_extension")))
        expect(page.locator("p.pending-extension")).to_contain_text("等待镇里统一培训")
        checked(page)
        page.locator("textarea[name=comment]").fill("同意，培训后抓紧补记")
        page.locator("button[name=decision][value=grant]").click()
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + task_url(rh.waiting(refused, "decide_extension")))
        page.locator("button[name=decision][value=refuse]").click()
        expect(page.locator(".errors")).to_be_visible()
        page.locator("textarea[name=comment]").fill("挂牌一周内可以完成")
        page.locator("button[name=decision][value=refuse]").click()
        page.wait_for_url(live_server.url + "/")
        granted.refresh_from_db()
        refused.refresh_from_db()
        assert granted.due == due + datetime.timedelta(days=30) and refused.due == due
        assert granted.state == refused.state == ItemState.OPEN

        page.goto(f"{live_server.url}/assessments/{a.pk}/")
        expect(page.locator("table.rectification")).to_contain_text("挂牌一周内可以完成")
        expect(page.locator("table.rectification .old-due")).to_contain_text(due.isoformat())
        checked(page)
        page.goto(f"{live_server.url}/rectification/items/{granted.pk}/")
        expect(page.locator("table.extensions")).to_contain_text(due.isoformat())  # the old date is kept
        checked(page)

        # the re-check falls due: the reviewing side finds the problem back and reopens the item
        rc = RectificationRecheck.objects.get(item=rechecked)
        rsvc.rechecks_open_due(rc.due)
        page.goto(live_server.url + task_url(rh.waiting(rechecked, "recheck")))
        new_due = (datetime.date.today() + datetime.timedelta(days=15)).isoformat()
        page.locator("textarea[name=comment]").fill("档案又有两份缺页")
        page.locator("input[name=new_due]").fill(new_due)
        checked(page)
        page.locator("button[name=decision][value=reopen]").click()
        page.wait_for_url(live_server.url + "/")
        rechecked = RectificationItem.objects.get(pk=rechecked.pk)
        assert rechecked.state == ItemState.OPEN and rechecked.due.isoformat() == new_due
        page.goto(f"{live_server.url}/rectification/items/{rechecked.pk}/")
        expect(page.locator(".recheck")).to_contain_text("档案又有两份缺页")
        checked(page)
    finally:
        for username, context in contexts:
            for n, p in enumerate(context.pages):
                p.screenshot(path=str(ARTIFACTS / f"rectification-{username}-{n}.png"), full_page=True)
            context.close()
