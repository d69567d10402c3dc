"""Reads of review cycles: which a user may see, their stage counts, ranking and red/amber/green."""

from django.db.models import Count, Q, QuerySet

from flows.models import (
    Assessment,
    OfficeMembership,
    Organisation,
    ReviewCycle,
    Stage,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.models.state_groups import Phase, phase_of
from flows.policy import access
from flows.selectors import results
from flows.selectors.assessments import stage_due


def cycles_for(user) -> QuerySet:
    qs = ReviewCycle.objects.select_related("office", "office__scope")
    if user.is_superuser and user.is_active:
        return qs
    visible_offices = OfficeMembership.objects.current().filter(user=user).values("office_id")
    return qs.filter(office_id__in=visible_offices)


def cycle_choices(user) -> list[tuple[int, str]]:
    """(pk, name) of the cycles of `cycles_for`, for a filter's options. My tasks asks on every page, and most
    people are in no office: their one query is the (empty) list of their offices. Cheaper than building and
    planning `cycles_for`'s subquery or a join (0.5 ms against 0.9 on PostgreSQL)."""
    if user.is_superuser and user.is_active:
        return list(ReviewCycle.objects.values_list("pk", "name"))
    offices = list(OfficeMembership.objects.current().filter(user=user).values_list("office_id", flat=True))
    if not offices:
        return []
    return list(ReviewCycle.objects.filter(office__in=offices).order_by("-year", "office_id").values_list("pk", "name"))


def dashboard_cycles_for(user) -> QuerySet:
    """Cycles whose dashboard the user may open: their offices' cycles, and cycles assessing what they lead."""
    scope = access.scope_for(user)
    qs = ReviewCycle.objects.select_related("office")
    if scope.superuser:
        return qs
    offices = OfficeMembership.objects.current().filter(user=user).values("office_id")
    led = Q(pk__in=[])
    for path in scope.led_paths:
        led |= subtree_q(path, prefix="assessments__organisation__")
    return qs.filter(Q(office_id__in=offices) | led).distinct()


def cycle_stage_counts(cycle: ReviewCycle) -> list[dict]:
    counts = dict(cycle.assessments.values_list("state").annotate(n=Count("pk")))
    return [{"stage": s, "label": s.label, "n": counts.get(s.value, 0)} for s in Stage]


def cycle_ranking(cycle: ReviewCycle, user) -> list[Assessment]:
    qs = results.cycle_results(cycle).filter(combined_score__isnull=False).select_related("organisation")
    visible = access.visible_organisations(user).values("pk")
    return list(qs.filter(organisation_id__in=visible).order_by("-combined_score", "organisation__path")[:500])


def cycle_rag(cycle: ReviewCycle, user, *, rag_filter: str = "", stage: str = ""):
    """Organisations of a cycle by 红黄绿 status of their current stage's deadline: counts, and the filtered list."""
    from flows.domain.calendar import rag

    now = today()
    stage_rag = {}
    for s in Stage:
        due = stage_due(Assessment(cycle=cycle, state=s.value))
        stage_rag[s.value] = rag(due, now) if phase_of(Stage, s) != Phase.DONE else ""
    visible = access.visible_organisations(user).values("pk")
    qs = cycle.assessments.filter(organisation_id__in=visible)
    counts = {"red": 0, "yellow": 0, "green": 0}
    for state, n in qs.values_list("state").annotate(n=Count("pk")):
        if stage_rag.get(state):
            counts[stage_rag[state]] += n
    rows = []
    if rag_filter or stage:
        states = [s for s, r in stage_rag.items() if (not rag_filter or r == rag_filter) and (not stage or s == stage)]
        for a in qs.filter(state__in=states).select_related("organisation").order_by("organisation__path")[:1000]:
            a.rag = stage_rag[a.state]
            rows.append(a)
    return counts, rows


def organisation_assessments(org: Organisation) -> list[Assessment]:
    """Every cycle's assessment of this organisation, newest first, with its status by deadline (红黄绿)."""
    from flows.domain.calendar import rag

    rows = list(org.assessments.select_related("cycle").order_by("-cycle__year", "-pk")[:20])
    for a in rows:
        a.rag = rag(stage_due(a), today()) if phase_of(Stage, a.state) != Phase.DONE else ""
    return rows
