"""述职评议考核: the report-and-review meeting's steps (see `models.meetings`).

* `meeting_create`: the holding level's office prepares the meeting — date, place, attendees, the reporters in
  speaking order, the leader who comments on each — with the appraisal's ballot (one line per reporter, so one
  voting code per attendee covers them all); each reporter gets the task of submitting the written 述职报告, the
  office the tasks of recording the meeting, closing the appraisal and confirming the results.
* `report_submit`: a reporter's written report (due before the meeting); the last one moves the meeting to "reports
  submitted". `report_receive`: the holding level's office records its receipt.
* `meeting_hold`: the meeting took place; each commenting leader gets the task of the 领导点评.
* `paper_count_enter` / `paper_count_confirm`: the paper fallback of the appraisal, typed by one officer and
  confirmed by another.
* `comment_submit`: the leader's comment on one reporter, with a rating and the problems pointed out.
* `appraisal_close`: closes the voting and fixes each reporter's counts and appraisal score (hidden under k).
* `results_confirm`: each reporter's result for the year (`PersonResult`), the person in direct charge's from the
  organisation's assessment, and the problems pointed out as rectification items owned by the reporter.
"""

import datetime
from collections import Counter
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from flows.domain import numbers, scoring
from flows.models import (
    COMMENT_POINTS,
    LEADERSHIP_ROLES,
    POINTS_BY_VALUE,
    AppraisalMark,
    Assessment,
    BallotForm,
    CampaignKind,
    CampaignState,
    MeetingReporter,
    MeetingState,
    PersonResult,
    PersonResultSource,
    Rating,
    ReportMeeting,
    Role,
    RoleAssignment,
)
from flows.policy import access
from flows.policy import steps as step_rules
from flows.selectors import results
from flows.services import ballots, handoffs
from flows.services.assessments import rectification_item_create
from flows.services.audit import audit_record
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, open_task, task_complete

MARKS = [value for value, _label in AppraisalMark.choices]


def _meeting_step(meeting, step: str, *, by, system=False, comment="", params=None):
    return step_take(
        meeting,
        step,
        by=by,
        system=system,
        comment=comment,
        params=params,
        stale=AlreadyHandled(
            _("The meeting is “%(state)s”: this step has already been taken.") % {"state": meeting.get_state_display()}
        ),
        refused=PermissionDenied(_("Only officers of the office holding the meeting run it.")),
    )


def _lock(meeting) -> ReportMeeting:
    return ReportMeeting.objects.select_for_update().select_related("cycle", "holder", "office").get(pk=meeting.pk)


def _lock_reporter(reporter) -> MeetingReporter:
    return (
        MeetingReporter.objects.select_for_update()
        .select_related("meeting", "meeting__cycle", "person", "organisation", "commenter")
        .get(pk=reporter.pk)
    )


def _allowed(by, step: str, subject, message: str) -> None:
    if not step_rules.allows(by, step, subject):
        raise PermissionDenied(message)


def _leader_of(user, org) -> bool:
    return RoleAssignment.objects.current().filter(user=user, organisation=org, role__in=LEADERSHIP_ROLES).exists()


def _reporter_label(r: dict) -> str:
    """How the ballot names a reporter: 刘建国（东坪村党支部书记）."""
    return f"{r['person'].real_name or r['person'].username}（{r.get('title') or r['organisation'].name}）"


# ---- preparing --------------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *, by, cycle, holder, office, title, date, place, attendees, reporters: list[dict], k_threshold=5, reports_due=None
) -> ReportMeeting:
    """`reporters`, in speaking order: [{"person", "organisation", "commenter", "title" (optional)}]: a secretary
    (or acting secretary) of an organisation the holder leads, and a leader of the holding organisation who
    comments on them. `reports_due`: when the written reports are due (default: three days before the meeting)."""
    if office.pk not in access.offices_of(by):
        raise PermissionDenied(_("Only officers of the office holding the meeting run it."))
    if office.scope_id != holder.pk:
        raise ValidationError(
            {"office": _("The meeting is run by the office of the level holding it (%(org)s).") % {"org": holder}}
        )
    if not holder.path.startswith(cycle.office.scope.path):
        raise ValidationError({"cycle": _("%(org)s is outside the cycle's scope.") % {"org": holder}})
    title, place, attendees = title.strip(), place.strip(), attendees.strip()
    errors = {}
    if not title:
        errors["title"] = _("Name the meeting.")
    if not place:
        errors["place"] = _("Say where the meeting is held.")
    if not attendees:
        errors["attendees"] = _("Say who attends: committee members, representatives of Party members and the public.")
    if date.year not in (cycle.year, cycle.year + 1):
        errors["date"] = _("The meeting reports on %(year)s: hold it in that year or early in the next.") % {
            "year": cycle.year
        }
    if not reporters:
        errors["reporters"] = _("Choose who reports.")
    reports_due = reports_due or date - datetime.timedelta(days=3)
    if reports_due > date:
        errors["reports_due"] = _("The written reports are due before the meeting.")
    if errors:
        raise ValidationError(errors)
    seen = set()
    for n, r in enumerate(reporters, 1):
        person, org, commenter = r["person"], r["organisation"], r["commenter"]
        if not (org.path.startswith(holder.path) and org.depth > holder.depth):
            raise ValidationError(
                {"reporters": _("%(org)s is not led by %(holder)s.") % {"org": org, "holder": holder}}
            )
        holds = RoleAssignment.objects.current(date).filter(user=person, organisation=org, role=Role.SECRETARY)
        if not holds.exists():
            raise ValidationError(
                {"reporters": _("%(person)s is not the secretary of %(org)s.") % {"person": person, "org": org}}
            )
        if person.pk in seen:
            raise ValidationError({"reporters": _("%(person)s is listed twice.") % {"person": person}})
        earlier = MeetingReporter.objects.filter(meeting__cycle=cycle, person=person, organisation=org).first()
        if earlier is not None:  # one result per person, organisation and cycle: one meeting to report at
            raise ValidationError(
                {
                    "reporters": _("%(person)s already reports at %(meeting)s in this cycle.")
                    % {"person": person, "meeting": earlier.meeting}
                }
            )
        seen.add(person.pk)
        if commenter is None or not _leader_of(commenter, holder):
            raise ValidationError(
                {
                    "reporters": _("Line %(n)s: the comment is given by a leader of %(holder)s.")
                    % {"n": n, "holder": holder}
                }
            )
    end_of_meeting = timezone.make_aware(datetime.datetime.combine(date, datetime.time(23, 59)))
    campaign = ballots.campaign_create(
        by=by,
        office=office,
        kind=CampaignKind.REPORT_MEETING,
        form=BallotForm.APPRAISAL,
        cycle=cycle,
        title=_("Appraisal at %(meeting)s") % {"meeting": title},
        closes_at=max(end_of_meeting, timezone.now() + datetime.timedelta(days=1)),
        k_threshold=k_threshold,
        subjects=[
            {
                "organisation": r["organisation"],
                "person": r["person"],
                "label": _reporter_label(r),
            }
            for r in reporters
        ],
        for_meeting=True,
    )
    meeting = ReportMeeting.objects.create(
        cycle=cycle,
        holder=holder,
        office=office,
        title=title,
        date=date,
        reports_due=reports_due,
        place=place,
        attendees=attendees,
        campaign=campaign,
        created_by=by,
    )
    subjects = list(campaign.subjects.order_by("order"))
    rows = MeetingReporter.objects.bulk_create(
        [
            MeetingReporter(
                meeting=meeting,
                person=r["person"],
                organisation=r["organisation"],
                title=(r.get("title") or r["person"].title or "")[:120],
                order=n,
                subject=subject,
                commenter=r["commenter"],
            )
            for n, (r, subject) in enumerate(zip(reporters, subjects, strict=True), 1)
        ]
    )
    audit_record(actor=by, action="meeting.create", subject=meeting, to_value=meeting.state)
    flow_start("ReportMeetingFlow", meeting=meeting)
    for row in MeetingReporter.objects.filter(pk__in=[r.pk for r in rows]).select_related("meeting"):
        flow_start("MeetingReportFlow", reporter=row)
    return meeting


# ---- before the meeting ------------------------------------------------------------------------------------------


@transaction.atomic
def report_submit(*, reporter, by, report: str, activation=None) -> MeetingReporter:
    """The reporter's written 述职报告, before the meeting. The last one in moves the meeting on."""
    r = _lock_reporter(reporter)
    meeting = _lock(r.meeting)
    _allowed(by, "meetingreporter.submit_report", r, _("Only the reporter submits their written report."))
    if r.excused_at:
        raise AlreadyHandled(_("You are excused from this meeting: no written report is expected."))
    if meeting.state != MeetingState.PREPARED or r.report_submitted_at:
        raise ValidationError(_("The written report has already been submitted."))
    report = report.strip()
    if len(report) < 20:
        raise ValidationError({"report": _("Write the report (at least 20 characters).")})
    r.report, r.report_submitted_at = report, timezone.now()
    r.save(update_fields=["report", "report_submitted_at"])
    audit_record(actor=by, action="meeting.report", subject=meeting, to_value=str(r.person_id))
    task_complete(r.process, "MeetingReportFlow.report", by=by, activation=activation)
    if meeting.all_reports_in():
        _meeting_step(meeting, "reports_in", by=None, system=True)
    return r


@transaction.atomic
def report_receive(*, reporter, by, activation=None) -> MeetingReporter:
    """The holding level's office records that it received the written report (a double click: already handled)."""
    r = _lock_reporter(reporter)
    _allowed(by, "meetingreporter.receive_report", r, _("Only officers of the office holding the meeting run it."))
    if r.report_received_at:
        raise AlreadyHandled(_("The receipt of this report has already been recorded."))
    if not r.report_submitted_at:
        raise ValidationError(_("The written report has not been submitted yet."))
    r.report_received_by, r.report_received_at = by, timezone.now()
    r.save(update_fields=["report_received_by", "report_received_at"])
    audit_record(actor=by, action="meeting.report_received", subject=r.meeting, to_value=str(r.person_id))
    task_complete(r.process, "MeetingReportFlow.receive", by=by, activation=activation)
    return r


@transaction.atomic
def reporter_excuse(*, reporter, by, reason: str) -> MeetingReporter:
    """The holding level's office excuses a reporter from this meeting (请假: ill, on secondment…) with the reason,
    before the meeting is held. The reporter's written-report task ends, they are not appraised or commented on and
    get no result from this meeting; the meeting no longer waits for their report."""
    r = _lock_reporter(reporter)
    meeting = _lock(r.meeting)
    _allowed(by, "meetingreporter.excuse", r, _("Only officers of the office holding the meeting run it."))
    if r.excused_at:
        raise AlreadyHandled(_("This reporter has already been excused."))
    if meeting.state not in (MeetingState.PREPARED, MeetingState.REPORTS_SUBMITTED):
        raise ValidationError(_("A reporter is excused before the meeting is held."))
    reason = " ".join(reason.split())
    if len(reason) < 2:
        raise ValidationError({"reason": _("Say why the reporter is excused (e.g. 因病住院).")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    if not meeting.reporters.exclude(pk=r.pk).filter(excused_at__isnull=True).exists():
        raise ValidationError(_("Every other reporter is excused: postpone the meeting instead."))
    r.excused_reason, r.excused_by, r.excused_at = reason, by, timezone.now()
    r.save(update_fields=["excused_reason", "excused_by", "excused_at"])
    audit_record(actor=by, action="meeting.excuse", subject=meeting, to_value=str(r.person_id), comment=reason)
    if r.process_id:  # the report task (and its receipt, when there is no report to receive) end on nobody's behalf
        for ref in ("MeetingReportFlow.report", "MeetingReportFlow.receive"):
            if open_task(r.process, ref) is not None and (ref.endswith("report") or not r.report_submitted_at):
                task_complete(r.process, ref, by=None, system=True)
    if meeting.state == MeetingState.PREPARED and meeting.all_reports_in():
        _meeting_step(meeting, "reports_in", by=None, system=True)
    return r


# ---- the meeting -------------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_hold(*, meeting, by, attendance, activation=None) -> ReportMeeting:
    """The meeting took place with `attendance` people present: each leader's 点评 task starts."""
    m = _lock(meeting)
    try:
        n = numbers.number_in(attendance, field=_("Attendees present"), low=1, high=10000, places=0)
    except numbers.NotANumber as exc:
        raise ValidationError({"attendance": exc.message}) from None
    if n is None:
        raise ValidationError({"attendance": _("Say how many attended.")})
    if m.state == MeetingState.PREPARED:
        missing = m.reporters.filter(report_submitted_at__isnull=True, excused_at__isnull=True).count()
        raise ValidationError(
            _("%(n)s written report(s) have not been submitted yet: the meeting hears them first.") % {"n": missing}
        )
    _meeting_step(m, "hold", by=by, params={"attendance": int(n)})
    task_complete(m.process, "ReportMeetingFlow.hold", by=by, activation=activation)
    for r in m.reporters.filter(excused_at__isnull=True).select_related("meeting"):
        flow_start("MeetingCommentFlow", reporter=r)
    return m


def _counts_from(data) -> dict:
    counts = {}
    for mark in MARKS:
        label = AppraisalMark(mark).label
        try:
            n = numbers.number_in(data.get(mark, ""), field=str(label), low=0, high=100000, places=0)
        except numbers.NotANumber as exc:
            raise ValidationError({mark: exc.message}) from None
        counts[mark] = int(n or 0)
    if not sum(counts.values()):
        raise ValidationError(_("Type the paper count: how many marked each answer."))
    return counts


@transaction.atomic
def paper_count_enter(*, reporter, by, counts: dict) -> MeetingReporter:
    """An officer types the paper ballots' count for one reporter (好 / 较好 / 一般 / 差); a second officer confirms."""
    r = _lock_reporter(reporter)
    meeting = _lock(r.meeting)
    _allowed(by, "meetingreporter.paper_enter", r, _("Only officers of the office holding the meeting run it."))
    if meeting.state != MeetingState.HELD:
        raise ValidationError(_("The paper count is typed after the meeting and before the appraisal is closed."))
    if r.excused_at:
        raise ValidationError(_("This reporter was excused from the meeting and is not appraised."))
    r.paper_counts, r.paper_entered_by, r.paper_confirmed_by = _counts_from(counts), by, None
    r.save(update_fields=["paper_counts", "paper_entered_by", "paper_confirmed_by"])
    audit_record(actor=by, action="meeting.paper_count", subject=meeting, to_value=_counts_text(r.paper_counts))
    return r


@transaction.atomic
def paper_count_confirm(*, reporter, by) -> MeetingReporter:
    r = _lock_reporter(reporter)
    meeting = _lock(r.meeting)
    _allowed(
        by, "meetingreporter.paper_confirm", r, _("A second officer of the office, not the one who typed it, confirms.")
    )
    if meeting.state != MeetingState.HELD or not r.paper_counts or r.paper_confirmed_by_id:
        raise ValidationError(_("There is no paper count waiting for confirmation."))
    r.paper_confirmed_by = by
    r.save(update_fields=["paper_confirmed_by"])
    audit_record(actor=by, action="meeting.paper_confirm", subject=meeting, to_value=_counts_text(r.paper_counts))
    return r


def _counts_text(counts: dict) -> str:
    return " ".join(f"{AppraisalMark(m).label}{counts.get(m, 0)}" for m in MARKS)


@transaction.atomic
def comment_submit(
    *, reporter, by, comment: str, rating: str, problems: str = "", problems_due=None, activation=None
) -> MeetingReporter:
    """领导点评 on one reporter: the comment, the rating the leader gives and the problems pointed out (one per
    line; each becomes a rectification item owned by the reporter when the results are confirmed)."""
    r = _lock_reporter(reporter)
    meeting = _lock(r.meeting)
    _allowed(by, "meetingreporter.comment", r, _("Only the leader named for this reporter comments."))
    if meeting.state not in (MeetingState.HELD, MeetingState.APPRAISAL_CLOSED) or r.commented_at:
        raise ValidationError(_("The comment has already been given, or the meeting has not been held yet."))
    comment, problems = comment.strip(), "\n".join(p.strip() for p in problems.splitlines() if p.strip())
    errors = {}
    if not comment:
        errors["comment"] = _("Write the comment.")
    if rating not in Rating.values:
        errors["rating"] = _("Choose the rating the comment gives.")
    if problems and not Assessment.objects.filter(cycle=meeting.cycle, organisation=r.organisation).exists():
        errors["problems"] = _(
            "%(org)s is not assessed in %(cycle)s, so the problems cannot become its rectification items: "
            "write them into the comment instead."
        ) % {"org": r.organisation, "cycle": meeting.cycle}
    elif problems and problems_due is None:
        errors["problems_due"] = _("Give the date by which the problems are to be rectified.")
    elif problems and problems_due <= timezone.localdate():
        errors["problems_due"] = _("The rectification date must be in the future.")
    if errors:
        raise ValidationError(errors)
    r.comment, r.comment_rating, r.problems = comment, rating, problems
    r.problems_due = problems_due if problems else None
    r.commented_at = timezone.now()
    r.save(update_fields=["comment", "comment_rating", "problems", "problems_due", "commented_at"])
    audit_record(actor=by, action="meeting.comment", subject=meeting, to_value=rating, comment=comment[:200])
    task_complete(r.comment_process, "MeetingCommentFlow.comment", by=by, activation=activation)
    return r


# ---- after the meeting -------------------------------------------------------------------------------------------


def _appraisal(r: MeetingReporter, row: dict | None, k: int) -> tuple[dict, Decimal | None]:
    """The reporter's counts per answer and the appraisal score: the ballots cast on phones weighted by their voter
    group's weight (as in a mass evaluation, `ballots.tally`), with a confirmed paper count as one more group of
    weight 1; None under k marks in all."""
    electronic = row["counts"].get("", Counter()) if row else Counter()
    counts = Counter({m: electronic.get(m, 0) for m in MARKS})
    points, marks = row["weighted"] if row else (Decimal(0), Decimal(0))
    if r.paper_confirmed_by_id:
        paper = {m: int(r.paper_counts.get(m, 0)) for m in MARKS}
        counts.update(paper)
        points += sum(POINTS_BY_VALUE[m] * c for m, c in paper.items())
        marks += sum(paper.values())
    if sum(counts.values()) < k:
        return dict(counts), None
    return dict(counts), ballots.weighted_score(points, marks)


@transaction.atomic
def appraisal_close(*, meeting, by, activation=None) -> ReportMeeting:
    """Close the voting and fix each reporter's counts (electronic ballots plus a confirmed paper count) and
    appraisal score; a reporter with fewer than k marks gets no score (too few to be reliable or anonymous)."""
    m = _lock(meeting)
    if m.state in (MeetingState.PREPARED, MeetingState.REPORTS_SUBMITTED):
        raise ValidationError(_("The meeting has not been held yet: the appraisal closes after it."))
    waiting = m.reporters.exclude(paper_counts={}).filter(paper_confirmed_by__isnull=True)
    if m.state == MeetingState.HELD and waiting.exists():
        raise ValidationError(
            _("A paper count waits for a second officer's confirmation: %(names)s")
            % {"names": "、".join(str(r.person) for r in waiting.select_related("person"))}
        )
    _meeting_step(m, "close_appraisal", by=by)
    campaign = m.campaign
    if campaign.state == CampaignState.OPEN:
        ballots.campaign_close(by=by, campaign=campaign)
    by_subject = {row["subject"].pk: row for row in ballots.tally(campaign).subjects}
    for r in m.reporters.filter(excused_at__isnull=True):
        r.appraisal_counts, r.appraisal_score = _appraisal(r, by_subject.get(r.subject_id), campaign.k_threshold)
        r.save(update_fields=["appraisal_counts", "appraisal_score"])
    task_complete(m.process, "ReportMeetingFlow.close", by=by, activation=activation)
    return m


def organisation_result(cycle, organisation) -> Assessment | None:
    """The organisation's assessment in the cycle when it counts as a result (a submitted review), else None."""
    return results.cycle_results(cycle).filter(organisation=organisation).first()


def _reporter_result(meeting, r: MeetingReporter, counted: Assessment | None) -> dict:
    """A reporter's organisation score, combined score, rating and the sentence saying how they were reached."""
    cycle = meeting.cycle
    org_score = counted.combined_score if counted else None
    comment_points = COMMENT_POINTS[r.comment_rating]
    score = scoring.person_score(
        cycle, appraisal=r.appraisal_score, comment_points=comment_points, organisation_score=org_score
    )
    with translation.override("zh-hans"):
        parts = [
            _("appraisal %(s)s") % {"s": r.appraisal_score}
            if r.appraisal_score is not None
            else _("appraisal not counted (fewer than %(k)s marks)") % {"k": meeting.campaign.k_threshold},
            _("leader's comment %(r)s (%(p)s points)") % {"r": Rating(r.comment_rating).label, "p": comment_points},
            _("organisation %(s)s") % {"s": org_score}
            if org_score is not None
            else _("the organisation's assessment has no result yet"),
        ]
    return {
        "organisation_score": org_score,
        "score": score,
        "rating": cycle.rating_for(score),
        "basis": "；".join(parts),
    }


@transaction.atomic
def results_confirm(*, meeting, by, activation=None) -> ReportMeeting:
    """Each reporter's result for the year, the person in direct charge's from the organisation's assessment, and
    the problems pointed out as rectification items owned by the reporter."""
    m = _lock(meeting)
    if m.state in (MeetingState.PREPARED, MeetingState.REPORTS_SUBMITTED, MeetingState.HELD):
        raise ValidationError(_("Close the appraisal first: the results are confirmed from its final counts."))
    if m.state == MeetingState.APPRAISAL_CLOSED and not m.all_comments_in():
        missing = m.reporters.filter(commented_at__isnull=True, excused_at__isnull=True).select_related("person")
        raise ValidationError(
            _("The leader's comment is still missing for: %(names)s")
            % {"names": "、".join(str(r.person) for r in missing)}
        )
    _meeting_step(m, "confirm", by=by)
    now, cycle = timezone.now(), m.cycle
    notified = []
    with translation.override("zh-hans"):
        for r in m.reporters.select_related("person", "organisation"):
            assessment = Assessment.objects.filter(cycle=cycle, organisation=r.organisation).first()
            counted = organisation_result(cycle, r.organisation)
            if r.excused_at:  # not appraised here: no result of their own from this meeting
                _direct_charge_result(m, r, counted, by=by, at=now)
                continue
            PersonResult.objects.create(
                person=r.person,
                year=cycle.year,
                cycle=cycle,
                organisation=r.organisation,
                duty=Role.SECRETARY,
                title=r.title,
                source=PersonResultSource.MEETING,
                reporter=r,
                appraisal_score=r.appraisal_score,
                comment_rating=r.comment_rating,
                **_reporter_result(m, r, counted),
                confirmed_by=by,
                confirmed_at=now,
            )
            notified.append(r.person)
            for problem in r.problems.splitlines():  # comment_submit took problems only where there is an assessment
                rectification_item_create(
                    assessment=assessment,
                    by=by,
                    problem=problem,
                    requirement=_("Pointed out at %(meeting)s") % {"meeting": m.title},
                    owner=r.person,
                    due=r.problems_due,
                )
            _direct_charge_result(m, r, counted, by=by, at=now)
    audit_record(
        actor=by, action="meeting.results", subject=m, to_value=str(m.reporters.filter(excused_at__isnull=True).count())
    )
    task_complete(m.process, "ReportMeetingFlow.confirm", by=by, activation=activation)
    with translation.override("zh-hans"):
        title = _("Your result from %(meeting)s has been confirmed") % {"meeting": m.title}
    handoffs.notify(notified, title, f"/meetings/{m.pk}/")
    return m


def _direct_charge_result(meeting, reporter, counted, *, by, at) -> None:
    """The person in direct charge of the reporter's organisation (where it is not the reporter) gets the year's
    result of the organisation's assessment; nothing while the organisation has no result."""
    if counted is None:
        return
    holder_id = access.in_direct_charge_ids([reporter.organisation_id], on=meeting.date).get(reporter.organisation_id)
    if holder_id is None or holder_id == reporter.person_id:
        return
    ra = (
        RoleAssignment.objects.current(meeting.date)
        .filter(user_id=holder_id, organisation_id=reporter.organisation_id)
        .select_related("user")
        .first()
    )
    PersonResult.objects.get_or_create(
        person_id=holder_id,
        cycle=meeting.cycle,
        organisation_id=reporter.organisation_id,
        duty=Role.DEPUTY,
        defaults={
            "year": meeting.cycle.year,
            "title": (ra.user.title if ra else "")[:120],
            "source": PersonResultSource.ORGANISATION,
            "organisation_score": counted.combined_score,
            "score": counted.combined_score,
            "rating": counted.rating,
            "basis": _("The organisation's assessment: %(score)s, %(rating)s")
            % {"score": counted.combined_score, "rating": counted.get_rating_display()},
            "confirmed_by": by,
            "confirmed_at": at,
        },
    )


def results_follow_organisation(assessment) -> int:
    """The organisation's assessment got its result (a review submitted) after a meeting of the same cycle confirmed
    its secretary's result without it: the secretary's result takes the organisation's score in (its rating may
    change, the basis says so) and the person in direct charge gets theirs. Called inside the review's transaction;
    returns how many results changed or were added."""
    counted = organisation_result(assessment.cycle, assessment.organisation)
    if counted is None:
        return 0
    changed = 0
    waiting = PersonResult.objects.select_for_update().filter(
        cycle=assessment.cycle,
        organisation=assessment.organisation,
        source=PersonResultSource.MEETING,
        organisation_score__isnull=True,
        reporter__isnull=False,
    )
    for result in waiting.select_related("reporter__meeting__cycle", "reporter__meeting__campaign"):
        r, before = result.reporter, result.get_rating_display()
        fields = _reporter_result(r.meeting, r, counted)
        with translation.override("zh-hans"):
            fields["basis"] += "；" + _("the organisation's result was added on %(date)s") % {
                "date": timezone.localdate().isoformat()
            }
        for name, value in fields.items():
            setattr(result, name, value)
        result.save(update_fields=list(fields))
        audit_record(
            actor=None,
            action="meeting.result_follows",
            subject=r.meeting,
            from_value=before,
            to_value=f"{r.person_id} {result.get_rating_display()}",
        )
        _direct_charge_result(r.meeting, r, counted, by=result.confirmed_by, at=timezone.now())
        changed += 1
    return changed
