from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from flows import selectors
from flows.models import AccountabilityMeasure, MeetingState, Role
from flows.policy import access
from flows.selectors import meetings as meeting_selectors

# a person's duty in a result (PersonResult.duty): the secretary who reported, the person in direct charge
DUTIES = {Role.SECRETARY: _("Secretary"), Role.DEPUTY: _("Leader in charge")}


def _cadre_evaluation(viewer, person) -> dict:
    """任用干部看党建 on the person's page: every year's results, the reports at meetings and the accountability
    measures naming the person. Whoever may open the page sees them, as they see the roles: only for organisations
    the viewer may see (all of them on one's own page). A report at a meeting is listed only to those who may see
    the meeting; the leader's comment and the problems pointed out only once the results are confirmed, before
    that to the reporter, the commenting leader and those who see everything of the meeting."""
    own = viewer.pk == person.pk
    limit = not (own or access.scope_for(viewer).superuser)
    visible = access.visible_organisations(viewer) if limit else None

    results = meeting_selectors.person_results(person)
    measures = (
        AccountabilityMeasure.objects.filter(persons=person)
        .select_related("assessment__organisation", "assessment__cycle")
        .order_by("-assessment__cycle__year", "-pk")
    )
    if limit:
        results = results.filter(organisation__in=visible)
        measures = measures.filter(assessment__organisation__in=visible)
    results = [
        {
            "result": r,
            "duty": DUTIES.get(r.duty, r.duty),
            # the meeting it came from, linked only for those who may open it
            "meeting": r.reporter.meeting
            if r.reporter_id and (own or access.may_see_meeting(viewer, r.reporter.meeting))
            else None,
        }
        for r in results
    ]

    reports = []
    for r in meeting_selectors.person_reports(person).select_related("meeting__holder", "commenter"):
        meeting = r.meeting
        if not (own or access.may_see_meeting(viewer, meeting)):
            continue
        confirmed = meeting.state == MeetingState.CONFIRMED
        reports.append(
            {
                "reporter": r,
                "meeting": meeting,
                "confirmed": confirmed,
                "show_comment": bool(r.commented_at)
                and (
                    confirmed
                    or own
                    or r.commenter_id == viewer.pk
                    or meeting_selectors.sees_everything(viewer, meeting)
                ),
                "problems": [line for line in r.problems.splitlines() if line.strip()],
            }
        )
    return {"results": results, "meeting_reports": reports, "measures": list(measures)}


@login_required
def person_detail(request, pk):
    person = access.person_or_404(request.user, pk=pk)
    page = selectors.person_page(request.user, person)
    return render(request, "flows/people/detail.html", page | _cadre_evaluation(request.user, person))


@login_required
def me(request):
    page = selectors.person_page(request.user, request.user)
    return render(request, "flows/people/detail.html", page | _cadre_evaluation(request.user, request.user))
