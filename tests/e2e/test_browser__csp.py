"""The Content-Security-Policy in a real browser: the main pages load their scripts, charts and websockets with no
console message and no `securitypolicyviolation`, while an injected inline script is refused."""

import pytest
from playwright.sync_api import expect

from flows.models import ReviewCycle
from flows.services import ballots as ballot_svc
from tests.ballot_helpers import mass_campaign
from tests.e2e.test_browser__live_inbox import logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script: reports every violation to the console, where the test listens.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("securitypolicyviolation " + e.violatedDirective + " " + e.blockedURI);
});
"""


def watched(context, page):
    messages, sockets = [], []
    context.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text} @ {m.location.get('url')}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e} @ {page.url}"))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    return messages, sockets


def test_the_main_pages_run_under_the_policy_without_a_violation(browser, asgi_server, demo, settings):
    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")  # the demo city's cycle
    context, page = logged_in(browser, asgi_server, "zuzhibu", settings.DEMO_PASSWORD)
    messages, sockets = watched(context, page)

    page.goto(asgi_server + "/")  # the inbox, with its live websocket
    expect(page.locator("h1")).to_be_visible()
    page.wait_for_timeout(500)
    page.goto(asgi_server + f"/cycles/{cycle.pk}/")
    expect(page.locator("h1")).to_contain_text(cycle.name[:6])
    page.goto(asgi_server + f"/cycles/{cycle.pk}/dashboard/")
    expect(page.locator("#chart-stages svg")).to_be_visible()  # ECharts ran, from our static files
    expect(page.locator("#dashboard")).to_have_attribute("data-live", "1")
    page.goto(asgi_server + "/orgs/")
    expect(page.locator("main")).to_contain_text("江川市")
    page.wait_for_timeout(300)

    assert messages == []
    assert any(u.endswith("/ws/inbox/") for u in sockets), sockets  # same-origin ws allowed by connect-src 'self'
    assert any("/ws/" in u and not u.endswith("/ws/inbox/") for u in sockets), sockets  # the dashboard's socket

    # the policy is really in force: an inline script injected into the page is refused and reported
    ran = page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
        " document.body.appendChild(s); return window.__inline === 1; }"
    )
    page.wait_for_timeout(200)
    assert ran is False
    assert any("securitypolicyviolation script-src" in m for m in messages), messages
    context.close()


def test_the_ballot_pages_run_under_the_policy_without_a_violation(browser, asgi_server, demo, settings):
    c, _a, officer = mass_campaign()
    _batch, [code] = ballot_svc.tokens_issue(by=officer, campaign=c, count=1, group="党员")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.set_default_timeout(15_000)
    messages, _sockets = watched(context, page)

    page.goto(asgi_server + f"/v/{c.public_id}/#{code}")
    expect(page.locator("input[name=code]")).to_have_value(code)  # the moved script still fills in the code
    page.click("#enter button")
    page.locator("label", has_text="基本满意").first.click()
    page.click("#ballot button")
    expect(page.locator("#receipt")).to_be_visible()
    page.wait_for_timeout(300)
    assert messages == []
    context.close()
