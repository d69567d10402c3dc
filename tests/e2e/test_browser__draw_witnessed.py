"""Issue 22 in the browser: the office freezes a plan, anyone opens its public notice without logging in, the
witnesses' numbers and names are entered, the draw is made, and the certificate's data file, downloaded from the
page, passes the standalone verifier (`python -m zerenzhi_verify draw FILE`, no Django, no database)."""

import datetime
import json
import subprocess
import sys

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.e2e.test_browser__cycle import as_user  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_freeze_publish_witness_draw_and_verify_the_certificate(as_user, browser, live_server, demo, tmp_path):  # noqa: F811
    from flows.models import SpotCheckPlan

    due = (datetime.date.today() + datetime.timedelta(days=20)).isoformat()

    # 1. the oversight office plans a check of 青山县's villages and freezes it, announcing the numbers' source
    page = as_user("zuzhibu")
    page.goto(live_server.url + "/spot-checks/new/")
    page.select_option("select[name=office]", label="中共江川市委组织部")
    page.fill("input[name=name]", "2026年青山县村级见证抽签")
    page.fill("input[name=scope_code]", "JC-QS")
    page.check("input[name=sectors][value=village]")
    page.fill("input[name=rate_percent]", "50")
    page.fill("input[name=inspectors_per_target]", "1")
    page.fill("input[name=due]", due)
    page.click("button[type=submit]:has-text('保存方案')")
    page.fill("input[name=source]", "督查室会议上由见证人当众掷骰")
    page.click("form[action$='/freeze/'] button[type=submit]")
    expect(page.locator("[data-plan-state]")).to_contain_text("抽查对象已冻结")
    plan = SpotCheckPlan.objects.get(name="2026年青山县村级见证抽签")
    notice_url = page.locator("[data-public-notice]").get_attribute("href")
    assert plan.public_token in notice_url

    # 2. anyone with the link reads the notice, with no login: the commitment and the whole population
    outsider = browser.new_context(viewport={"width": 1280, "height": 900})
    public = outsider.new_page()
    public.goto(live_server.url + notice_url)
    expect(public.locator("[data-commitment]")).to_have_text(plan.seed_commitment)
    expect(public.locator("[data-population-digest]")).to_have_text(plan.snapshot_hash)
    expect(public.locator("[data-population] tbody tr")).to_have_count(len(plan.snapshot["population"]))
    assert plan.seed not in public.content()

    # 3. the witnesses read the dice aloud; the office records the numbers and their names, and draws
    page.fill("input[name=numbers]", "3 6 1 5 2 4")
    page.fill("textarea[name=witnesses]", "王建华（派驻纪检组）\n李秀英（群众代表）")
    page.click("form[action$='/draw/'] button[type=submit]")
    expect(page.locator("[data-plan-state]")).to_contain_text("已抽签")
    expect(page.locator("[data-witnessed-numbers]")).to_have_text("3,6,1,5,2,4")

    # 4. the certificate's data file, downloaded from the page, passes the standalone verifier
    with page.expect_download() as info:
        page.click("[data-certificate-json]")
    path = tmp_path / "certificate.json"
    info.value.save_as(path)
    assert json.loads(path.read_text(encoding="utf-8"))["draw"]["witnesses"] == [
        "王建华（派驻纪检组）",
        "李秀英（群众代表）",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "zerenzhi_verify", "draw", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "抽签结果与证书所载输入和规则完全一致" in done.stdout

    # 5. the public notice now shows the result and offers the same file to anyone
    public.reload()
    expect(public.locator("[data-certificate-json]")).to_be_visible()
    outsider.close()
