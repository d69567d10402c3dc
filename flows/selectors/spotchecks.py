"""Reads of spot checks: plans, inspections and results."""

from django.db.models import Q, QuerySet

from flows.models import (
    AuditEntry,
)
from flows.models.people import today
from flows.models.state_groups import Phase, phase_of
from flows.policy import access
from flows.selectors import history
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


def plan_strata(plan) -> list[dict]:
    """Population N and sample n per stratum, from the frozen inputs (or the live population while a draft)."""
    from flows.domain import draw
    from flows.services.spotchecks import build_snapshot

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
