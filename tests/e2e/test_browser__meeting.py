"""A whole report-and-review meeting (述职评议会) in the browser: 河塘镇's office prepares it, each village secretary
submits the written report from 我的待办, the office issues the voting codes and opens the voting, three attendees
vote on their phones (one code covers every reporter), the office records the meeting held, the township secretary
comments on each reporter from his phone (problems pointed out for one), the office closes the appraisal and
confirms the results, and every reporter's result shows on the meeting's page."""

import datetime
import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.checks import PHONE, axe_violations, page_width

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "河塘镇2026年度村（社区）党组织书记述职评议会（浏览器）"
MEETING_DATE = "2026-12-28"


@pytest.fixture
def as_user(browser, live_server, settings, request):
    """A logged-in browser for one person: a desktop, or a phone; `checked` contexts let axe-core in (bypass_csp)."""
    from tests.e2e.conftest import ARTIFACTS

    contexts = []

    def _as(username, *, phone=False, checked=False):
        options = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 900}}
        context = browser.new_context(**options, accept_downloads=True, bypass_csp=checked)
        contexts.append((username, context))
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # irreversible steps ask first
        page.set_default_timeout(15_000)
        page.goto(live_server.url + "/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", settings.DEMO_PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(live_server.url + "/")
        return page

    yield _as
    ARTIFACTS.mkdir(exist_ok=True)
    for username, context in contexts:
        for n, page in enumerate(context.pages):
            if not page.is_closed():
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{username}-{n}.png"), full_page=True)
        context.close()


def open_task(page, title, context):
    """Open the first task called `title` about `context` (the cycle) in the list on the page."""
    row = page.locator("table.tasks tr", has_text=title).filter(has_text=context).first
    row.locator("a", has_text=title).click()
    expect(page.locator("h1")).to_contain_text(title)


def open_office_task(page, title, context):
    """The office's steps wait in 待认领 for whichever officer takes them."""
    page.click("nav.mainnav >> text=待认领")
    open_task(page, title, context)


def test_a_report_and_review_meeting_from_preparation_to_the_results(as_user, demo, settings, live_server):
    from flows.models import MeetingReporter, MeetingState, PersonResult, RectificationItem, ReportMeeting
    from tests import cycle_helpers as h
    from tests import meeting_helpers as mh
    from tests.e2e.conftest import ARTIFACTS

    cycle = h.open_cycle()  # 青山县's cycle of its villages: 河塘镇's secretaries report on its year
    office, officer, clerk = mh.township_office()
    for user in (officer, clerk):
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
    villages = mh.village_reporters()
    names = [r["person"].real_name for r in villages]

    # 1. the township's office prepares the meeting: the village secretaries are proposed
    office_page = as_user(officer.username, checked=True)
    office_page.click("nav.mainnav >> text=述职评议")
    office_page.click("text=新建述职评议会")
    expect(office_page.locator("table.reporters-form tbody tr")).to_have_count(len(villages))
    office_page.select_option("select[name=cycle]", label=cycle.name)
    office_page.fill("input[name=title]", TITLE)
    office_page.fill("input[name=date]", MEETING_DATE)
    office_page.fill("input[name=place]", "河塘镇政府三楼会议室")
    office_page.fill("input[name=k_threshold]", "3")  # three attendees vote in this test
    office_page.screenshot(path=str(ARTIFACTS / "meeting-create-form.png"), full_page=True)
    assert axe_violations(office_page) == []
    office_page.click("form.meeting-form button.primary")
    expect(office_page.locator("h1")).to_contain_text(TITLE)
    expect(office_page.locator(".messages")).to_contain_text("述职评议会已准备")
    meeting = ReportMeeting.objects.get(cycle=cycle, title=TITLE)
    meeting_url = office_page.url

    # 2. each reporter submits the written report from 我的待办
    for r in villages:
        page = as_user(r["person"].username)
        open_task(page, "提交述职报告", cycle.name)
        page.fill(
            "textarea[name=report]",
            f"{r['organisation'].short_name}2026年度抓基层党建工作述职报告：落实“三会一课”，发展集体经济，"
            "不足是党员教育方式比较单一。",
        )
        page.click("form.step-form button.primary")
        expect(page.locator(".messages")).to_contain_text("述职报告已提交")
        page.context.close()
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REPORTS_SUBMITTED

    # 3. the office issues three voting codes on the appraisal's page (a zip: PDF sheet and Excel list), opens it
    office_page.goto(meeting_url)
    office_page.click("text=现场测评：发放测评码、开始和结束投票")
    office_page.fill("input[name=count]", "3")
    office_page.fill("input[name=group]", "参会人员")
    with office_page.expect_download() as download:
        office_page.click("form[action$='/issue/'] button")
    archive = zipfile.ZipFile(download.value.path())
    xlsx = next(n for n in archive.namelist() if n.endswith(".xlsx"))
    rows = list(load_workbook(io.BytesIO(archive.read(xlsx)), read_only=True).active.iter_rows(values_only=True))
    links = [row[2] for row in rows[3:6]]
    assert all("#" in link for link in links)
    office_page.click("form[action$='/open/'] button")
    expect(office_page.locator(".messages")).to_contain_text("投票已开始")

    # 4. three attendees vote on their phones: the ballot lists every reporter; one code covers them all
    answers = ["good", "fairly_good", "good"]
    seen = {}
    for n, link in enumerate(links):
        parts = urlsplit(link)
        phone = office_page.context.browser.new_context(**PHONE, bypass_csp=True)  # voters do not log in
        voter = phone.new_page()
        voter.on("dialog", lambda dialog: dialog.accept())
        voter.goto(f"{live_server.url}{parts.path}#{parts.fragment}")
        expect(voter.locator("input[name=code]")).to_have_value(parts.fragment)
        if n == 0:
            seen["entry"] = (page_width(voter), axe_violations(voter))
        voter.click("#enter button")
        subjects = voter.locator("#ballot fieldset.subject")
        expect(subjects).to_have_count(len(villages))
        legends = " ".join(subjects.locator("legend").all_inner_texts())
        assert all(name in legends for name in names), legends
        if n == 0:
            seen["ballot"] = (page_width(voter), axe_violations(voter))
        for i in range(len(villages)):
            subjects.nth(i).locator(f"input[value={answers[n] if i else 'good'}]").check()
        voter.click("#ballot button")
        expect(voter.locator("#receipt")).to_be_visible()
        assert len(voter.locator("#receipt").inner_text().strip()) == 11
        if n == 0:
            seen["receipt"] = (page_width(voter), axe_violations(voter))
        phone.close()

    # 5. the office records the meeting as held, from 待认领
    open_office_task(office_page, "述职评议会：登记会议召开情况", cycle.name)
    office_page.fill("input[name=attendance]", "18")
    office_page.click("form.step-form button.primary")
    expect(office_page.locator(".messages")).to_contain_text("会议")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.attendance == 18

    # 6. the township secretary comments on each reporter from his phone; problems pointed out for 刘建国
    leader = as_user("dingxuejun", phone=True, checked=True)
    due = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    for n in range(len(villages)):
        leader.click("nav.mainnav >> text=我的待办")
        open_task(leader, "领导点评", cycle.name)
        if n == 0:
            seen["leader"] = (page_width(leader), axe_violations(leader))
        about = leader.locator("main h2").first.inner_text()
        leader.fill("textarea[name=comment]", "述职实事求是，抓党建思路清晰，要在党员教育上再下功夫。")
        if "刘建国" in about:
            leader.select_option("select[name=rating]", value="average")
            leader.fill("textarea[name=problems]", "“三会一课”记录不规范\n流动党员管理不到位")
            leader.fill("input[name=problems_due]", due)
        else:
            leader.select_option("select[name=rating]", value="good")
        leader.click("form.step-form button.primary")
        expect(leader.locator(".messages")).to_contain_text("点评已记录")
    seen["leader-done"] = (page_width(leader), [])
    assert MeetingReporter.objects.filter(meeting=meeting, commented_at__isnull=True).count() == 0

    # 7. the office closes the appraisal and confirms the results
    open_office_task(office_page, "述职评议会：结束现场测评", cycle.name)
    office_page.click("form.step-form button.primary")
    expect(office_page.locator(".messages")).to_contain_text("现场测评已结束")
    open_office_task(office_page, "述职评议会：确认考核结果", cycle.name)
    office_page.click("form.step-form button.primary")
    expect(office_page.locator(".messages")).to_contain_text("考核结果已确认")

    # 8. the results per person on the meeting's page
    office_page.goto(meeting_url)
    results = office_page.locator("table.results tbody tr")
    expect(results).to_have_count(len(villages))
    for r in villages:
        row = office_page.locator(f"table.results tr[data-reporter={r['person'].username}]")
        result = PersonResult.objects.get(person=r["person"], cycle=cycle)
        expect(row).to_contain_text(result.get_rating_display())
        expect(row).to_contain_text("领导点评")
        assert result.appraisal_score is not None  # three marks, k = 3
    expect(office_page.locator("ol.stages li[aria-current=step]")).to_have_text("考核结果已确认")
    liu = PersonResult.objects.get(person__username="shuji", cycle=cycle)
    assert liu.comment_rating == "average"
    assert RectificationItem.objects.filter(owner__username="shuji", problem="流动党员管理不到位").exists()
    assert axe_violations(office_page) == []
    # the voter's pages and the leader's fit a phone's 390 px and have no serious accessibility fault
    assert all(width <= 392 and not faults for width, faults in seen.values()), seen
    assert re.search(r"\d", office_page.locator("table.results").inner_text())


def test_the_county_office_excuses_a_reporter_on_a_phone_and_the_meeting_stops_waiting(as_user, demo, live_server):
    """The demo's coming county meeting: 开发区's secretary is already excused; 丁学军 falls ill before his report is
    in, and the county officer excuses him from her phone — a refusal first (no reason) keeps the page as it was."""
    from flows.models import MeetingState, ReportMeeting

    meeting = ReportMeeting.objects.get(holder__code="JC-QS", date=datetime.date(2026, 12, 18))
    page = as_user("shaoning", phone=True, checked=True)
    page.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    row = page.locator("table.reporters tr[data-reporter=wangli]")
    expect(row).to_contain_text("请假")
    expect(row).to_contain_text("招商引资")
    ding = page.locator("table.reporters tr[data-reporter=dingxuejun]")
    ding.locator("summary", has_text="请假").click()
    assert axe_violations(page) == []
    assert page_width(page) <= PHONE["viewport"]["width"]
    ding.locator("input[name=reason]").fill("  ")  # only spaces: the browser lets it through, the service refuses
    ding.locator("button", has_text="办理请假").click()
    ding = page.locator("table.reporters tr[data-reporter=dingxuejun]")
    expect(ding.locator("[role=alert]")).to_contain_text("请填写请假原因")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PREPARED
    ding.locator("input[name=reason]").fill("突发疾病住院治疗")
    ding.locator("button", has_text="办理请假").click()
    expect(page.locator(".messages")).to_contain_text("已请假")
    expect(page.locator("table.reporters tr[data-reporter=dingxuejun]")).to_contain_text("突发疾病住院治疗")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REPORTS_SUBMITTED  # 石桥镇's report is in; nobody else is waited for
