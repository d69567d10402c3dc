"""One village through a whole cycle in the browser: the person in direct charge, the secretary, the
oversight office and the reviewer each do their step from their own inbox."""

import datetime
import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def as_user(browser, live_server, settings, request):
    from tests.e2e.conftest import ARTIFACTS

    contexts = []

    def _as(username):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.asked, page.cancel_next = [], False  # irreversible steps ask first: what each one said

        def answer(dialog):
            page.asked.append(dialog.message)
            dialog.dismiss() if page.cancel_next else dialog.accept()
            page.cancel_next = False

        page.on("dialog", answer)
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        return page

    yield _as
    ARTIFACTS.mkdir(exist_ok=True)
    for n, context in enumerate(contexts):
        for page in context.pages:
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}.png"), full_page=True)
        context.close()


def open_task(page, title, org="东坪村"):
    row = page.locator("table.tasks tr", has_text=org).filter(has_text=title)
    row.locator("a", has_text=title).click()
    expect(page.locator("h1")).to_contain_text(title)


def test_a_village_goes_through_a_whole_cycle(as_user, demo, tmp_path):
    evidence = tmp_path / "三会一课台账.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% minutes of the branch meetings\n")

    # 1. the person in direct charge drafts and submits the self-assessment with evidence
    page = as_user("fenguan")
    open_task(page, "起草自评")
    for field in page.locator("input[name^=points_]").all():
        row = field.locator("xpath=ancestor::tr")
        field.fill(row.locator("td").nth(1).inner_text().strip())
    for upload in page.locator("input[type=file][data-required]").all():
        upload.set_input_files(str(evidence))
    page.fill("textarea[name=report]", "东坪村党支部2026年度抓党建工作述职报告：……")
    page.cancel_next = True  # cancelled: nothing is sent, the form stays as typed
    page.click("button[value=submit]")
    expect(page.locator("h1")).to_contain_text("起草自评")
    expect(page.locator("textarea[name=report]")).to_have_value("东坪村党支部2026年度抓党建工作述职报告：……")
    page.click("button[value=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交")
    # it asked first, saying what submitting means, and then said who acts next and by when
    assert page.asked == ["确认提交书记审核？提交后除非被退回，不能再修改。"] * 2
    expect(page.locator(".messages")).to_contain_text(re.compile(r"下一步：审核自评（\S+）.*\d{4}-\d\d-\d\d"))

    # 2. the secretary signs it off
    page = as_user("shuji")
    open_task(page, "审核自评")
    expect(page.locator("table.scores")).to_contain_text("三会一课台账.pdf")
    page.click("button[value=approve]")
    expect(page.locator(".messages")).to_contain_text("审核通过")

    # 3. the oversight office closes the mass evaluation from its queue
    page = as_user("zuzhibu")
    page.click("text=待认领")
    open_task(page, "结束群众评议")
    page.fill("input[name=mass_score]", "82")
    page.click("form.step-form button.primary")
    expect(page.locator(".messages")).to_contain_text("上级考评")

    # 4. the township secretary reviews: weak work, criticism and rectification with a deadline
    page = as_user("dingxuejun")
    open_task(page, "上级考评")
    for field in page.locator("input[name^=points_]").all():
        maximum = float(field.locator("xpath=ancestor::tr").locator("td").nth(1).inner_text())
        field.fill(f"{maximum * 0.6:.1f}")
    page.click("button[value=save]")
    expect(page.locator(".draft-result")).to_contain_text("一般")  # what the saved draft gives, not yet a rating
    page.check("input[name=outcome][value=rectification]")
    page.fill("textarea[name=rect_problem_1]", "三会一课记录不完整")
    page.select_option("select[name=rect_owner_1]", label="周海燕")
    page.fill("input[name=rect_due_1]", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    page.click("button[value=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交")

    # 5. the owner reports on the rectification item
    page = as_user("fenguan")
    open_task(page, "报告整改情况")
    page.fill("textarea[name=report]", "已补齐全年会议记录并经支委会审定")
    page.set_input_files("input[name=evidence]", str(evidence))
    page.click("form.step-form button.primary")

    # 6. the reviewer verifies it: the year is closed
    page = as_user("dingxuejun")
    page.click("text=待认领")
    open_task(page, "验收整改事项")
    page.click("button[value=verify]")
    expect(page.locator(".messages")).to_contain_text("验收")

    # 7. the oversight office sees the closed assessment, its history and its rating
    page = as_user("zuzhibu")
    page.click("text=考核周期")
    page.click("text=2026年度江川市基层党建工作责任制考核")
    page.locator("table.ranking a", has_text="东坪村").click()
    expect(page.locator("ol.stages li[aria-current=step]")).to_have_text("已办结")
    expect(page.locator("table.rectification")).to_contain_text("验收通过")
    expect(page.locator("details.history")).to_contain_text("周海燕")


def test_a_double_click_on_an_irreversible_step_asks_once(as_user, demo):
    """提交书记审核 asks before it sends. Clicked twice in a row, the question comes once: the second click,
    while the page is on its way, is not asked again (and the server would answer it 已处理 anyway)."""
    page = as_user("fenguan")
    open_task(page, "起草自评")
    page.locator("button[name=action][value=submit]").dblclick()
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    assert len(page.asked) == 1, page.asked
