"""Reads of the report-and-review meetings (述职评议会) and of a person's results over the years.

Who sees what: the meeting's office and the officers over the holding level see everything; the holding level's
leaders and the meeting's people see the meeting. Before the results are confirmed, a reporter sees only their own
appraisal counts and comment (never another reporter's votes); after, everyone who sees the meeting sees every
result.
"""

from django.db.models import Q

from flows.models import MeetingReporter, MeetingState, PersonResult, ReportMeeting
from flows.policy import access


def meetings_for(user):
    """The meetings this user may see, newest first."""
    if user is None or not user.is_authenticated:
        return ReportMeeting.objects.none()
    scope = access.scope_for(user)
    qs = ReportMeeting.objects.select_related("holder", "office", "cycle")
    if scope.superuser:
        return qs
    offices = access.offices_of(user)
    seen = Q(office_id__in=offices) | Q(reporters__person=user) | Q(reporters__commenter=user)
    for path in scope.officer_paths:
        seen |= Q(holder__path__startswith=path)
    for path in scope.led_paths:  # the leaders of the holding level or above it
        seen |= Q(holder__path__startswith=path)
    return qs.filter(seen).distinct().order_by("-date", "-pk")


def sees_everything(user, meeting) -> bool:
    return access.can_run_meeting(user, meeting) or access.can_oversee_organisation(user, meeting.holder)


def meeting_page(user, meeting) -> dict:
    """The meeting as this user may see it: each reporter with their report, comment and appraisal (counts and
    score shown per the rules above)."""
    everything = sees_everything(user, meeting)
    confirmed = meeting.state == MeetingState.CONFIRMED
    runs = access.can_run_meeting(user, meeting)
    before = meeting.state in (MeetingState.PREPARED, MeetingState.REPORTS_SUBMITTED)
    rows = []
    for r in meeting.reporters.select_related("person", "organisation", "commenter", "paper_entered_by"):
        own = r.person_id == user.pk or r.commenter_id == user.pk
        result = PersonResult.objects.filter(reporter=r).first() if confirmed else None
        rows.append(
            {
                "reporter": r,
                "show_report": True,  # the written reports are read at the meeting by everyone there
                "show_counts": everything or confirmed or r.person_id == user.pk,
                "show_comment": everything or confirmed or own,
                "paper_waiting": bool(r.paper_counts) and r.paper_confirmed_by_id is None,
                "result": result,
                "may_excuse": runs and before and r.excused_at is None,
            }
        )
    return {
        "meeting": meeting,
        "rows": rows,
        "everything": everything,
        "runs": runs,
        "confirmed": confirmed,
        "reports_in": sum(1 for row in rows if row["reporter"].report_submitted_at),
        "comments_in": sum(1 for row in rows if row["reporter"].commented_at),
        "excused": sum(1 for row in rows if row["reporter"].excused_at),
    }


def person_results(person):
    """Every year's results of a person (as a secretary who reported, as the person in direct charge), newest
    first: history is kept by person and year, whatever post they hold now."""
    return (
        PersonResult.objects.filter(person=person)
        .select_related("organisation", "cycle", "reporter__meeting")
        .order_by("-year", "pk")
    )


def person_reports(person):
    """The person's reports at meetings (written report and the leader's comment), newest first."""
    return (
        MeetingReporter.objects.filter(person=person)
        .select_related("meeting", "organisation")
        .order_by("-meeting__date", "-pk")
    )
