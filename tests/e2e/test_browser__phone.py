"""Phones (issue 18): the pages an official uses fit a 390 px wide screen — nothing wider than the screen, so no
sideways scrolling — for each demo role, its main pages and the step screen of its first task (the
self-assessment form, the superior review, the settlement, the inspection record), checked in Chromium at phone
size, with screenshots kept. The voter's pages are checked at phone size in test_browser__ballot.py."""

import pytest

from tests.e2e.checks import PHONE, first_task_screen, leading_inspector, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = {
    "fenguan": ["/", "/tasks/queue/", "/notifications/", "/orgs/"],
    "shuji": ["/", "/cycles/", "/reports/"],
    "zuzhibu": ["/", "/tasks/queue/", "/cycles/", "/campaigns/", "/spot-checks/", "/excel/", "/year-over-year/"],
    "dingxuejun": ["/", "/tasks/archive/"],
    "inspector": ["/spot-checks/"],  # whoever leads a drawn inspection (tests.e2e.checks.leading_inspector)
}

WITH_TASK = {"fenguan", "dingxuejun", "inspector"}  # 起草自评, 上级考评, 记录检查情况 wait for them in the demo


def _phone_login(browser, live_server, settings, username):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(live_server.url + "/")
    return context, page


def test_the_main_pages_fit_a_phone(browser, live_server, settings, demo):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = []
    for role, paths in PAGES.items():
        username = leading_inspector() if role == "inspector" else role
        context, page = _phone_login(browser, live_server, settings, username)
        task = first_task_screen(page)
        assert task or role not in WITH_TASK, username
        for path in [*paths, task] if task else paths:
            response = page.goto(live_server.url + path)
            assert response.status < 400, (username, path, response.status)
            width = page_width(page)
            where = "task" if path == task else path.strip("/").replace("/", "-") or "home"
            name = f"phone-{username}-{where}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            if width > 392:
                too_wide.append((username, path, width))
        context.close()
    assert not too_wide, too_wide


def test_a_table_on_a_phone_says_which_column_each_figure_is_in(browser, live_server, settings, demo):
    """On a phone a table's rows are cards and its heading row is hidden: each figure is led by its column's
    heading (组织数：4), on the cycle dashboard and in 逐年对比."""
    from flows.models import ReviewCycle

    cycle = ReviewCycle.objects.filter(state="open").order_by("-year").first()
    context, page = _phone_login(browser, live_server, settings, "zuzhibu")
    for path in (f"/cycles/{cycle.pk}/dashboard/", "/year-over-year/"):
        page.goto(live_server.url + path)
        cell = page.locator("table.grid tbody td[data-label]").nth(1)
        label = cell.get_attribute("data-label")
        heads = page.locator("table.grid thead th").all_inner_texts()
        assert label and label in [h.strip() for h in heads], (path, label, heads)
        shown = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert shown == f'"{label}："', (path, shown)  # drawn before the figure, with a Chinese colon
    context.close()


def test_forms_fit_a_phone_in_both_languages(browser, live_server, settings, demo):
    """The forms whose long options once pushed the page wider than the screen: preparing a 述职评议会, the Excel
    upload in English, and the oversight office's hand-over form on an organisation's page."""
    from flows.models import Organisation

    too_wide = []
    context, page = _phone_login(browser, live_server, settings, "lvminghui")
    page.goto(live_server.url + "/meetings/new/")
    too_wide += [("/meetings/new/", page_width(page))]
    context.close()
    context, page = _phone_login(browser, live_server, settings, "zuzhibu")
    page.goto(live_server.url + "/excel/")
    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Upload and check")
    too_wide += [("/excel/ in English", page_width(page))]
    page.click("button[name=language][value=zh-hans]")
    org = Organisation.objects.get(code="JC-BH-LS-02")
    page.goto(live_server.url + f"/orgs/{org.code}/")
    page.locator("details.office-actions summary", has_text="督导部门").click()
    page.wait_for_selector("select[name=successor]")
    too_wide += [(f"/orgs/{org.code}/ hand-over", page_width(page))]
    context.close()
    assert all(width <= 392 for _where, width in too_wide), too_wide
