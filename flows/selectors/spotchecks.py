"""Reads of spot checks: plans, inspections and results."""

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from flows.domain import draw
from flows.models import (
    Assessment,
    AuditEntry,
    InspectorSeat,
    ItemState,
    OfficeMembership,
    OfficeRole,
    Organisation,
    RectificationItem,
    RoleAssignment,
    SpotCheckPlan,
    User,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.models.spotchecks import RiskTier
from flows.models.state_groups import PLANS_DRAWN, Phase, phase_of, states_in
from flows.policy import access
from flows.selectors import history, results
from flows.selectors.dashboards import RECTIFICATION_FIGURES


def spot_checks_for(user) -> QuerySet:
    """Plans of the offices the user is an officer of, and plans that drew the user as an inspector."""
    from flows.models import SpotCheckPlan

    qs = SpotCheckPlan.objects.select_related("office", "cycle", "scope_root")
    if user.is_superuser:
        return qs
    return qs.filter(Q(office_id__in=access.offices_of(user)) | Q(inspections__seats__inspector=user)).distinct()


def inspection_page(inspection) -> dict:
    findings = list(inspection.findings.prefetch_related("evidence").select_related("rectification_item__owner"))
    rows = list(
        AuditEntry.objects.filter(subject_type=inspection._meta.label_lower, subject_id=str(inspection.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
    for row in rows:
        row.label, row.value_label = history.describe(row)
    return {
        "results": list(inspection.results.all()),
        "findings": findings,
        "seats": list(inspection.seats.select_related("inspector")),
        "history": rows,
    }


# ---- the population and the pool -------------------------------------------------------------------------


def population_queryset(plan: SpotCheckPlan):
    """The organisations the plan draws from: the cycle's or the subtree's, filtered by sector, level and risk."""
    if plan.cycle_id:
        qs = Organisation.objects.filter(assessments__cycle_id=plan.cycle_id)
    else:
        root = plan.scope_root or plan.office.scope
        qs = Organisation.objects.filter(subtree_q(root.path))
    if plan.sectors:
        qs = qs.filter(sector__in=plan.sectors)
    if plan.levels:
        qs = qs.filter(level__in=plan.levels)
    tiers = set(plan.risk_tiers or ())
    if tiers:
        last_rating = (
            results.counted(Assessment.objects.filter(organisation=OuterRef("pk")))
            .exclude(cycle_id=plan.cycle_id)
            .order_by("-cycle__year", "-pk")
            .values("rating")[:1]
        )
        overdue = RectificationItem.objects.filter(assessment__organisation=OuterRef("pk"), due__lt=today()).exclude(
            state__in=states_in(ItemState, Phase.DONE)
        )
        qs = qs.annotate(last_rating=Subquery(last_rating), has_overdue=Exists(overdue))
        risk = Q(pk__in=[])
        if RiskTier.POOR in tiers:
            risk |= Q(last_rating="poor")
        if RiskTier.AVERAGE in tiers:
            risk |= Q(last_rating="average")
        if RiskTier.BACKWARD in tiers:
            risk |= Q(classification="backward")
        if RiskTier.WEAK_AND_LAX in tiers:
            risk |= Q(weak_and_lax=True)
        if RiskTier.OVERDUE in tiers:
            risk |= Q(has_overdue=True)
        qs = qs.filter(risk)
    return qs.distinct().order_by("code")


def stratum_of(sector: str, level: str) -> str:
    return f"{sector or '-'}/{level}"


def pool_choices(office):
    """Inspectors who may be put in an office's pool: current inspectors of offices whose scope overlaps its own."""
    path = office.scope.path
    ids = (
        OfficeMembership.objects.current()
        .filter(role=OfficeRole.INSPECTOR)
        .filter(
            Q(office__scope__path__startswith=path) | Q(office__scope__path__in=office.scope.leading_paths() + [path])
        )
    )
    return User.objects.filter(pk__in=ids.values("user_id"), is_active=True).order_by("real_name")


def _previous_targets(plan: SpotCheckPlan) -> dict[int, list[str]]:
    """What each inspector checked in the office's previous drawn plan ("not the one they checked last time")."""
    previous = (
        SpotCheckPlan.objects.filter(office_id=plan.office_id, state__in=PLANS_DRAWN)
        .exclude(pk=plan.pk)
        .order_by("-drawn_at", "-pk")
        .first()
    )
    out: dict[int, list[str]] = {}
    if previous is None:
        return out
    for inspector_id, code in InspectorSeat.objects.filter(inspection__plan=previous).values_list(
        "inspector_id", "inspection__organisation__code"
    ):
        out.setdefault(inspector_id, []).append(code)
    return out


def build_snapshot(plan: SpotCheckPlan) -> dict:
    population = [
        {"code": code, "path": path, "stratum": stratum_of(sector, level)}
        for code, path, sector, level in population_queryset(plan).values_list("code", "path", "sector", "level")
    ]
    pool_users = list(plan.pool.all()) or list(pool_choices(plan.office))
    paths: dict[int, set] = {}
    for uid, path in (
        RoleAssignment.objects.current().filter(user__in=pool_users).values_list("user_id", "organisation__path")
    ):
        paths.setdefault(uid, set()).add(path)
    previous = _previous_targets(plan)
    pool = [
        {
            "id": u.pk,
            "name": str(u),
            "paths": sorted(paths.get(u.pk, ())),
            "previous": sorted(previous.get(u.pk, ())),
        }
        for u in sorted(pool_users, key=lambda u: u.pk)
    ]
    params = {
        "rate": format(Decimal(plan.rate_percent).normalize(), "f"),
        "minimum": int(plan.minimum_per_stratum),
        "sizes": {k: int(v) for k, v in sorted((plan.stratum_sizes or {}).items())},
        "per_target": int(plan.inspectors_per_target),
    }
    return {"algorithm": draw.ALGORITHM, "plan": plan.pk, "params": params, "population": population, "pool": pool}


# ---- plan lifecycle -------------------------------------------------------------------------------------------


def plan_strata(plan) -> list[dict]:
    """Population N and sample n per stratum, from the frozen inputs (or the live population while a draft)."""
    from flows.domain import draw

    snapshot = plan.snapshot or build_snapshot(plan)
    drawn = {}
    if plan.result:
        strata = {t["code"]: t["stratum"] for t in snapshot["population"]}
        for code in plan.result["sample"]:
            drawn[strata[code]] = drawn.get(strata[code], 0) + 1
    return [
        {"stratum": s, "label": stratum_label(s), "population": n_pop, "sample": n, "drawn": drawn.get(s)}
        for s, (n_pop, n) in draw.stratum_sizes(snapshot).items()
    ]


def stratum_label(stratum: str) -> str:
    """ "village/grassroots" in words: 农村 / 基层."""
    from flows.models import Level, Sector

    sector, _sep, level = stratum.partition("/")
    sector_label = Sector(sector).label if sector in Sector.values else "—"
    level_label = Level(level).label if level in Level.values else level
    return f"{sector_label} / {level_label}"


def plan_results(plan) -> dict:
    """Checked, findings by severity, rectification status: per inspection and in total, in a fixed number of
    queries."""
    from flows.models import Finding, Inspection, RectificationItem, Severity

    inspections = list(
        Inspection.objects.filter(plan=plan)
        .select_related("organisation")
        .prefetch_related("seats__inspector")
        .order_by("organisation__path")
    )
    findings = list(Finding.objects.filter(inspection__plan=plan).select_related("rectification_item"))
    by_insp: dict = {}
    for f in findings:
        by_insp.setdefault(f.inspection_id, []).append(f)
    rows = []
    totals = {s.value: 0 for s in Severity}
    rect = dict.fromkeys([*RECTIFICATION_FIGURES.values(), "overdue"], 0)
    on = today()
    for insp in inspections:
        fs = by_insp.get(insp.pk, [])
        sev = {s.value: sum(1 for f in fs if f.severity == s) for s in Severity}
        for k, v in sev.items():
            totals[k] += v
        items = [f.rectification_item for f in fs if f.rectification_item_id]
        for it in items:
            phase = phase_of(RectificationItem, it.state)  # a state in no phase raises, never counts as verified
            rect[RECTIFICATION_FIGURES[phase]] += 1
            if phase != Phase.DONE and it.due < on:
                rect["overdue"] += 1
        rows.append({"inspection": insp, "severity": sev, "findings": fs, "items": items})
    return {
        "rows": rows,
        "checked": sum(1 for i in inspections if phase_of(Inspection, i.state) == Phase.DONE),
        "total": len(inspections),
        "severity": totals,
        "rectification": rect,
    }
