"""任用干部看党建 on the person's page: every year's results, the reports at meetings and the accountability measures
naming the person. Who may open whose page does not change; what the page lists follows the same rules as the
meeting's page (the leader's comment only once the results are confirmed, before that to the reporter and to
those who see everything of the meeting) and as the roles (only organisations the viewer may see)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from flows.models import (
    MeetingState,
    Organisation,
    Outcome,
    PersonResult,
    PersonResultSource,
    Rating,
    Role,
    User,
)
from flows.services import assessments as assessment_svc
from flows.services import meetings as svc
from tests import cycle_helpers as h
from tests import meeting_helpers as mh
from tests.meeting_helpers import confirmed_meeting

pytestmark = pytest.mark.django_db


def page(client, viewer, person):
    client.force_login(viewer if isinstance(viewer, User) else User.objects.get(username=viewer))
    return client.get(reverse("person_detail", kwargs={"pk": person.pk}))


def article(body: str, marker: str) -> str:
    """The <article> carrying `marker` (data-result="…", data-meeting="…"), or "" when the page has none."""
    at = body.find(marker)
    if at < 0:
        return ""
    return body[body.rfind("<article", 0, at) : body.index("</article>", at)]


def of_meeting(body, meeting) -> str:
    return article(body, f'data-meeting="{meeting.pk}"')


def of_result(body, result) -> str:
    return article(body, f'data-result="{result.pk}"')


def shuji():
    return h.holder(h.VILLAGE, Role.SECRETARY)


COMMENT = "抓党建责任落实到位"
REPORT = "2026年度抓基层党建工作述职报告"


def test_the_reporter_finds_the_years_result_the_report_and_the_comment_on_their_own_page(client, demo):
    meeting = confirmed_meeting()
    result = PersonResult.objects.get(person=shuji(), cycle=meeting.cycle)
    client.force_login(shuji())
    body = client.get(reverse("me")).content.decode()
    listed = of_result(body, result)
    assert 'data-year="2026"' in listed and result.get_rating_display() in listed and str(result.score) in listed
    assert result.basis in listed  # how the result was reached
    assert reverse("meeting_detail", kwargs={"pk": meeting.pk}) in listed and meeting.title in listed
    report = of_meeting(body, meeting)
    assert "<details>" in report and REPORT in report  # the written report, collapsed
    assert COMMENT in report  # the leader's comment, and the problems pointed out
    assert "<li>三会一课记录不完整</li>" in report and "<li>发展党员程序不规范</li>" in report


def test_the_county_office_sees_the_results_on_the_secretarys_page(client, demo):
    meeting = confirmed_meeting(review_first=True)
    result = PersonResult.objects.get(person=shuji(), cycle=meeting.cycle)
    body = page(client, h.county_officer(), shuji()).content.decode()
    assert of_result(body, result) and COMMENT in of_meeting(body, meeting)
    # the person in direct charge has a result of the same year, from the organisation's assessment
    deputy = h.holder(h.VILLAGE, Role.DEPUTY)
    direct = PersonResult.objects.get(person=deputy, cycle=meeting.cycle)
    assert direct.source == PersonResultSource.ORGANISATION and direct.duty == Role.DEPUTY
    body = page(client, h.county_officer(), deputy).content.decode()
    listed = of_result(body, direct)
    assert direct.get_rating_display() in listed and str(direct.organisation_score) in listed
    assert not of_meeting(body, meeting)  # the deputy did not report at the meeting


def test_before_confirmation_the_comment_is_the_reporters_and_the_offices_only(client, demo):
    meeting = confirmed_meeting(confirm=False)
    assert meeting.state == MeetingState.HELD
    # the township's deputy secretary leads the holding level: sees the meeting and the report, not the comment
    leader = h.holder(mh.TOWNSHIP, Role.DEPUTY)
    report = of_meeting(page(client, leader, shuji()).content.decode(), meeting)
    assert meeting.title in report and REPORT in report
    assert COMMENT not in report and "三会一课记录不完整" not in report
    assert not PersonResult.objects.filter(cycle=meeting.cycle).exists()  # no result before confirmation
    # the reporter, the meeting's office and the commenting leader see it
    _office, officer, second = mh.township_office()
    for viewer in (shuji(), officer, h.holder(mh.TOWNSHIP, Role.SECRETARY)):
        assert COMMENT in of_meeting(page(client, viewer, shuji()).content.decode(), meeting), viewer
    # once confirmed, everyone who sees the meeting sees it
    svc.appraisal_close(meeting=meeting, by=officer)
    svc.results_confirm(meeting=meeting, by=second)
    body = page(client, leader, shuji()).content.decode()
    assert COMMENT in of_meeting(body, meeting) and "三会一课记录不完整" in of_meeting(body, meeting)
    assert of_result(body, PersonResult.objects.get(person=shuji(), cycle=meeting.cycle))


def test_a_viewer_who_may_not_see_the_meeting_gets_no_report_from_it(client, demo):
    meeting = confirmed_meeting()
    # 东坪村's leader in charge may open the secretary's page (same organisation) but is no part of the meeting
    body = page(client, h.holder(h.VILLAGE, Role.DEPUTY), shuji()).content.decode()
    assert not of_meeting(body, meeting) and REPORT not in body
    listed = of_result(body, PersonResult.objects.get(person=shuji(), cycle=meeting.cycle))
    assert listed  # the result of their own organisation is listed
    assert meeting.title in listed and reverse("meeting_detail", kwargs={"pk": meeting.pk}) not in listed


def test_who_may_open_whose_page_is_unchanged(client, demo):
    confirmed_meeting()
    for outsider in (h.holder("JC-BH", Role.SECRETARY), h.holder("JC-QS-HT-02", Role.PARTY_MEMBER)):
        assert page(client, outsider, shuji()).status_code == 404, outsider


def test_results_in_organisations_the_viewer_may_not_see_are_left_out(client, demo):
    meeting = confirmed_meeting()
    elsewhere = Organisation.objects.get(code="JC-BH-LS-01")
    PersonResult.objects.create(
        person=shuji(),
        year=2025,
        cycle=meeting.cycle,
        organisation=elsewhere,
        duty=Role.SECRETARY,
        source=PersonResultSource.MEETING,
        rating=Rating.POOR,
        basis="另一县的考核结果",
        confirmed_by=h.county_officer(),
        confirmed_at=timezone.now(),
    )
    body = page(client, h.holder("JC-QS", Role.SECRETARY), shuji()).content.decode()
    assert of_result(body, PersonResult.objects.get(person=shuji(), cycle=meeting.cycle, organisation__code=h.VILLAGE))
    assert "另一县的考核结果" not in body and elsewhere.name not in body
    client.force_login(shuji())  # one's own page lists every year, wherever it was
    assert "另一县的考核结果" in client.get(reverse("me")).content.decode()


def test_accountability_measures_naming_the_person_are_listed(client, demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle, h.VILLAGE)
    h.review(a, fraction=Decimal("0.5"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    assessment_svc.accountability_propose(
        assessment=a, by=h.county_officer(), kind="admonishing_talk", persons=[shuji()], reason="一票否决事项"
    )
    body = page(client, h.county_officer(), shuji()).content.decode()
    section = body[body.index('class="card person-measures"') :]
    assert "2026" in section and a.organisation.name in section
    assert "诫勉谈话" in section or "Admonishing talk" in section
    assert "待审批" in section or "awaiting decision" in section
    # the deputy is named in no measure
    body = page(client, h.county_officer(), h.holder(h.VILLAGE, Role.DEPUTY)).content.decode()
    assert a.organisation.name not in body[body.index('class="card person-measures"') :]
