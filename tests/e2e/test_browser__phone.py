"""Phones (issue 18): the pages an official uses fit a 390 px wide screen — nothing wider than the screen, so no
sideways scrolling — for each demo role, checked in Chromium at phone size, with screenshots kept."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = {
    "fenguan": ["/", "/tasks/queue/", "/notifications/", "/orgs/"],
    "shuji": ["/", "/cycles/", "/reports/"],
    "zuzhibu": ["/", "/tasks/queue/", "/cycles/", "/campaigns/", "/spot-checks/", "/excel/", "/year-over-year/"],
    "dingxuejun": ["/", "/tasks/archive/"],
}


def test_the_main_pages_fit_a_phone(browser, live_server, settings, demo):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    too_wide = []
    for username, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status < 400, (username, path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            name = f"phone-{username}-{path.strip('/').replace('/', '-') or 'home'}.png"
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
            if width > 392:
                too_wide.append((username, path, width))
        context.close()
    assert not too_wide, too_wide
