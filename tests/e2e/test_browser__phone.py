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


def test_the_main_pages_fit_a_phone(browser, live_server, settings, demo):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = []
    for role, paths in PAGES.items():
        username = leading_inspector() if role == "inspector" else role
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
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
