"""Reads for the screens. Each answers with a fixed number of queries whatever the tree's size."""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from viewflow.workflow.base import Node
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from . import access, history, org_history
from .models import (
    LEADERSHIP_ROLES,
    Assessment,
    AuditEntry,
    Classification,
    Evidence,
    Guidance,
    ItemScore,
    OfficeMembership,
    OfficeRole,
    Organisation,
    ReviewCycle,
    Role,
    RoleAssignment,
    Stage,
    User,
)
from .models.organisations import subtree_q
from .models.people import today

SEARCH_LIMIT = 50


def tree_roots(user) -> list[Organisation]:
    """The topmost organisations this user may see: the start of their tree view."""
    scope = access.scope_for(user)
    if scope.superuser:
        return list(Organisation.objects.filter(depth=1))
    paths = set(scope.view_paths)
    paths |= set(Organisation.objects.filter(pk__in=scope.own_ids | scope.guided_ids).values_list("path", flat=True))
    tops: list[str] = []
    for p in sorted(paths):
        if not tops or not p.startswith(tops[-1]):
            tops.append(p)
    return list(Organisation.objects.filter(path__in=tops).order_by("path"))


def tree_children(user, org: Organisation) -> list[Organisation]:
    """The organisations `org` leads that this user may see."""
    return list(
        access.visible_organisations(user)
        .filter(subtree_q(org.path, include_self=False), depth=org.depth + 1)
        .order_by("path")
    )


def organisation_search(user, *, text: str = "", sector: str = "") -> QuerySet:
    qs = access.visible_organisations(user)
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__iexact=text))
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("path")


def breadcrumbs(orgs) -> dict[int, list[Organisation]]:
    """Each organisation's leading chain, fetched in one query for the whole list."""
    orgs = list(orgs)
    wanted = {p for o in orgs for p in o.leading_paths()}
    by_path = {
        o.path: o for o in Organisation.objects.filter(path__in=wanted).only("pk", "path", "name", "code", "short_name")
    }
    return {o.pk: [by_path[p] for p in o.leading_paths() if p in by_path] for o in orgs}


def current_roles(org: Organisation):
    order = {Role.SECRETARY: 0, Role.DEPUTY: 1, Role.MEMBER: 2, Role.PARTY_MEMBER: 3}
    rows = list(RoleAssignment.objects.current().filter(organisation=org).select_related("user"))
    return sorted(rows, key=lambda r: (order[r.role], r.user.real_name))


def past_roles(org: Organisation):
    return list(
        RoleAssignment.objects.filter(organisation=org, end__lt=today()).select_related("user").order_by("-end")
    )


def organisation_page(user, org: Organisation) -> dict:
    guides = list(Organisation.objects.filter(guidance_given__organisation=org).order_by("path"))
    chain = list(org.leading_chain())
    for o in chain + guides:
        o.visible = access.can_view_organisation(user, o)  # names are shown; links only where the user may go
    guided = [
        o
        for o in Organisation.objects.filter(guidance_received__guide=org).order_by("path")
        if access.can_view_organisation(user, o)
    ]
    return {
        "org": org,
        "chain": chain,
        "guides": guides,
        "guided": guided,
        "children": tree_children(user, org),
        "subtree_size": org.subtree(include_self=False).count(),
        "roles": current_roles(org),
        "past_roles": past_roles(org),
        "reviewers": access.reviewers_of(org),
        "offices": list(org.oversight_offices.all()),
        "history": org_history.organisation_history(org),
        "weak_periods": org_history.weak_and_lax_periods(org),
        "may_oversee": access.can_oversee_organisation(user, org),
        "may_compare": access.can_view_year_over_year(user, org),
        "classifications": Classification.choices,
        "today": today(),
        "may_act": access.can_act_on_organisation(user, org),
        "may_comment": access.can_comment_on_organisation(user, org),
    }


def person_page(user, person: User) -> dict:
    roles = list(RoleAssignment.objects.filter(user=person).select_related("organisation").order_by("-start"))
    visible_ids = set(
        access.visible_organisations(user)
        .filter(pk__in=[r.organisation_id for r in roles])
        .values_list("pk", flat=True)
    )
    return {
        "person": person,
        "roles": [r for r in roles if r.organisation_id in visible_ids],
        "offices": list(
            OfficeMembership.objects.filter(user=person).select_related("office", "office__scope").order_by("-start")
        ),
        "today": today(),
    }


def subtree_counts_by_sector(org: Organisation) -> list[dict]:
    return list(org.subtree().exclude(sector="").values("sector").annotate(n=Count("pk")).order_by("sector"))


def guidance_pairs() -> QuerySet:
    return Guidance.objects.select_related("organisation", "guide")


# ---- the review cycle ---------------------------------------------------------------------------------

STAGE_STRIP = [
    Stage.SELF_ASSESSMENT,
    Stage.SELF_APPROVAL,
    Stage.MASS_EVALUATION,
    Stage.SUPERIOR_REVIEW,
]


def assessment_history(assessment: Assessment) -> list[AuditEntry]:
    item_ids = [str(pk) for pk in assessment.rectification_items.values_list("pk", flat=True)]
    q = Q(subject_type="flows.assessment", subject_id=str(assessment.pk))
    if item_ids:
        q |= Q(subject_type="flows.rectificationitem", subject_id__in=item_ids)
    rows = list(AuditEntry.objects.filter(q).select_related("actor").order_by("at", "pk"))
    for row in rows:
        row.label, row.value_label = history.describe(row)
    return rows


def assessment_page(user, assessment: Assessment) -> dict:
    """Everything a task screen shows about one organisation's year, in a fixed number of queries."""
    scores = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=assessment)}
    evidence = list(Evidence.objects.filter(assessment=assessment).select_related("uploaded_by"))
    by_indicator: dict = {}
    for ev in evidence:
        by_indicator.setdefault(ev.indicator_id, []).append(ev)
    dimensions = []
    for dim in assessment.template.dimensions.prefetch_related("indicators"):
        rows = [
            {"indicator": ind, "score": scores.get(ind.pk), "evidence": by_indicator.get(ind.pk, [])}
            for ind in dim.indicators.all()
        ]
        dimensions.append({"dimension": dim, "rows": rows})
    final = {Stage.COMMENDATION, Stage.RECTIFICATION, Stage.ACCOUNTABILITY, Stage.CLOSED}
    strip = [*STAGE_STRIP, assessment.state if assessment.state in final - {Stage.CLOSED} else None, Stage.CLOSED]
    order = {s: i for i, s in enumerate(s for s in strip if s)}
    current = order.get(assessment.state, 0)
    return {
        "assessment": assessment,
        "dimensions": dimensions,
        "evidence": evidence,
        "history": assessment_history(assessment),
        "stages": [
            {"value": s, "label": Stage(s).label, "done": order[s] < current, "current": order[s] == current}
            for s in strip
            if s
        ],
        "guidance_comments": list(assessment.guidance_comments.exclude(comment="").select_related("guide", "author")),
        "commendations": list(assessment.commendations.select_related("nominee", "proposed_by", "decided_by")),
        "rectification_items": list(assessment.rectification_items.select_related("owner")),
        "measures": list(assessment.accountability_measures.prefetch_related("persons")),
        "due": stage_due(assessment),
        "may_view_evidence": access.can_view_organisation(user, assessment.organisation),
    }


def stage_due(assessment: Assessment):
    c = assessment.cycle
    return {
        Stage.SELF_ASSESSMENT: c.self_due,
        Stage.SELF_APPROVAL: c.self_due,
        Stage.MASS_EVALUATION: c.mass_due,
        Stage.SUPERIOR_REVIEW: c.review_due,
        Stage.RECTIFICATION: c.rectification_due,
    }.get(assessment.state)


def task_subject(task):
    """(assessment, rectification item or None) behind any task of our flows."""
    process = task.process
    for attr in ("assessment", "rectification_item", "guidance_comment", "referral", "objection"):
        obj = getattr(process, attr, None) if _has_related(process, attr) else None
        if obj is not None:
            if attr == "assessment":
                return obj, None
            if attr == "referral":
                return obj.item.assessment, obj.item
            return obj.assessment, obj if attr == "rectification_item" else None
    return None, None


def _has_related(process, attr):
    try:
        getattr(process, attr)
        return True
    except ObjectDoesNotExist:
        return False


def _task_rows(tasks, *, when="created"):
    """The rows of a task list, in the shape flows.inbox gives my tasks (one template shows both)."""
    rows = []
    for t in tasks:
        assessment, item = task_subject(t)
        inspection = t.process.inspection if _has_related(t.process, "inspection") else None
        due = item.due if item else (stage_due(assessment) if assessment else None)
        if inspection is not None:
            due = inspection.plan.due
        if assessment is not None:
            organisation = assessment.organisation.name
            organisation_url = reverse("assessment_detail", args=[assessment.pk])
        elif inspection is not None:
            organisation = inspection.organisation.name
            organisation_url = reverse("inspection_detail", args=[inspection.pk])
        else:
            organisation = organisation_url = ""
        rows.append(
            {
                "task": t,
                "task_id": t.pk,
                "url": task_url(t),
                "title": t.flow_task.task_title,
                "problem": item.problem if item else "",
                "organisation": organisation,
                "organisation_url": organisation_url,
                "context": inspection.plan.name if inspection else (assessment.cycle.name if assessment else ""),
                "due": due,
                "rag": _rag(due),
                "at": getattr(t, when),
            }
        )
    return rows


def _rag(due):
    from .services.deadlines import rag

    return rag(due, today())


def task_url(task) -> str:
    return reverse(
        f"{task.flow_task.flow_class.instance.flow_label}:{task.flow_task.name}:execute",
        kwargs={"process_pk": task.process_id, "task_pk": task.pk},
    )


TASK_RELATED = (
    "process",
    "owner",
    "process__assessment__organisation",
    "process__assessment__cycle",
    "process__rectification_item__assessment__organisation",
    "process__rectification_item__assessment__cycle",
    "process__guidance_comment__assessment__organisation",
    "process__guidance_comment__assessment__cycle",
    "process__inspection__organisation",
    "process__inspection__plan",
    "process__objection__assessment__organisation",
    "process__objection__assessment__cycle",
)


def _due_filter(rows, due):
    """红黄绿: keep the rows whose status by due date is `due` (red, yellow or green)."""
    return [r for r in rows if r["rag"] == due] if due else rows


def _filtered(qs, *, cycle=None, stage=None, text="", due=""):
    if cycle:
        qs = qs.filter(
            Q(process__assessment__cycle_id=cycle)
            | Q(process__rectification_item__assessment__cycle_id=cycle)
            | Q(process__guidance_comment__assessment__cycle_id=cycle)
        )
    if stage:
        from .flows import FLOWS

        qs = qs.filter(flow_task__in=[getattr(f, stage) for f in FLOWS if isinstance(getattr(f, stage, None), Node)])
    if text:
        qs = qs.filter(
            Q(process__assessment__organisation__name__icontains=text)
            | Q(process__rectification_item__assessment__organisation__name__icontains=text)
            | Q(process__guidance_comment__assessment__organisation__name__icontains=text)
            | Q(process__inspection__organisation__name__icontains=text)
        )
    return qs


def archive(user, **filters) -> list[dict]:
    qs = Task.objects.filter(owner=user, finished__isnull=False).select_related(*TASK_RELATED)
    return _task_rows(_filtered(qs, **filters).order_by("-finished", "-pk")[:200], when="finished")


def queue(user, **filters) -> list[dict]:
    """Unassigned tasks this user may take: oversight work in their scope, reviews for their office,
    verifications for organisations they review, comments for organisations they guide."""
    from .flows import AssessmentFlow, GuidanceCommentFlow, InspectionFlow, ObjectionFlow, RectificationItemFlow

    scope = access.scope_for(user)
    office_ids = list(
        OfficeMembership.objects.current()
        .filter(user=user, role=OfficeRole.OFFICER)
        .values_list("office_id", flat=True)
    )
    led_by_office = list(Organisation.objects.filter(review_office_id__in=office_ids).values_list("path", "depth"))
    secretary_of = list(
        Organisation.objects.filter(
            pk__in=RoleAssignment.objects.current().filter(user=user, role=Role.SECRETARY).values("organisation_id")
        ).values_list("path", "depth")
    )
    reviewed = Q(pk__in=[])
    for path, depth in led_by_office + secretary_of:
        reviewed |= subtree_q(path, include_self=False) & Q(depth=depth + 1)
    officer = Q(pk__in=[])
    for path in scope.officer_paths:
        officer |= subtree_q(path)
    if scope.superuser:
        officer = Q()

    a_org = "process__assessment__organisation__"
    i_org = "process__rectification_item__assessment__organisation__"
    q = Q(
        flow_task__in=[
            AssessmentFlow.close_mass,
            AssessmentFlow.decide_commendation,
            AssessmentFlow.propose_accountability,
            AssessmentFlow.approve_accountability,
        ]
    ) & _prefixed(officer, a_org)
    q |= Q(flow_task=AssessmentFlow.review) & _prefixed(reviewed, a_org)
    q |= Q(flow_task=RectificationItemFlow.verify) & _prefixed(reviewed, i_org)
    leader_orgs = (
        RoleAssignment.objects.current().filter(user=user, role__in=LEADERSHIP_ROLES).values("organisation_id")
    )
    q |= Q(flow_task=GuidanceCommentFlow.comment, process__guidance_comment__guide_id__in=leader_orgs)
    q |= Q(flow_task=InspectionFlow.review, process__inspection__plan__office_id__in=office_ids)
    q |= Q(flow_task=ObjectionFlow.decide, process__objection__publication__cycle__office_id__in=office_ids)
    qs = Task.objects.filter(status=STATUS.NEW, owner__isnull=True).filter(q).select_related(*TASK_RELATED)
    tasks = [t for t in _filtered(qs, **filters).order_by("created", "pk")[:500] if t.flow_task.is_eligible(user, t)]
    return _due_filter(_task_rows(tasks), filters.get("due"))


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related organisation: prefix every lookup in a Q tree."""
    clone = Q()
    clone.connector, clone.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            clone.children.append(_prefixed(child, prefix))
        else:
            key, value = child
            clone.children.append((prefix + key, value))
    return clone


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
    qs = cycle.assessments.filter(combined_score__isnull=False).select_related("organisation")
    visible = access.visible_organisations(user).values("pk")
    return list(qs.filter(organisation_id__in=visible).order_by("-combined_score", "organisation__path")[:500])


def step_choices() -> list[tuple[str, str]]:
    """The human steps of the flows, for the task list filter."""
    from .flows import FLOWS
    from .nodes import Task as TaskNode

    seen = {}
    for f in FLOWS:
        for node in f.instance.nodes():
            if isinstance(node, TaskNode):
                seen.setdefault(node.name, str(node.task_title))
    return list(seen.items())


def cycle_rag(cycle: ReviewCycle, user, *, rag_filter: str = "", stage: str = ""):
    """Organisations of a cycle by 红黄绿 status of their current stage's deadline: counts, and the filtered list."""
    from .services.deadlines import rag

    now = today()
    stage_rag = {}
    for s in Stage:
        due = stage_due(Assessment(cycle=cycle, state=s.value))
        stage_rag[s.value] = rag(due, now) if s != Stage.CLOSED else ""
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
    from .services.deadlines import rag

    rows = list(org.assessments.select_related("cycle").order_by("-cycle__year", "-pk")[:20])
    for a in rows:
        a.rag = rag(stage_due(a), today()) if a.state != Stage.CLOSED else ""
    return rows


# ---- spot checks ------------------------------------------------------------------------------------------


def spot_checks_for(user) -> QuerySet:
    """Plans of the offices the user is an officer of, and plans that drew the user as an inspector."""
    from .models import SpotCheckPlan

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
    from . import draw
    from .services.spotchecks import build_snapshot

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
    from .models import Level, Sector

    sector, _sep, level = stratum.partition("/")
    sector_label = Sector(sector).label if sector in Sector.values else "—"
    level_label = Level(level).label if level in Level.values else level
    return f"{sector_label} / {level_label}"


def plan_results(plan) -> dict:
    """Checked, findings by severity, rectification status: per inspection and in total, in a fixed number of
    queries."""
    from .models import Finding, Inspection, InspectionState, ItemState, Severity

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
    rect = {"open": 0, "reported": 0, "verified": 0, "overdue": 0}
    on = today()
    for insp in inspections:
        fs = by_insp.get(insp.pk, [])
        sev = {s.value: sum(1 for f in fs if f.severity == s) for s in Severity}
        for k, v in sev.items():
            totals[k] += v
        items = [f.rectification_item for f in fs if f.rectification_item_id]
        for it in items:
            rect[{ItemState.OPEN: "open", ItemState.REPORTED: "reported"}.get(it.state, "verified")] += 1
            if it.state != ItemState.VERIFIED and it.due < on:
                rect["overdue"] += 1
        rows.append({"inspection": insp, "severity": sev, "findings": fs, "items": items})
    return {
        "rows": rows,
        "checked": sum(1 for i in inspections if i.state == InspectionState.DONE),
        "total": len(inspections),
        "severity": totals,
        "rectification": rect,
    }
