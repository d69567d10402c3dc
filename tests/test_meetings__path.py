"""述职评议考核 through the services: 河塘镇's office prepares the meeting of its village secretaries, each reporter
submits the written report from their own inbox, the attendees vote on phones with one code each covering every
reporter (and a paper count typed by one officer and confirmed by another), the township secretary comments on
each, and confirming gives every reporter a result of their own for the year."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from viewflow.workflow.models import Task

from flows.models import (
    AppraisalMark,
    AuditEntry,
    MeetingState,
    PersonResult,
    PersonResultSource,
    Rating,
    RectificationItem,
    Role,
)
from flows.selectors.holders import OPEN_STATUSES
from flows.selectors.inbox import my_tasks_page
from flows.services import ballots
from flows.services import meetings as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h
from tests import meeting_helpers as mh

pytestmark = pytest.mark.django_db

GOOD, FAIR, AVERAGE, POOR = (m.value for m in AppraisalMark)


def open_tasks(user):
    return Task.objects.filter(owner=user, status__in=OPEN_STATUSES)


def titles(user):
    return {str(t.flow_task.task_title) for t in open_tasks(user)}


def test_a_meeting_from_preparation_to_every_reporters_result(demo):
    cycle = h.open_cycle()
    # 东坪村's own assessment has a result (a submitted review): it counts in its secretary's result
    dongping = h.assessment_of(cycle)
    h.do_self_assessment(dongping)
    h.approve_self(dongping)
    h.close_mass(dongping)
    h.review(dongping, fraction=Decimal("0.9"), outcome="none")
    meeting, officer, second = mh.new_meeting(cycle)
    reporters = list(meeting.reporters.select_related("person", "organisation"))
    assert [r.organisation.code for r in reporters] == [
        "JC-QS-HT-01",
        "JC-QS-HT-02",
        "JC-QS-HT-03",
        "JC-QS-HT-04",
        "JC-QS-HT-05",
    ]
    assert meeting.campaign.subjects.count() == 5  # one ballot line per reporter: one code covers them all

    # each reporter finds the written report in their own inbox; the office cannot hold the meeting yet
    for r in reporters:
        assert "提交述职报告" in titles(r.person)
    # with its own due date in 我的待办 (three days before the meeting unless the office says otherwise)
    row = my_tasks_page(reporters[0].person)["rows"][0]
    assert row["due"] == meeting.reports_due == datetime.date(2026, 12, 17)
    assert row["organisation"] == reporters[0].organisation.name and row["organisation_url"].startswith("/orgs/")
    with pytest.raises(ValidationError, match="述职报告"):
        svc.meeting_hold(meeting=meeting, by=officer, attendance="25")
    with pytest.raises(PermissionDenied):
        svc.report_submit(reporter=reporters[1], by=reporters[0].person, report="替别人提交的述职报告" * 3)
    mh.submit_every_report(meeting)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REPORTS_SUBMITTED
    # the holding level's office records the receipt of each written report (书面述职 to the level above)
    processes = [r.process_id for r in reporters]
    receipts = Task.objects.filter(process_id__in=processes, status__in=OPEN_STATUSES)
    assert [t.flow_task.name for t in receipts] == ["receive"] * 5 and not any(t.owner_id for t in receipts)
    with pytest.raises(PermissionDenied):
        svc.report_receive(reporter=reporters[0], by=reporters[0].person)
    for r in reporters:
        svc.report_receive(reporter=r, by=officer)
    with pytest.raises(AlreadyHandled):
        svc.report_receive(reporter=reporters[0], by=second)
    assert all(r.report_received_by == officer for r in meeting.reporters.all())
    assert not any("提交述职报告" in titles(r.person) for r in reporters)
    with pytest.raises(ValidationError):  # submitted once, never twice
        svc.report_submit(reporter=reporters[0], by=reporters[0].person, report="第二次提交的述职报告内容" * 3)

    # at the meeting: six attendees vote on phones, every reporter on each ballot
    mh.vote_at_the_meeting(
        meeting,
        officer,
        [{1: GOOD, 2: FAIR, 3: GOOD, 4: AVERAGE, 5: GOOD}] * 4 + [{1: GOOD, 2: GOOD, 3: POOR, 4: AVERAGE, 5: FAIR}] * 2,
    )
    with pytest.raises(PermissionDenied):  # a reporter does not run the meeting
        svc.meeting_hold(meeting=meeting, by=reporters[0].person, attendance="25")
    svc.meeting_hold(meeting=meeting, by=officer, attendance="２５")  # typed with a Chinese input method
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.HELD and meeting.attendance == 25
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    assert sum("领导点评" in str(t.flow_task.task_title) for t in open_tasks(commenter)) == 5

    due = datetime.date.today() + datetime.timedelta(days=60)
    # the paper fallback: three paper ballots for 东坪村's secretary, typed by one officer, confirmed by another
    svc.paper_count_enter(reporter=reporters[0], by=officer, counts={GOOD: "2", FAIR: "1", AVERAGE: "", POOR: "0"})
    with pytest.raises(PermissionDenied):
        svc.paper_count_confirm(reporter=reporters[0], by=officer)
    with pytest.raises(ValidationError):  # closing waits for the second pair of eyes
        svc.appraisal_close(meeting=meeting, by=officer)
    svc.paper_count_confirm(reporter=reporters[0], by=second)

    # the township secretary comments on each; problems pointed out for 西岭村
    with pytest.raises(PermissionDenied):
        svc.comment_submit(reporter=reporters[0], by=officer, comment="点评", rating=Rating.GOOD)
    with pytest.raises(ValidationError) as refused:
        svc.comment_submit(
            reporter=reporters[1], by=commenter, comment="点评", rating=Rating.AVERAGE, problems="台账不全"
        )
    assert "problems_due" in refused.value.message_dict
    # 河塘社区 is not assessed in this (village) cycle: its problems could become no rectification item, so say so
    with pytest.raises(ValidationError) as refused:
        svc.comment_submit(
            reporter=reporters[3],
            by=commenter,
            comment="点评",
            rating=Rating.AVERAGE,
            problems="台账不全",
            problems_due=due,
        )
    assert (
        "不在" in refused.value.message_dict["problems"][0]
        or "not assessed" in refused.value.message_dict["problems"][0]
    )
    for r, rating in zip(
        reporters, [Rating.GOOD, Rating.AVERAGE, Rating.FAIRLY_GOOD, Rating.FAIRLY_GOOD, Rating.GOOD], strict=True
    ):
        problems = "三会一课记录不完整\n发展党员程序不规范" if r.order == 2 else ""
        svc.comment_submit(
            reporter=r,
            by=commenter,
            comment=f"{r.person.real_name}同志述职实事求是。",
            rating=rating,
            problems=problems,
            problems_due=due if problems else None,
        )
    with pytest.raises(ValidationError):  # closing comes before confirming
        svc.results_confirm(meeting=meeting, by=officer)

    svc.appraisal_close(meeting=meeting, by=second)
    meeting.refresh_from_db()
    meeting.campaign.refresh_from_db()
    assert meeting.state == MeetingState.APPRAISAL_CLOSED and meeting.campaign.state == "closed"
    first, secondrow, third, _fourth, _fifth = meeting.reporters.order_by("order")
    # 东坪村: 6 electronic 好 + 2 paper 好, 1 paper 较好 = (8×100 + 80) / 9
    assert first.appraisal_counts == {GOOD: 8, FAIR: 1, AVERAGE: 0, POOR: 0}
    assert str(first.appraisal_score) == "97.78"
    assert str(secondrow.appraisal_score) == "86.67"  # (4×80 + 2×100) / 6
    assert str(third.appraisal_score) == "66.67"  # (4×100 + 2×0) / 6

    with pytest.raises(AlreadyHandled):  # a double click on the office's task
        svc.appraisal_close(meeting=meeting, by=officer)
    svc.results_confirm(meeting=meeting, by=officer)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CONFIRMED

    results = {
        r.person.username: r for r in PersonResult.objects.filter(cycle=cycle, source=PersonResultSource.MEETING)
    }
    assert len(results) == 5
    shuji = results["shuji"]
    dongping.refresh_from_db()
    # 40 × appraisal + 30 × comment (好: 95) + 30 × the organisation's combined score, over 100
    expected = (first.appraisal_score * 40 + 95 * 30 + dongping.combined_score * 30) / 100
    assert abs(shuji.score - expected) < 0.01 and shuji.rating == cycle.rating_for(shuji.score)
    assert shuji.organisation_score == dongping.combined_score
    xiling = results[secondrow.person.username]
    assert xiling.organisation_score is None  # 西岭村 has no review yet: its part is left out, the others rescaled
    assert abs(xiling.score - (secondrow.appraisal_score * 40 + 70 * 30) / 70) < 0.01
    assert "组织" in xiling.basis

    # the problems pointed out are rectification items owned by 西岭村's secretary, in the rectification flow
    items = RectificationItem.objects.filter(owner=secondrow.person)
    assert sorted(i.problem for i in items) == ["三会一课记录不完整", "发展党员程序不规范"]
    assert all(i.due == due and i.process_id for i in items)
    # 东坪村's person in direct charge gets the year's result of the organisation's assessment
    direct = PersonResult.objects.get(person__username="fenguan", cycle=cycle)
    assert direct.source == PersonResultSource.ORGANISATION and direct.rating == dongping.rating
    assert AuditEntry.objects.filter(action="meeting.results", subject_id=str(meeting.pk)).count() == 1
    assert not open_tasks(commenter).filter(flow_task__icontains="MeetingCommentFlow").exists()


def test_only_the_holding_levels_office_runs_a_meeting(demo):
    cycle = h.open_cycle()
    office, officer, _second = mh.township_office()
    county = h.county_officer()  # an officer of the county's office, not of the township's
    kwargs = dict(
        cycle=cycle,
        holder=office.scope,
        office=office,
        title="述职评议会",
        date=datetime.date(2026, 12, 20),
        place="会议室",
        attendees="镇党委委员",
        reporters=mh.village_reporters(),
    )
    with pytest.raises(PermissionDenied):
        svc.meeting_create(by=county, **kwargs)
    not_secretary = mh.village_reporters()
    not_secretary[0] = not_secretary[0] | {"person": h.holder("JC-QS-HT-01", Role.DEPUTY)}
    with pytest.raises(ValidationError, match="书记"):
        svc.meeting_create(by=officer, **(kwargs | {"reporters": not_secretary}))
    assert not cycle.meetings.exists()


def test_fewer_marks_than_k_give_no_appraisal_score(demo):
    meeting, officer, _second = mh.new_meeting(k=5)
    mh.submit_every_report(meeting)
    mh.vote_at_the_meeting(meeting, officer, [dict.fromkeys(range(1, 6), GOOD)] * 3)
    svc.meeting_hold(meeting=meeting, by=officer, attendance="3")
    svc.appraisal_close(meeting=meeting, by=officer)
    assert all(r.appraisal_score is None for r in meeting.reporters.all())
    assert ballots.tally(meeting.campaign).subjects[0]["shown"] is False


def test_a_reporter_who_leaves_the_post_keeps_the_result(demo):
    from flows.services import people as people_svc

    meeting, officer, second = mh.new_meeting(k=3)
    mh.submit_every_report(meeting)
    mh.vote_at_the_meeting(meeting, officer, [dict.fromkeys(range(1, 6), GOOD)] * 3)
    svc.meeting_hold(meeting=meeting, by=officer, attendance="20")
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    for r in meeting.reporters.all():
        svc.comment_submit(reporter=r, by=commenter, comment="述职全面。", rating=Rating.GOOD)
    svc.appraisal_close(meeting=meeting, by=officer)
    svc.results_confirm(meeting=meeting, by=second)
    shuji = h.holder("JC-QS-HT-01", Role.SECRETARY)
    successor = h.holder("JC-QS-HT-01", Role.DEPUTY)
    people_svc.role_handover(
        by=h.county_officer(),
        assignment=shuji.roles.get(role=Role.SECRETARY, end__isnull=True),
        successor=successor,
        on=datetime.date.today(),
        reason="调任",
    )
    assert not shuji.roles.filter(role=Role.SECRETARY, end__isnull=True).exists()  # no longer the secretary
    result = PersonResult.objects.get(person=shuji, cycle=meeting.cycle, source=PersonResultSource.MEETING)
    assert result.rating and result.organisation.code == "JC-QS-HT-01" and result.year == 2026
    assert not PersonResult.objects.filter(person=successor, source=PersonResultSource.MEETING).exists()


def test_an_attendees_code_votes_once_for_every_reporter_and_never_twice(demo):
    meeting, officer, _second = mh.new_meeting(k=3)
    mh.submit_every_report(meeting)
    codes, receipts = mh.vote_at_the_meeting(meeting, officer, [dict.fromkeys(range(1, 6), GOOD)] * 3)
    assert len(set(receipts)) == 3
    subjects = {r.order: r.subject_id for r in meeting.reporters.all()}
    with pytest.raises(ballots.BallotRefused):
        ballots.ballot_cast(campaign=meeting.campaign, code=codes[0], marks={(s, ""): POOR for s in subjects.values()})
    with pytest.raises(ballots.BallotIncomplete):  # one ballot answers for every reporter, none left out
        ballots.ballot_cast(campaign=meeting.campaign, code="unused", marks={(subjects[1], ""): GOOD})
    from flows.models import BallotMark, MeetingReporter, PersonResult, ReportMeeting

    assert BallotMark.objects.filter(ballot__campaign=meeting.campaign).count() == 3 * 5
    # the meeting's own tables keep counts, never a ballot, a mark or a code: nothing there links a vote to a voter
    for model in (ReportMeeting, MeetingReporter, PersonResult):
        targets = {f.related_model.__name__ for f in model._meta.get_fields() if f.is_relation and f.related_model}
        assert not targets & {"Ballot", "BallotMark", "VoterToken"}, model


def test_the_offices_steps_are_about_the_holding_level_and_its_published_marks_are_words(client, demo):
    """The office's tasks of a township meeting are about the township (so its own office takes or passes them
    on), and after the close the public results page names each mark in words."""
    from flows.selectors.holders import organisation_behind, pass_on_candidates

    meeting, officer, second = mh.new_meeting(k=3)
    assert organisation_behind(meeting).code == mh.TOWNSHIP
    hold = Task.objects.get(process=meeting.process, status__in=OPEN_STATUSES)
    assert second in pass_on_candidates(hold) or officer in pass_on_candidates(hold)
    mh.submit_every_report(meeting)
    mh.vote_at_the_meeting(meeting, officer, [dict.fromkeys(range(1, 6), FAIR)] * 3)
    ballots.campaign_close(by=officer, campaign=meeting.campaign)
    page = client.get(f"/v/{meeting.campaign.public_id}/results/").content.decode()
    assert "较好" in page and "fairly_good" not in page
