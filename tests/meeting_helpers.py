"""Shared steps for the report-and-review meeting tests: 河塘镇 holds the meeting of its village secretaries, run by
the township's own office (a 党建办 with two officers, so a paper count has its second pair of eyes)."""

import datetime
from decimal import Decimal

from flows.models import (
    AppraisalMark,
    OfficeKind,
    OfficeRole,
    Organisation,
    Outcome,
    OversightOffice,
    Rating,
    Role,
    User,
)
from flows.services import ballots
from flows.services import meetings as svc
from flows.services import people as people_svc
from tests import cycle_helpers as h

TOWNSHIP = "JC-QS-HT"
SHUJI_PROBLEMS = "三会一课记录不完整\n发展党员程序不规范"


def township_office() -> tuple[OversightOffice, User, User]:
    """河塘镇's own office and its two officers (the township's organising member and a clerk)."""
    township = Organisation.objects.get(code=TOWNSHIP)
    office, _created = OversightOffice.objects.get_or_create(
        code="HT-DJB",
        defaults={
            "name": "中共河塘镇委员会党建工作办公室",
            "kind": OfficeKind.ORGANISATION_DEPARTMENT,
            "scope": township,
        },
    )
    officers = []
    for username, name in (("lvminghui", "吕明辉"), ("htdjb_clerk", "河塘镇党建办干事")):
        user, _ = User.objects.get_or_create(username=username, defaults={"real_name": name})
        if not office.members.filter(user=user, role=OfficeRole.OFFICER).exists():
            people_svc.office_join(
                by=None, user=user, office=office, role=OfficeRole.OFFICER, start=datetime.date(2026, 1, 1)
            )
        officers.append(user)
    return office, officers[0], officers[1]


def village_reporters(township_code=TOWNSHIP):
    """Each village of the township with its current secretary, commented on by the township's secretary."""
    township = Organisation.objects.get(code=township_code)
    commenter = h.holder(township_code, Role.SECRETARY)
    rows = []
    for org in Organisation.objects.filter(path__startswith=township.path, depth=township.depth + 1).order_by("code"):
        secretary = h.holder(org.code, Role.SECRETARY)
        rows.append({"person": secretary, "organisation": org, "commenter": commenter, "title": secretary.title})
    return rows


def new_meeting(cycle=None, *, date=None, k=3):
    cycle = cycle or h.open_cycle()
    office, officer, second = township_office()
    meeting = svc.meeting_create(
        by=officer,
        cycle=cycle,
        holder=office.scope,
        office=office,
        title="河塘镇2026年度村党组织书记抓基层党建工作述职评议会",
        date=date or datetime.date(2026, 12, 20),
        place="河塘镇政府三楼会议室",
        attendees="镇党委委员，党员代表和群众代表",
        reporters=village_reporters(),
        k_threshold=k,
    )
    return meeting, officer, second


def submit_every_report(meeting):
    for r in meeting.reporters.select_related("person"):
        svc.report_submit(reporter=r, by=r.person, report=f"{r.person.real_name}2026年度抓基层党建工作述职报告：……" * 2)


def vote_at_the_meeting(meeting, officer, answers: list[dict]):
    """One code per attendee; each answer gives {reporter order: mark} for every reporter."""
    campaign = meeting.campaign
    ballots.campaign_open(by=officer, campaign=campaign)
    _batch, codes = ballots.tokens_issue(by=officer, campaign=campaign, count=len(answers), group="参会人员")
    by_order = {r.order: r.subject_id for r in meeting.reporters.all()}
    receipts = []
    for code, answer in zip(codes, answers, strict=True):
        marks = {(by_order[order], ""): mark for order, mark in answer.items()}
        receipts.append(ballots.ballot_cast(campaign=campaign, code=code, marks=marks))
    return codes, receipts


def confirmed_meeting(cycle=None, *, confirm=True, review_first=False):
    """河塘镇's meeting of its village secretaries, taken as far as the confirmed results (or only as far as the
    comments with `confirm=False`): three attendees vote 好 for everyone and one 较好; 东坪村's secretary (speaking
    first) gets problems pointed out. With `review_first`, 东坪村's own assessment has a result beforehand, so its
    person in direct charge gets a result of the year as well."""
    cycle = cycle or h.open_cycle()
    if review_first:
        dongping = h.through_to_review(cycle, h.VILLAGE)
        h.review(dongping, fraction=Decimal("0.9"), outcome=Outcome.NONE)
    meeting, officer, second = new_meeting(cycle, k=3)
    submit_every_report(meeting)
    reporters = list(meeting.reporters.order_by("order"))
    good, fair = AppraisalMark.GOOD.value, AppraisalMark.FAIRLY_GOOD.value
    vote_at_the_meeting(
        meeting, officer, [{r.order: good for r in reporters}] * 3 + [{r.order: fair for r in reporters}]
    )
    svc.meeting_hold(meeting=meeting, by=officer, attendance="28")
    commenter = h.holder(TOWNSHIP, Role.SECRETARY)
    due = datetime.date.today() + datetime.timedelta(days=60)
    for r in reporters:
        problems = SHUJI_PROBLEMS if r.order == 1 else ""
        svc.comment_submit(
            reporter=r,
            by=commenter,
            comment=f"{r.person.real_name}同志述职实事求是，抓党建责任落实到位。",
            rating=Rating.GOOD if r.order == 1 else Rating.FAIRLY_GOOD,
            problems=problems,
            problems_due=due if problems else None,
        )
    if confirm:
        svc.appraisal_close(meeting=meeting, by=officer)
        svc.results_confirm(meeting=meeting, by=second)
    meeting.refresh_from_db()
    return meeting
