"""The report-and-review meeting's screens as each role sees them: 河塘镇's office prepares the meeting through the
form (the village secretaries proposed, a refused form keeping what was typed), a reporter sees the meeting but not
another reporter's counts before confirmation, an outsider gets the same 404 as for nothing, the paper count is
typed by one officer and confirmed by another (never by the typist), and the results per person show once
confirmed. The menu's entry 述职评议 is asked in the menu's one query."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.models import (
    AppraisalMark,
    MeetingReporter,
    MeetingState,
    Organisation,
    OversightOffice,
    ReportMeeting,
    Role,
    User,
)
from flows.policy import access
from flows.selectors import meetings as selectors
from flows.selectors.menu import menu_answers
from flows.services import meetings as svc
from tests import cycle_helpers as h
from tests import factories as f
from tests import meeting_helpers as mh

pytestmark = pytest.mark.django_db

GOOD, FAIR, AVERAGE, POOR = (m.value for m in AppraisalMark)
MEETING_DATE = datetime.date(2026, 12, 20)


def get(client, user, name, **kwargs):
    client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
    return client.get(reverse(name, kwargs=kwargs))


def body_of(response) -> str:
    return response.content.decode()


def row_of(body: str, username: str, table: str) -> str:
    """The <tr> of one reporter in one table of the meeting's page."""
    part = body[body.index(f'class="grid {table}') :]
    start = part.index(f'data-reporter="{username}"')
    return part[start : part.index("</tr>", start)]


def form_as_typed(response, **changes) -> dict:
    """What the form posts when submitted as proposed (every reporter ticked), with `changes` typed over it."""
    form, formset = response.context["form"], response.context["formset"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else getattr(v, "pk", v)) for k, v in data.items()}
    data |= {
        "r-TOTAL_FORMS": str(len(formset.forms)),
        "r-INITIAL_FORMS": str(len(formset.forms)),
        "r-MIN_NUM_FORMS": "0",
        "r-MAX_NUM_FORMS": "1000",
    }
    for row in formset.forms:
        for name in row.fields:
            value = row[name].value()
            if name == "include":
                if value:
                    data[row.add_prefix(name)] = "on"
                continue
            data[row.add_prefix(name)] = "" if value is None else str(value)
    data |= {"date": MEETING_DATE.isoformat(), "place": "河塘镇政府三楼会议室"}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.fixture
def office(demo):
    office, officer, clerk = mh.township_office()
    return {"office": office, "officer": officer, "clerk": clerk, "cycle": h.open_cycle()}


def held_meeting(cycle):
    meeting, officer, clerk = mh.new_meeting(cycle, date=MEETING_DATE)
    mh.submit_every_report(meeting)
    svc.meeting_hold(meeting=meeting, by=officer, attendance="20")
    meeting.refresh_from_db()
    return meeting, officer, clerk


def paper_counted(meeting, officer, clerk, counts):
    """Every reporter's paper count (in speaking order), typed by one officer and confirmed by the other."""
    for r, (good, fair, average, poor) in zip(meeting.reporters.order_by("order"), counts, strict=False):
        svc.paper_count_enter(reporter=r, by=officer, counts={GOOD: good, FAIR: fair, AVERAGE: average, POOR: poor})
        svc.paper_count_confirm(reporter=r, by=clerk)


# ---- preparing the meeting ---------------------------------------------------------------------------------------


def test_the_office_prepares_a_meeting_through_the_form(client, office):
    officer = office["officer"]
    response = get(client, officer, "meeting_create")
    assert response.status_code == 200
    body = body_of(response)
    secretaries = mh.village_reporters()
    for r in secretaries:  # every village with its current secretary, post prefilled, in the tree's order
        assert r["person"].real_name in body and f'value="{r["person"].title}"' in body
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    rows = response.context["formset"].forms
    assert len(rows) == len(secretaries)
    assert {row["commenter"].value() for row in rows} == {commenter.pk}  # the township secretary by default
    assert [row["order"].value() for row in rows] == list(range(1, len(rows) + 1))

    # 西岭村's secretary does not report this time; 南坳村 speaks first, commented on by the deputy secretary
    codes = [r["organisation"].code for r in secretaries]
    dongping, xiling, nanao = (codes.index(c) for c in ("JC-QS-HT-01", "JC-QS-HT-02", "JC-QS-HT-03"))
    deputy = h.holder(mh.TOWNSHIP, Role.DEPUTY)
    mine = ReportMeeting.objects.filter(cycle=office["cycle"])  # the demo's own meetings are in the city's cycle
    typed = {
        "cycle": str(office["cycle"].pk),
        "title": "河塘镇2026年度村党组织书记述职评议会",
        f"r-{xiling}-include": None,
        f"r-{nanao}-order": "０",  # typed with a Chinese input method, and not a speaking order
        f"r-{nanao}-commenter": str(deputy.pk),
        f"r-{dongping}-order": str(nanao + 1),
    }
    refused = client.post(reverse("meeting_create"), form_as_typed(response, **typed))
    assert refused.status_code == 400 and not mine.exists()
    body = body_of(refused)
    assert 'value="河塘镇2026年度村党组织书记述职评议会"' in body and 'value="０"' in body  # as typed
    response = client.post(reverse("meeting_create"), form_as_typed(response, **(typed | {f"r-{nanao}-order": "１"})))
    assert response.status_code == 302
    meeting = mine.get()
    assert response["Location"] == reverse("meeting_detail", kwargs={"pk": meeting.pk})
    assert meeting.holder.code == mh.TOWNSHIP and meeting.office == office["office"] and meeting.date == MEETING_DATE
    assert meeting.title == "河塘镇2026年度村党组织书记述职评议会" and meeting.cycle == office["cycle"]
    reporters = list(meeting.reporters.select_related("organisation", "commenter", "person").order_by("order"))
    rest = [c for c in codes if c not in ("JC-QS-HT-01", "JC-QS-HT-02", "JC-QS-HT-03")]
    assert [r.organisation.code for r in reporters] == ["JC-QS-HT-03", "JC-QS-HT-01", *rest]
    assert reporters[0].commenter == deputy and {r.commenter for r in reporters[1:]} == {commenter}
    assert [r.order for r in reporters] == list(range(1, len(secretaries)))
    assert reporters[1].title == reporters[1].person.title  # the post as proposed
    assert meeting.campaign.subjects.count() == len(secretaries) - 1  # one ballot line per reporter
    page = body_of(client.get(response["Location"]))
    assert meeting.title in page and all(r.person.real_name in page for r in reporters)
    assert "述职评议会已准备" in page  # the message


def test_a_refused_form_keeps_what_was_typed_and_marks_the_field(client, office):
    officer = office["officer"]
    before = ReportMeeting.objects.count()
    cycle = str(office["cycle"].pk)  # the city's cycle has the demo's meeting of these secretaries already
    proposed = get(client, officer, "meeting_create")
    # the service refuses a date outside the cycle's year: marked at the date, the rest as typed
    data = form_as_typed(
        proposed, cycle=cycle, date="2020-05-01", place="镇党校报告厅", attendees="镇党委委员，党员代表12名"
    )
    response = client.post(reverse("meeting_create"), data)
    assert response.status_code == 400
    body = body_of(response)
    assert re.search(r'<input type="date" name="date" value="2020-05-01"[^>]*aria-invalid="true"', body)
    assert 'value="镇党校报告厅"' in body and "镇党委委员，党员代表12名" in body
    assert ReportMeeting.objects.count() == before
    # an empty title and two reporters sharing a speaking order: refused at their fields
    data = form_as_typed(proposed, cycle=cycle, title="", **{"r-1-order": "1"})
    response = client.post(reverse("meeting_create"), data)
    assert response.status_code == 400
    assert re.search(r'name="title"[^>]*aria-invalid="true"', body_of(response))
    data = form_as_typed(proposed, cycle=cycle, **{"r-1-order": "1"})
    response = client.post(reverse("meeting_create"), data)
    assert response.status_code == 400 and "述职顺序不能都是 1" in body_of(response)
    # a secretary who already reported on the cycle: one result per person and cycle, so refused at the row
    earlier, _officer, _clerk = mh.new_meeting(office["cycle"], date=MEETING_DATE)
    response = client.post(reverse("meeting_create"), form_as_typed(proposed, cycle=cycle))
    assert response.status_code == 400 and f"已在本考核周期的{earlier.title}上述职" in body_of(response)
    assert ReportMeeting.objects.count() == before + 1
    # nobody ticked: the service's refusal at the top of the form
    data = form_as_typed(
        proposed, cycle=cycle, **{f"r-{n}-include": None for n in range(len(proposed.context["formset"].forms))}
    )
    response = client.post(reverse("meeting_create"), data)
    assert response.status_code == 400 and 'role="alert"' in body_of(response)
    assert ReportMeeting.objects.count() == before + 1


def test_only_officers_get_the_form_and_the_link(client, office):
    body = body_of(get(client, office["officer"], "meeting_list"))
    assert reverse("meeting_create") in body
    for name in ("shuji", "dingxuejun", "dangyuan"):
        assert reverse("meeting_create") not in body_of(get(client, name, "meeting_list"))
        assert get(client, name, "meeting_create").status_code == 404
    # the county's officer prepares a meeting of the county level: the township secretaries are proposed
    response = get(client, h.county_officer(), "meeting_create")
    assert response.status_code == 200
    assert "丁学军" in body_of(response)  # 河塘镇's secretary


def test_an_officer_of_two_offices_chooses_the_level_first(client, office):
    officer = office["officer"]
    f.join_office(officer, OversightOffice.objects.get(code="QS-ZZB"))
    response = get(client, officer, "meeting_create")
    assert response.status_code == 200 and "formset" not in response.context
    assert 'id="choose-office"' in body_of(response)
    client.force_login(officer)
    chosen = client.get(reverse("meeting_create"), {"office": office["office"].pk})
    assert chosen.status_code == 200 and len(chosen.context["formset"].forms) == len(mh.village_reporters())


# ---- the meeting's page ------------------------------------------------------------------------------------------


def test_the_meeting_lists_for_those_who_see_it_and_is_a_404_for_outsiders(client, office):
    meeting, _officer, _clerk = mh.new_meeting(office["cycle"], date=MEETING_DATE)
    other_village = h.holder("JC-QS-SQ-02", Role.SECRETARY)  # a village secretary of another township
    for name in ("shuji", "dingxuejun", "fangting", "lvminghui", "xianshuji"):
        assert meeting.title in body_of(get(client, name, "meeting_list")), name
        assert get(client, name, "meeting_detail", pk=meeting.pk).status_code == 200, name
    for user in (other_village, User.objects.get(username="dangyuan")):
        assert meeting.title not in body_of(get(client, user, "meeting_list"))
        refused = get(client, user, "meeting_detail", pk=meeting.pk)
        nothing = get(client, user, "meeting_detail", pk=meeting.pk + 1000)
        assert refused.status_code == nothing.status_code == 404
        assert meeting.title not in body_of(refused)


def test_a_reporter_sees_the_meeting_but_not_another_reporters_counts_before_confirmation(client, office):
    meeting, officer, clerk = held_meeting(office["cycle"])
    paper_counted(meeting, officer, clerk, [("9", "2", "1", "0"), ("3", "5", "3", "1"), ("6", "6", "0", "0")] * 2)
    svc.appraisal_close(meeting=meeting, by=officer)
    first, second = meeting.reporters.select_related("person").order_by("order")[:2]
    body = body_of(get(client, first.person, "meeting_detail", pk=meeting.pk))
    own, other = row_of(body, first.person.username, "reporters"), row_of(body, second.person.username, "reporters")
    assert "好 9" in own and str(first.appraisal_score or "") in own
    assert "好 3" not in other and "较好 5" not in other
    assert str(second.appraisal_score) not in other
    assert 'id="paper"' not in body and 'id="results"' not in body
    assert reverse("campaign_detail", kwargs={"pk": meeting.campaign.pk}) not in body  # the office's screens
    # the office sees every count
    body = body_of(get(client, officer, "meeting_detail", pk=meeting.pk))
    assert "较好 5" in row_of(body, second.person.username, "reporters")
    assert reverse("campaign_detail", kwargs={"pk": meeting.campaign.pk}) in body


def test_a_paper_count_is_typed_by_one_officer_and_confirmed_by_another(client, office):
    meeting, officer, clerk = held_meeting(office["cycle"])
    reporter = meeting.reporters.select_related("person").order_by("order").first()
    enter = reverse("meeting_paper_enter", kwargs={"pk": meeting.pk, "reporter": reporter.pk})
    confirm = reverse("meeting_paper_confirm", kwargs={"pk": meeting.pk, "reporter": reporter.pk})
    body = body_of(get(client, officer, "meeting_detail", pk=meeting.pk))
    assert 'id="paper"' in body and enter in body and confirm not in body

    # a count that is not a number: refused at its field, the typed numbers kept
    typed = {GOOD: "12", FAIR: "三", AVERAGE: "1", POOR: ""}
    response = client.post(enter, typed)
    assert response.status_code == 400
    row = row_of(body_of(response), reporter.person.username, "paper")
    assert 'value="12"' in row and 'value="三"' in row
    assert re.search(rf'name="{FAIR}" value="三"[^>]*aria-invalid="true"', row)
    reporter.refresh_from_db()
    assert reporter.paper_counts == {}

    response = client.post(enter, typed | {FAIR: "３"})  # full-width digits are digits
    assert response.status_code == 302 and response["Location"].endswith("#paper")
    reporter.refresh_from_db()
    assert reporter.paper_counts == {GOOD: 12, FAIR: 3, AVERAGE: 1, POOR: 0} and reporter.paper_entered_by == officer
    body = body_of(client.get(response["Location"]))
    assert confirm not in body and "待另一名工作人员确认" in row_of(body, reporter.person.username, "paper")
    # the typist cannot confirm their own count
    response = client.post(confirm)
    assert response.status_code == 400
    assert "非录入人" in row_of(body_of(response), reporter.person.username, "paper")
    reporter.refresh_from_db()
    assert reporter.paper_confirmed_by is None

    # the second officer confirms it, after being asked
    body = body_of(get(client, clerk, "meeting_detail", pk=meeting.pk))
    row = row_of(body, reporter.person.username, "paper")
    assert confirm in row and "data-confirm=" in row
    response = client.post(confirm)
    assert response.status_code == 302
    reporter.refresh_from_db()
    assert reporter.paper_confirmed_by == clerk
    assert "已确认" in row_of(body_of(client.get(response["Location"])), reporter.person.username, "paper")
    assert client.post(confirm).status_code == 400  # nothing waits any more

    # neither a reporter nor the commenting leader types counts; nor for a reporter of another meeting
    for name in ("shuji", "dingxuejun"):
        client.force_login(User.objects.get(username=name))
        assert client.post(enter, typed).status_code == 404
    client.force_login(officer)
    assert client.post(reverse("meeting_paper_enter", kwargs={"pk": meeting.pk, "reporter": 999999})).status_code == 404
    assert client.get(enter).status_code == 405


def test_the_paper_count_is_typed_only_while_the_meeting_is_held(client, office):
    meeting, officer, _clerk = mh.new_meeting(office["cycle"], date=MEETING_DATE)
    reporter = meeting.reporters.order_by("order").first()
    body = body_of(get(client, officer, "meeting_detail", pk=meeting.pk))
    assert 'id="paper"' not in body
    enter = reverse("meeting_paper_enter", kwargs={"pk": meeting.pk, "reporter": reporter.pk})
    response = client.post(enter, {GOOD: "3"})
    assert response.status_code == 400 and "会议召开后、现场测评结束前录入" in body_of(response)
    assert not MeetingReporter.objects.get(pk=reporter.pk).paper_counts


def test_the_results_per_person_show_after_confirmation(client, office):
    meeting, officer, clerk = held_meeting(office["cycle"])
    paper_counted(meeting, officer, clerk, [("8", "1", "0", "0")] * 6)
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    due = datetime.date.today() + datetime.timedelta(days=60)
    for r in meeting.reporters.order_by("order"):
        problems = "三会一课记录不完整" if r.order == 2 else ""
        svc.comment_submit(
            reporter=r, by=commenter, comment="述职实事求是。", rating="good", problems=problems, problems_due=due
        )
    svc.appraisal_close(meeting=meeting, by=clerk)
    before = body_of(get(client, "shuji", "meeting_detail", pk=meeting.pk))
    assert 'id="results"' not in before
    svc.results_confirm(meeting=meeting, by=officer)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONFIRMED
    for viewer in ("shuji", "dingxuejun", "lvminghui"):
        body = body_of(get(client, viewer, "meeting_detail", pk=meeting.pk))
        assert 'id="results"' in body
        for r in meeting.reporters.select_related("person", "result"):
            row = row_of(body, r.person.username, "results")
            assert r.result.get_rating_display() in row and "领导点评" in row and r.result.basis[:12] in row
            assert str(r.result.score) in row
        # after confirmation every reporter's counts show to everyone who sees the meeting
        second = meeting.reporters.select_related("person").get(order=2)
        assert "好 8" in row_of(body, second.person.username, "reporters")
    assert 'class="current" aria-current="step">考核结果已确认</li>' in body


# ---- the menu ----------------------------------------------------------------------------------------------------


def menu_labels(client, user) -> list[str]:
    client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', body_of(client.get(reverse("home"))), re.S).group(1)
    return [re.sub(r"<span.*?</span>", "", label) for label in re.findall(r"<a [^>]*>(.*?)</a>", nav)]


def test_the_menu_shows_meetings_to_officers_and_to_those_who_see_one(client, office):
    """石桥镇 has no meeting yet (the demo's are 河塘镇's and the county's): its village secretaries and party
    members see no entry until its office prepares one."""
    township = Organisation.objects.get(code="JC-QS-SQ")
    liuwan = h.holder("JC-QS-SQ-02", Role.SECRETARY)
    officer = f.UserFactory(username="sq-officer", real_name="石桥镇党建办")
    sq_office = f.make_office(township, code="SQ-DJB")
    f.join_office(officer, sq_office)
    assert "述职评议" in menu_labels(client, officer)  # an officer, before any meeting of theirs
    assert "述职评议" in menu_labels(client, "zuzhibu")
    for user in (liuwan, "dangyuan", h.holder("JC-BH-CG-03", Role.SECRETARY)):
        assert "述职评议" not in menu_labels(client, user), user
    assert "述职评议" in menu_labels(client, "shuji")  # a reporter at the demo's meeting of 河塘镇
    svc.meeting_create(
        by=officer,
        cycle=office["cycle"],
        holder=township,
        office=sq_office,
        title="石桥镇2026年度村党组织书记述职评议会",
        date=MEETING_DATE,
        place="石桥镇政府会议室",
        attendees="镇党委委员",
        reporters=[r for r in mh.village_reporters("JC-QS-SQ") if r["organisation"].code == "JC-QS-SQ-02"],
    )
    assert "述职评议" in menu_labels(client, liuwan)  # now a reporter
    assert "述职评议" not in menu_labels(client, "dangyuan")
    client.force_login(liuwan)
    on_meetings = client.get(reverse("meeting_list")).content.decode()
    assert re.search(r'<a href="/meetings/" aria-current="page">述职评议</a>', on_meetings)
    assert "石桥镇2026年度村党组织书记述职评议会" in on_meetings and "河塘镇" not in on_meetings


def test_the_menus_one_query_agrees_with_the_meetings_each_person_sees(office):
    """`menu_answers` asks both questions in one statement; it must agree with `may_see_year_over_year` and with
    "an officer, or `meetings_for` is not empty" for every demo person and for dated and edge cases."""
    meeting, _officer, _clerk = mh.new_meeting(office["cycle"], date=MEETING_DATE)
    town = meeting.holder
    today = datetime.date.today()
    earlier, later = today - datetime.timedelta(days=30), today + datetime.timedelta(days=30)
    cases = {
        "ended-town-leader": lambda u: f.give_role(u, town, role=Role.MEMBER, end=earlier),
        "future-town-leader": lambda u: f.give_role(u, town, role=Role.MEMBER, start=later),
        "town-party-member": lambda u: f.give_role(u, town, role=Role.PARTY_MEMBER),
        "county-member": lambda u: f.give_role(u, town.leading, role=Role.MEMBER),
        "other-town-leader": lambda u: f.give_role(u, Organisation.objects.get(code="JC-QS-SQ"), role=Role.MEMBER),
        "ended-officer": lambda u: f.join_office(u, office["office"], end=earlier),
        "inspector": lambda u: f.join_office(u, office["office"], role="inspector"),
    }
    for name, make in cases.items():
        make(f.UserFactory(username=f"menu-{name}"))
    f.UserFactory(username="menu-root", is_superuser=True)
    inactive = f.UserFactory(username="menu-inactive", is_active=False)
    f.join_office(inactive, office["office"])
    seen = {}
    for user in User.objects.all():
        with CaptureQueriesContext(connection) as asked:
            answers = menu_answers(user)
            assert menu_answers(user) is answers  # asked once per request
        assert len(asked) == (1 if user.is_active else 0), user.username
        fresh = User.objects.get(pk=user.pk)
        expected = bool(access.offices_of(fresh)) or selectors.meetings_for(fresh).exists()
        assert answers["may_see_meetings"] == (expected and fresh.is_active), user.username
        assert answers["may_see_year_over_year"] == access.may_see_year_over_year(fresh), user.username
        seen[user.username] = answers["may_see_meetings"]
    assert seen["menu-county-member"] and seen["menu-root"] and seen["shuji"] and seen["dingxuejun"]
    assert not any(
        seen[n]
        for n in (
            "dangyuan",
            "menu-ended-town-leader",
            "menu-future-town-leader",
            "menu-town-party-member",
            "menu-other-town-leader",
            "menu-ended-officer",
            "menu-inspector",
            "menu-inactive",
        )
    )


def test_the_township_office_downloads_its_cadres_ledger_from_the_meeting_page(client, demo):
    """The cadre ledger of the cycle, linked from the confirmed meeting: the township's office gets its own
    organisations' results (it is not the cycle's office, so nothing beyond its scope)."""
    import io

    from openpyxl import load_workbook

    from tests.meeting_helpers import confirmed_meeting

    meeting = confirmed_meeting()
    client.force_login(User.objects.get(username="lvminghui"))
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    link = reverse("excel_export_cadres", args=[meeting.cycle_id])
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200
    rows = list(
        load_workbook(
            io.BytesIO(b"".join(response.streaming_content if response.streaming else [response.content]))
        ).active.iter_rows(values_only=True)
    )
    names = {row[1] for row in rows if row and isinstance(row[0], int)}
    assert {r.person.real_name for r in meeting.reporters.select_related("person")} <= names
