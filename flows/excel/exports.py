"""Which rows each export holds for a user (decided by the access policy, object by object), and building it.

The views ask `rows_of` for the 404 decision and the size (big exports go to a background job); the job and
the direct download both call `build`, which asks the policy again."""

from django.db.models import Q

from flows import selectors
from flows.excel import ledgers, templates
from flows.models import (
    Assessment,
    IndicatorTemplate,
    OfficeMembership,
    OfficeRole,
    Organisation,
    PersonResult,
    RectificationItem,
    Role,
    RoleAssignment,
    Stage,
)
from flows.policy import access, steps

EXPORT_NAMES = {
    "roster": "组织与任职.xlsx",
    "indicators": "考核指标.xlsx",
    "scores": "评分表.xlsx",
    "rectification_ledger": "整改台账.xlsx",
    "results_ledger": "考核结果台账.xlsx",
    "cadre_ledger": "干部抓党建工作考核结果.xlsx",
    "ballot_tally": "计票结果.xlsx",
    "annual_report_pdf": "书面报告.pdf",
    "annual_report_xlsx": "书面报告.xlsx",
    "annual_report_docx": "书面报告.docx",
}


ANNUAL_REPORT_KINDS = {"annual_report_pdf": "pdf", "annual_report_xlsx": "xlsx", "annual_report_docx": "docx"}


# the step whose scores each stage takes, named as the policy names it (flows/policy/steps.py)
SCORING_STEPS = {Stage.SELF_ASSESSMENT: "assessment.submit_self", Stage.SUPERIOR_REVIEW: "assessment.submit_review"}


def _might_score(user, assessments):
    """A cheap first cut of `assessments` before the policy decides: organisations where the user holds a secretary's
    or leader-in-charge's role (the self-assessment), and those led by an organisation whose secretary the user is or
    whose review office the user serves as an officer (the superior review)."""
    roles = RoleAssignment.objects.current().filter(user=user, role__in=(Role.SECRETARY, Role.DEPUTY))
    offices = OfficeMembership.objects.current().filter(user=user, role=OfficeRole.OFFICER).values("office_id")
    leading = Organisation.objects.filter(
        Q(pk__in=roles.filter(role=Role.SECRETARY).values("organisation_id")) | Q(review_office_id__in=offices)
    ).only("path", "depth")
    q = Q(organisation_id__in=roles.values("organisation_id"))
    for org in leading:
        q |= Q(organisation__path__startswith=org.path, organisation__depth=org.depth + 1)
    return assessments.filter(q)


def may_score_now(user, assessment) -> bool:
    """Is this assessment waiting for this user's score: the self-assessment draft for the person in direct charge,
    the superior review for its reviewer (the policy's rule for the step of the assessment's stage)?"""
    step = SCORING_STEPS.get(assessment.state)
    return step is not None and steps.allows(user, step, assessment)


def _scores_part(user, cycle_id):
    """The assessments of a cycle this user scores at one of its stages (the 404 decision)."""
    if user is None or not user.is_authenticated:
        return []
    qs = Assessment.objects.filter(cycle_id=cycle_id).select_related("organisation")
    return [a for a in _might_score(user, qs) if any(steps.allows(user, s, a) for s in SCORING_STEPS.values())]


def scorable_assessments(user, cycle_id, assessment_id=None):
    """The assessments of the cycle waiting for this user's score now (only `assessment_id` when given, as from an
    assessment's page), or None when the user scores nothing in this cycle (or that assessment) at any stage."""
    part = _scores_part(user, cycle_id)
    if assessment_id is not None:
        part = [a for a in part if a.pk == assessment_id]
    if not part:
        return None
    waiting = [a.pk for a in part if may_score_now(user, a)]
    return Assessment.objects.filter(pk__in=waiting).order_by("organisation__path")


def score_sheets_waiting(user) -> list:
    """(cycle, number of assessments) for every cycle with assessments waiting for this user's score now."""
    if user is None or not user.is_authenticated:
        return []
    qs = Assessment.objects.filter(state__in=list(SCORING_STEPS)).select_related("organisation", "cycle")
    counts: dict = {}
    for a in _might_score(user, qs):
        if may_score_now(user, a):
            counts.setdefault(a.cycle, 0)
            counts[a.cycle] += 1
    return sorted(counts.items(), key=lambda item: (-item[0].year, item[0].pk))


def _cycle(user, cycle_id):
    return selectors.cycles_for(user).filter(pk=cycle_id).first()


_LARGEST_ID = 2**63 - 1  # no row of the database has an id beyond it (the widest id column is 64-bit)


def rows_of(kind: str, user, params: dict):
    """(object or queryset, row count) the user may export, or None (the view answers 404): also for an id no row
    can have (a number typed into the address beyond any id column's range, which the database would refuse)."""
    if any(type(v) is int and not 0 < v <= _LARGEST_ID for v in params.values()):
        return None
    if kind == "roster":
        orgs = access.overseen_organisations(user)
        n = orgs.count()
        return (orgs, n) if n else None
    if kind == "indicators":
        scope = access.scope_for(user)
        if not (scope.superuser or scope.officer_paths):
            return None
        template = (
            IndicatorTemplate.objects.filter(pk=params.get("template")).first() if params.get("template") else None
        )
        if params.get("template") and template is None:
            return None
        return template, template.indicators.count() if template else 0
    if kind == "scores":
        qs = scorable_assessments(user, params["cycle"], params.get("assessment"))
        return None if qs is None else (qs, qs.count() * 30)
    if kind == "rectification_ledger":
        items = RectificationItem.objects.filter(assessment__cycle_id=params["cycle"])
        cycle = _cycle(user, params["cycle"])
        if cycle is None:  # owners and reviewers outside the office see their own items
            visible = access.visible_organisations(user)
            items = items.filter(Q(owner=user) | Q(assessment__organisation__in=visible))
            if not items.exists():
                return None
        return items, items.count()
    if kind == "results_ledger":
        cycle = _cycle(user, params["cycle"])
        if cycle is None:
            return None
        qs = Assessment.objects.filter(cycle=cycle)
        if not (access.scope_for(user).superuser or access.can_manage_cycle(user, cycle)):
            qs = qs.filter(organisation__in=access.visible_organisations(user))
        return (cycle, qs), qs.count()
    if kind == "cadre_ledger":
        return _cadre_rows(user, params)
    if kind == "ballot_tally":
        from flows.services.ballots import campaigns_for

        campaign = campaigns_for(user).filter(pk=params["campaign"]).first()
        return (campaign, campaign.subjects.count()) if campaign else None
    if kind in ANNUAL_REPORT_KINDS:
        return _annual_report_rows(user, params)
    return None


def _cadre_rows(user, params):
    """干部抓党建工作考核结果 of a cycle (cut to one organisations' level when `level` is given): the officers of the
    cycle's office have every person's result; anyone else only the results of the organisations they may act on
    (what they lead, or oversee as an officer), and nothing (404) when there are none."""
    from flows.models import Level, ReviewCycle
    from flows.models.organisations import subtree_q

    level = params.get("level") or ""
    if level and level not in Level.values:
        return None
    cycle = ReviewCycle.objects.select_related("office").filter(pk=params.get("cycle")).first()
    if cycle is None or user is None or not user.is_authenticated:
        return None
    results = PersonResult.objects.filter(cycle=cycle)
    if level:
        results = results.filter(organisation__level=level)
    scope = access.scope_for(user)
    if not (scope.superuser or access.can_manage_cycle(user, cycle)):
        if not scope.act_paths:
            return None
        within = Q(pk__in=[])
        for path in scope.act_paths:
            within |= subtree_q(path, prefix="organisation__")
        results = results.filter(within)
        if not results.exists():
            return None
    return (cycle, results, level), results.count()


def _annual_report_rows(user, params):
    """The written report's (cycle, organisation, subtree) if the policy lets this user have it, and its rows."""
    from flows.models import Organisation, ReviewCycle
    from flows.models.organisations import subtree_q

    cycle = ReviewCycle.objects.select_related("office").filter(pk=params.get("cycle")).first()
    org = Organisation.objects.filter(code=params.get("org", "")).first()
    subtree = bool(params.get("subtree"))
    if cycle is None or org is None or not access.can_download_annual_report(user, org, subtree=subtree):
        return None
    assessed = Assessment.objects.filter(cycle=cycle)
    assessed = (
        assessed.filter(subtree_q(org.path, prefix="organisation__")) if subtree else assessed.filter(organisation=org)
    )
    n = assessed.count()
    return ((cycle, org, subtree), n) if n else None


def build(kind: str, user, params: dict, progress=None) -> bytes:
    found = rows_of(kind, user, params)
    if found is None:
        raise PermissionError(kind)
    obj, _n = found
    if kind == "roster":
        return templates.organisations_template(obj, RoleAssignment.objects.current().filter(organisation__in=obj))
    if kind == "indicators":
        return templates.indicators_template(obj)
    if kind == "scores":
        return templates.scores_template(obj)
    if kind == "rectification_ledger":
        return templates.rectification_ledger(obj)
    if kind == "results_ledger":
        cycle, qs = obj
        return ledgers.results_ledger(cycle, qs, progress=progress)
    if kind == "cadre_ledger":
        cycle, results, level = obj
        return ledgers.cadre_ledger(cycle, results, level=level, progress=progress)
    if kind == "ballot_tally":
        from flows.models.state_groups import Phase, phase_of
        from flows.services.ballots import sealed_count, tally

        if phase_of(obj, obj.state) != Phase.DONE:
            return ledgers.ballot_tally(obj, None)
        return ledgers.ballot_tally(obj, tally(obj), sealed_count(obj))
    if kind in ANNUAL_REPORT_KINDS:
        from flows.reports.annual import annual_report
        from flows.reports.formats import render

        cycle, org, subtree = obj
        report = annual_report(cycle=cycle, organisation=org, subtree=subtree, by=user)
        return render(report, ANNUAL_REPORT_KINDS[kind])
    raise ValueError(kind)
