"""Accessibility (GB/T 37668, 信息无障碍): axe-core, fetched by bin/test from the npm registry, runs in Chromium on
the main pages and the step screens of each demo role; no serious or critical violation is allowed."""

import pytest
from django.conf import settings

from tests.e2e.checks import axe_violations, first_task_screen, leading_inspector

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# and the step screen of each one's first task: the self-assessment form, the superior review, the settlement,
# the inspection record
PAGES = {
    "fenguan": ["/", "/guide/", "/notifications/", "/orgs/"],
    "zuzhibu": ["/", "/tasks/queue/", "/cycles/", "/campaigns/", "/spot-checks/", "/excel/", "/year-over-year/"],
    "dingxuejun": ["/tasks/archive/"],
    "inspector": ["/spot-checks/"],  # whoever leads a drawn inspection (tests.e2e.checks.leading_inspector)
}

WITH_TASK = {"fenguan", "dingxuejun", "inspector"}  # 起草自评, 上级考评, 记录检查情况 wait for them in the demo


def test_no_serious_accessibility_violations_on_the_main_pages(browser, live_server, demo):
    found = {}
    for role, paths in PAGES.items():
        username = leading_inspector() if role == "inspector" else role
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        found.update({(username, "/login/"): axe_violations(page)} if username == "fenguan" else {})
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        task = first_task_screen(page)
        assert task or role not in WITH_TASK, username
        for path in [*paths, task] if task else paths:
            page.goto(live_server.url + path)
            found[(username, path)] = axe_violations(page)
        context.close()
    bad = {k: v for k, v in found.items() if v}
    assert not bad, bad


def test_the_first_tab_of_a_page_skips_the_header(browser, live_server, demo):
    """With the keyboard alone: the first Tab on a page shows a link past the header's sixteen links; Enter on it
    puts the next Tab inside the page itself (我的待办's first task, here)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "fenguan")
    page.fill("input[name=password]", settings.DEMO_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("a => a === document.activeElement") and skip.is_visible()
    assert skip.inner_text() == "跳到正文"
    page.keyboard.press("Enter")
    for _ in range(3):  # the search box and the filters of my tasks, then the first task's link
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
    context.close()
