"""Staffed as real organisations are, in the browser: the secretary of a branch without a leader in charge drafts
and submits the self-assessment and the year moves on; a task passed on (转办) appears live in the colleague's inbox."""

import pytest
from playwright.sync_api import expect

from flows.models import ReviewCycle, Stage, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def logged_in(browser, base, username, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
    page.set_default_timeout(15_000)
    page.goto(base + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    page.wait_for_url(base + "/")
    return context, page


def test_a_secretary_alone_submits_and_a_passed_on_task_appears_live(browser, asgi_server, demo, settings, tmp_path):
    from tests.e2e.conftest import ARTIFACTS

    evidence = tmp_path / "台账.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% branch records\n")
    cycle = ReviewCycle.objects.get(year=2026, office__code="JC-ZZB")

    # 桃园村党支部 has only a secretary: he finds the draft in his inbox, fills it in and submits it
    context, page = logged_in(browser, asgi_server, "sunjie", settings.DEMO_PASSWORD)
    page.locator("table.tasks a", has_text="起草自评").first.click()
    for field in page.locator("input[name^=points_]").all():
        row = field.locator("xpath=ancestor::tr")
        field.fill(row.locator("td").nth(1).inner_text().strip())
    for upload in page.locator("input[type=file][data-required]").all():
        upload.set_input_files(str(evidence))
    page.fill("textarea[name=report]", "桃园村党支部2026年度抓党建工作述职报告")
    page.click("button[value=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交")
    assessment = cycle.assessments.get(organisation__code="JC-BH-CG-03")
    assert assessment.state == Stage.MASS_EVALUATION  # no second task asking him to approve his own draft
    page.goto(asgi_server + f"/assessments/{assessment.pk}/")
    expect(page.locator("body")).to_contain_text("书记兼任直接责任人，提交即审核")
    page.screenshot(path=str(ARTIFACTS / "staffing-secretary-alone.png"), full_page=True)
    context.close()

    # the county officer passes 南坳村's mass evaluation on to her colleague, whose open inbox shows it at once
    colleague_context, colleague = logged_in(browser, asgi_server, "jianglin", settings.DEMO_PASSWORD)
    expect(colleague.locator("[data-inbox-list]")).not_to_contain_text("南坳村")
    colleague.wait_for_selector("body[data-live-connected]", state="attached")  # the page's socket is open
    holder_context, holder = logged_in(browser, asgi_server, "houhongmei", settings.DEMO_PASSWORD)
    holder.locator("table.tasks tr", has_text="南坳村").locator("a", has_text="结束群众评议").click()
    holder.locator("summary", has_text="转办").click()
    holder.select_option("select[name=to]", value=str(User.objects.get(username="jianglin").pk))
    holder.fill("textarea[name=reason]", "外出培训，请蒋琳代为办理")
    holder.click("button:has-text('转办')")
    expect(holder.locator(".messages")).to_contain_text("已转办给蒋琳")
    expect(colleague.locator("[data-inbox-list]")).to_contain_text("南坳村", timeout=2000)
    expect(colleague.locator("[data-inbox-list]")).to_contain_text("结束群众评议")
    colleague.screenshot(path=str(ARTIFACTS / "staffing-passed-on-live.png"))
    holder_context.close()
    colleague_context.close()
