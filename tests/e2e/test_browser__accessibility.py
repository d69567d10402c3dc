"""Accessibility (GB/T 37668, 信息无障碍): axe-core, fetched by bin/test from the npm registry, runs in Chromium on
the main pages of each demo role; no serious or critical violation is allowed."""

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "var" / "vendor" / "axe" / "axe.min.js"
PAGES = {
    "fenguan": ["/", "/guide/", "/notifications/", "/orgs/"],
    "zuzhibu": ["/", "/tasks/queue/", "/cycles/", "/campaigns/", "/spot-checks/", "/excel/", "/year-over-year/"],
    "dingxuejun": ["/tasks/archive/"],
}


def violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations_on_the_main_pages(browser, live_server, demo):
    assert AXE.exists(), "bin/test fetches axe-core into var/vendor/axe"
    found = {}
    for username, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        found.update({(username, "/login/"): violations(page)} if username == "fenguan" else {})
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        for path in paths:
            page.goto(live_server.url + path)
            found[(username, path)] = violations(page)
        context.close()
    bad = {k: v for k, v in found.items() if v}
    assert not bad, bad
