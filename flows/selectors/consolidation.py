"""Reads of the consolidation of weak-and-lax organisations (issue 20): the period's page, the offices over an
organisation, whether a year counts as weak and lax for the classification, and what the indicator
"软弱涣散党组织整顿" gets from it."""

import datetime

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone

from flows.domain import calendar
from flows.domain import consolidation as rules
from flows.models import (
    AcceptanceCheck,
    ConsolidationMilestone,
    ConsolidationPlan,
    Organisation,
    OversightOffice,
    ProgressReport,
    WeakAndLaxPeriod,
)
from flows.models.states import ConsolidationState, MilestoneState
from flows.policy import consolidation as policy


def period_or_404(user, pk):
    """The designation if this user may see its consolidation; otherwise the same 404 as for nothing."""
    period = WeakAndLaxPeriod.objects.select_related("organisation", "designated_by", "lifted_by").filter(pk=pk).first()
    if period is None or not policy.may_see(user, period):
        raise Http404
    return period


def superior_offices(org: Organisation) -> list[OversightOffice]:
    """The oversight offices whose scope lies above `org`, the nearest first."""
    ancestors = [org.path[:i] for i in range(org.steplen, len(org.path), org.steplen)]
    return list(OversightOffice.objects.filter(scope__path__in=ancestors).order_by("-scope__depth", "pk"))


def plan_of(period):
    return ConsolidationPlan.objects.filter(period=period).select_related("leader", "office").first()


def period_page(user, period, *, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    org = period.organisation
    plan = plan_of(period)
    milestones, checks, team = [], [], []
    if plan is not None:
        exceptions = calendar.local_exceptions(plan.office_id)
        for m in plan.milestones.prefetch_related(
            Prefetch("reports", queryset=ProgressReport.objects.select_related("reported_by"))
        ):
            m.rag = calendar.rag(m.due, today, exceptions) if m.state == MilestoneState.OPEN else ""
            milestones.append(m)
        checks = list(AcceptanceCheck.objects.filter(plan=plan).select_related("checked_by"))
        team = list(plan.team.select_related("person"))
    office = policy.superior_office(user, org)
    state = plan.state if plan else ""
    return {
        "period": period,
        "org": org,
        "criteria": list(period.criteria.all()),
        "plan": plan,
        "team": team,
        "milestones": milestones,
        "checks": checks,
        "may_plan": office
        and period.end is None
        and state in ("", ConsolidationState.DRAFT, ConsolidationState.UNDER_WAY),
        "may_start": office and state == ConsolidationState.DRAFT,
        "may_check": office and state == ConsolidationState.UNDER_WAY,
        "may_lift": office and state == ConsolidationState.ACCEPTED and period.end is None,
        "may_report": policy.may_report(user, org) and state == ConsolidationState.UNDER_WAY,
        "today": today,
    }


def periods_of(org) -> list[WeakAndLaxPeriod]:
    return list(WeakAndLaxPeriod.objects.filter(organisation=org).select_related("plan").order_by("-start"))


def weak_in_year(org_ids, year: int) -> set:
    """The organisations that count as weak and lax for `year` (the classification's rule): on the list at the end
    of that year, i.e. designated by 31 December and not lifted (after a passed acceptance check) by then. An
    organisation flagged weak and lax without any dated period (an old roster) counts as well."""
    end = datetime.date(year, 12, 31)
    ids = set(org_ids)
    listed = set(
        WeakAndLaxPeriod.objects.filter(organisation_id__in=ids, start__lte=end)
        .filter(Q(end__isnull=True) | Q(end__gt=end))
        .values_list("organisation_id", flat=True)
    )
    with_periods = set(
        WeakAndLaxPeriod.objects.filter(organisation_id__in=ids).values_list("organisation_id", flat=True)
    )
    flagged = set(
        Organisation.objects.filter(pk__in=ids - with_periods, weak_and_lax=True).values_list("pk", flat=True)
    )
    return listed | flagged


def indicator_status(org, year: int) -> str:
    """How the organisation stands for the indicator "软弱涣散党组织整顿" in `year` (see flows/domain/consolidation)."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    periods = list(
        WeakAndLaxPeriod.objects.filter(organisation=org, start__lte=end).filter(
            Q(end__isnull=True) | Q(end__gte=start)
        )
    )
    if not periods:
        return rules.NOT_LISTED
    if all(p.accepted_on is not None and p.accepted_on <= end for p in periods):
        return rules.ACCEPTED
    return rules.NOT_ACCEPTED


def indicator_suggestion(org, year: int, max_points) -> dict:
    status = indicator_status(org, year)
    return {
        "status": status,
        "points": rules.indicator_points(status, max_points),
        "label": rules.STATUS_LABELS[status],
    }


def open_milestones_of(org) -> list[ConsolidationMilestone]:
    return list(
        ConsolidationMilestone.objects.filter(plan__period__organisation=org, state=MilestoneState.OPEN).order_by("due")
    )
