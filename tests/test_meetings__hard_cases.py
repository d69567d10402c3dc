"""述职评议考核 where real meetings depart from the plan: a reporter in hospital is excused (请假) and the meeting goes
ahead without them; the committee members' marks weigh more than the public's, as the office set before voting,
with a paper count beside the phones; the organisation's own result arrives after the meeting confirmed its
secretary's result, which then takes it in."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from viewflow.workflow.models import Task

from flows.models import (
    AppraisalMark,
    AuditEntry,
    MeetingState,
    Outcome,
    PersonResult,
    PersonResultSource,
    Rating,
    Role,
)
from flows.selectors.holders import OPEN_STATUSES
from flows.services import ballots
from flows.services import meetings as svc
from flows.services.tasks import AlreadyHandled
from tests import cycle_helpers as h
from tests import meeting_helpers as mh

pytestmark = pytest.mark.django_db

GOOD, FAIR, AVERAGE, POOR = (m.value for m in AppraisalMark)


def _titles(user):
    return {str(t.flow_task.task_title) for t in Task.objects.filter(owner=user, status__in=OPEN_STATUSES)}


def test_a_reporter_in_hospital_is_excused_and_the_meeting_goes_ahead_without_them(demo, client):
    meeting, officer, second = mh.new_meeting(k=3)
    reporters = list(meeting.reporters.select_related("person").order_by("order"))
    ill = reporters[1]
    assert "Submit the written report (述职报告)" in _titles(ill.person) or _titles(ill.person)

    # the reporter cannot excuse themselves, a reason is needed, and a refusal changes nothing
    with pytest.raises(PermissionDenied):
        svc.reporter_excuse(reporter=ill, by=ill.person, reason="因病住院")
    with pytest.raises(ValidationError):
        svc.reporter_excuse(reporter=ill, by=officer, reason=" ")
    ill.refresh_from_db()
    assert ill.excused_at is None

    svc.reporter_excuse(reporter=ill, by=officer, reason="因病住院治疗")
    with pytest.raises(AlreadyHandled):  # a double click
        svc.reporter_excuse(reporter=ill, by=officer, reason="因病住院治疗")
    assert not Task.objects.filter(process=ill.process, status__in=OPEN_STATUSES).exists()  # nothing left to do
    with pytest.raises(AlreadyHandled):
        svc.report_submit(reporter=ill, by=ill.person, report="述职报告" * 10)

    for r in reporters:
        if r.pk != ill.pk:
            svc.report_submit(reporter=r, by=r.person, report=f"{r.person.real_name}2026年度抓基层党建工作述职报告" * 2)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.REPORTS_SUBMITTED  # the meeting no longer waits for the excused report

    mh.vote_at_the_meeting(meeting, officer, [{r.order: GOOD for r in reporters}] * 3)
    svc.meeting_hold(meeting=meeting, by=officer, attendance="25")
    with pytest.raises(ValidationError):  # too late to excuse once the meeting was held
        svc.reporter_excuse(reporter=reporters[2], by=officer, reason="临时外出")
    commenter = h.holder(mh.TOWNSHIP, Role.SECRETARY)
    assert ill.comment_process is None or not Task.objects.filter(
        process=ill.comment_process, status__in=OPEN_STATUSES
    ).exists()
    for r in reporters:
        if r.pk != ill.pk:
            svc.comment_submit(reporter=r, by=commenter, comment="述职实事求是。", rating=Rating.GOOD)
    svc.appraisal_close(meeting=meeting, by=officer)
    svc.results_confirm(meeting=meeting, by=second)  # no comment is waited for from the excused reporter

    results = PersonResult.objects.filter(reporter__meeting=meeting)
    assert results.count() == len(reporters) - 1
    assert not results.filter(person=ill.person).exists()
    row = AuditEntry.objects.get(action="meeting.excuse", subject_id=str(meeting.pk))
    assert row.comment == "因病住院治疗" and row.actor == officer

    client.force_login(officer)
    page = client.get(reverse("meeting_detail", args=[meeting.pk])).content.decode()
    assert "因病住院治疗" in page and "请假" in page


def test_a_refused_excuse_keeps_the_typed_reason_and_a_reporter_cannot_excuse(demo, client):
    meeting, officer, _second = mh.new_meeting(k=3)
    r = meeting.reporters.select_related("person").order_by("order").first()
    url = reverse("meeting_reporter_excuse", args=[meeting.pk, r.pk])
    client.force_login(r.person)
    assert client.post(url, {"reason": "因病住院"}).status_code == 404  # sees the meeting, does not run it
    client.force_login(officer)
    long_reason = "因病" * 150
    response = client.post(url, {"reason": long_reason})
    assert response.status_code == 400
    page = response.content.decode()
    assert long_reason[:200] in page and "200" in page  # the error, with what was typed kept in the field
    r.refresh_from_db()
    assert r.excused_at is None
    assert client.post(url, {"reason": "因病住院"}).status_code == 302
    r.refresh_from_db()
    assert r.excused_reason == "因病住院"


def test_committee_members_marks_weigh_as_the_office_set_and_a_paper_count_adds_one_group(demo):
    meeting, officer, second = mh.new_meeting(k=3)
    mh.submit_every_report(meeting)
    campaign = meeting.campaign
    _b, members = ballots.tokens_issue(by=officer, campaign=campaign, count=3, group="镇党委委员")
    _b, public = ballots.tokens_issue(by=officer, campaign=campaign, count=3, group="群众代表")
    ballots.campaign_weights_set(
        by=officer, campaign=campaign, weights={"镇党委委员": "3", "群众代表": "1"}, min_turnout_percent=""
    )
    ballots.campaign_open(by=officer, campaign=campaign)
    subjects = {r.order: r.subject_id for r in meeting.reporters.all()}
    for codes, mark in ((members, GOOD), (public, AVERAGE)):
        for code in codes:
            ballots.ballot_cast(campaign=campaign, code=code, marks={(s, ""): mark for s in subjects.values()})
    svc.meeting_hold(meeting=meeting, by=officer, attendance="10")
    first = meeting.reporters.order_by("order").first()
    svc.paper_count_enter(reporter=first, by=officer, counts={POOR: "4"})
    svc.paper_count_confirm(reporter=first, by=second)
    svc.appraisal_close(meeting=meeting, by=officer)
    scores = dict(meeting.reporters.values_list("order", "appraisal_score"))
    # 3 members × weight 3 × 100 and 3 of the public × 60, over 3×3 + 3 weighted marks; the plain mean would be 80
    assert scores[2] == Decimal("90.00")
    # with four paper ballots of 差 (0 points, weight 1): (900 + 180 + 0) / (9 + 3 + 4)
    assert scores[1] == Decimal("67.50")
    counts = meeting.reporters.get(order=1).appraisal_counts
    assert counts == {GOOD: 3, FAIR: 0, AVERAGE: 3, POOR: 4}


def test_a_secretarys_result_takes_in_the_organisations_result_that_arrives_later(demo):
    cycle = h.open_cycle()
    mh.confirmed_meeting(cycle)  # 东坪村 has no result of its own yet when the meeting confirms
    shuji = h.holder(h.VILLAGE, Role.SECRETARY)
    result = PersonResult.objects.get(person=shuji, cycle=cycle, source=PersonResultSource.MEETING)
    assert result.organisation_score is None and "所在党组织尚无考核结果" in result.basis
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    assert not PersonResult.objects.filter(person=deputy, cycle=cycle).exists()

    dongping = h.through_to_review(cycle, h.VILLAGE)
    h.review(dongping, fraction=Decimal("0.9"), outcome=Outcome.NONE)
    dongping.refresh_from_db()
    result.refresh_from_db()
    assert result.organisation_score == dongping.combined_score
    expected = (
        result.appraisal_score * cycle.weight_meeting_appraisal
        + 95 * cycle.weight_meeting_comment  # the leader's comment gave 好 (95 points)
        + dongping.combined_score * cycle.weight_meeting_organisation
    ) / (cycle.weight_meeting_appraisal + cycle.weight_meeting_comment + cycle.weight_meeting_organisation)
    assert abs(result.score - expected) < Decimal("0.01")
    assert result.rating == cycle.rating_for(result.score)
    assert "补入" in result.basis and "所在党组织尚无考核结果" not in result.basis
    direct = PersonResult.objects.get(person=deputy, cycle=cycle)
    assert direct.source == PersonResultSource.ORGANISATION and direct.rating == dongping.rating
    assert AuditEntry.objects.filter(action="meeting.result_follows").count() == 1
    # a second review result (another organisation) leaves this one as it is
    h.review(h.through_to_review(cycle, "JC-QS-HT-02"), fraction=Decimal("0.9"), outcome=Outcome.NONE)
    assert AuditEntry.objects.filter(action="meeting.result_follows").count() == 2
    result.refresh_from_db()
    assert result.organisation_score == dongping.combined_score
