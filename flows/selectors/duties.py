"""Reads for the duty lists (责任清单): the office's overview of a cycle, an organisation's list, and the duties
beside each indicator on the self-assessment and review pages."""

from collections import defaultdict

from django.db.models import Count, Q
from django.http import Http404

from flows.models import AuditEntry, CycleState, Organisation, ReviewCycle
from flows.models.compiled import CompiledQuery
from flows.models.duties import DutyLine, DutyList, DutyRole, DutyTemplate, LineKind
from flows.models.states import DutyListState
from flows.policy import access
from flows.policy import duties as _duty_rules  # noqa: F401  (the duty steps in the permission table)
from flows.policy import steps as step_rules
from flows.selectors.history import describe

ROLE_ORDER = {role: n for n, role in enumerate(DutyRole.values)}


def may_view_list(user, dl) -> bool:
    return access.can_manage_cycle(user, dl.cycle) or access.can_view_organisation(user, dl.organisation)


def duty_list_or_404(user, pk) -> DutyList:
    dl = DutyList.objects.select_related("cycle", "cycle__office", "organisation", "template").filter(pk=pk).first()
    if dl is None or not may_view_list(user, dl):
        raise Http404
    return dl


def may_see_overview(user, cycle) -> bool:
    return access.can_manage_cycle(user, cycle) or access.can_view_cycle_dashboard(user, cycle)


def cycle_or_404(user, pk) -> ReviewCycle:
    cycle = ReviewCycle.objects.select_related("office", "office__scope").filter(pk=pk).first()
    if cycle is None or not may_see_overview(user, cycle):
        raise Http404
    return cycle


def home(user) -> dict:
    """The cycles whose duty lists this user runs or oversees, and the lists of the organisations they lead."""
    offices = access.offices_of(user)
    cycles = list(
        ReviewCycle.objects.filter(office_id__in=offices)
        .exclude(state=CycleState.DRAFT)
        .select_related("office")
        .annotate(
            n_lists=Count("duty_lists"),
            n_confirmed=Count("duty_lists", filter=Q(duty_lists__state=DutyListState.CONFIRMED)),
        )
        .order_by("-year", "name")
    )
    published = set(DutyTemplate.objects.filter(cycle__in=cycles).values_list("cycle_id", flat=True))
    for c in cycles:
        c.published = c.pk in published
        c.may_publish = c.state == CycleState.OPEN and not c.published
    scope = access.scope_for(user)
    mine = DutyList.objects.none()
    if scope.own_ids or scope.led_paths:
        mine = (
            DutyList.objects.filter(organisation_id__in=scope.own_ids)
            .select_related("cycle", "organisation")
            .order_by("-cycle__year", "organisation__path")
        )
    return {"cycles": cycles, "mine": list(mine[:50])}


def overview(user, cycle) -> dict:
    """Which organisations confirmed their lists and which have not (only the organisations this user may see,
    unless they run the cycle)."""
    lists = (
        DutyList.objects.filter(cycle=cycle)
        .select_related("organisation", "confirmed_by")
        .order_by("organisation__path")
    )
    if not access.can_manage_cycle(user, cycle):
        lists = lists.filter(organisation__in=access.visible_organisations(user))
    rows = list(lists)
    counts = {state: 0 for state in DutyListState.values}
    returned = 0
    for dl in rows:
        counts[dl.state] += 1
        dl.was_returned = dl.state == DutyListState.DRAFT and bool(dl.returned_at)
        returned += dl.was_returned
    return {
        "cycle": cycle,
        "template": DutyTemplate.objects.filter(cycle=cycle).first(),
        "rows": rows,
        "confirmed": counts[DutyListState.CONFIRMED],
        "draft": counts[DutyListState.DRAFT],
        "returned": returned,
        "runs": access.can_manage_cycle(user, cycle),
    }


def lines_of(dl) -> list:
    return list(
        DutyLine.objects.filter(duty_list=dl)
        .select_related("holder")
        .prefetch_related("indicators")
        .order_by("kind", "order", "pk")
    )


def duty_list_page(user, dl) -> dict:
    lines = lines_of(dl)
    groups = defaultdict(list)
    for line in lines:
        if line.kind == LineKind.DUTY:
            groups[line.role].append(line)
    duties = [
        {"role": role, "label": DutyRole(role).label, "lines": groups[role]}
        for role in sorted(groups, key=lambda r: ROLE_ORDER.get(r, 99))
    ]
    history = [
        {"entry": e, "what": describe(e)[0]}
        for e in AuditEntry.objects.filter(subject_type="flows.dutylist", subject_id=str(dl.pk))
        .select_related("actor")
        .order_by("at", "pk")
    ]
    draft = dl.state == DutyListState.DRAFT
    return {
        "duties": duties,
        "tasks": [line for line in lines if line.kind == LineKind.TASK],
        "history": history,
        "may_edit": draft and step_rules.allows(user, "dutylist.edit", dl),
        "may_confirm": draft and step_rules.allows(user, "dutylist.confirm", dl),
        "may_return": dl.state == DutyListState.CONFIRMED and step_rules.allows(user, "dutylist.return_list", dl),
        "may_export": True,
    }


# an organisation's duty list in a cycle (one at most), compiled once per process
_DUTY_LIST = CompiledQuery(
    lambda cycle_id, organisation_id: DutyList.objects.filter(
        cycle_id=cycle_id, organisation_id=organisation_id
    ).order_by(),
    cycle_id=int,
    organisation_id=int,
)


def duties_beside_indicators(assessment) -> dict | None:
    """Each indicator of the assessment's template with the lines of the organisation's duty list that cover it;
    None when the organisation has no duty list in the cycle."""
    found = _DUTY_LIST(cycle_id=assessment.cycle_id, organisation_id=assessment.organisation_id)
    dl = found[0] if found else None
    if dl is None or not assessment.template_id:
        return None
    by_indicator = defaultdict(list)
    through = DutyLine.indicators.through.objects.filter(dutyline__duty_list=dl).select_related("dutyline__holder")
    for row in through.order_by("dutyline__kind", "dutyline__order"):
        by_indicator[row.indicator_id].append(row.dutyline)
    rows = [
        {"indicator": i, "lines": by_indicator.get(i.pk, [])}
        for i in assessment.template.indicators.order_by("order", "pk")
    ]
    return {"duty_list": dl, "rows": [r for r in rows if r["lines"]], "uncovered": [r for r in rows if not r["lines"]]}


def organisations_for_import(user):
    """The organisations whose duty lines this user may import: those an officer oversees."""
    return access.overseen_organisations(user)


def lists_for_export(user, *, cycle, root: Organisation | None = None):
    """The duty lists of the cycle under `root` (or all) that this user may see."""
    lists = DutyList.objects.filter(cycle=cycle).select_related("organisation", "cycle")
    if root is not None:
        lists = lists.filter(organisation__path__startswith=root.path)
    if not access.can_manage_cycle(user, cycle):
        lists = lists.filter(organisation__in=access.visible_organisations(user))
    return lists.order_by("organisation__path")
