"""Which rows each export holds for a user (decided by the access policy, object by object), and building it.

The views ask `rows_of` for the 404 decision and the size (big exports go to a background job); the job and
the direct download both call `build`, which asks the policy again."""

from django.db.models import Q

from flows import selectors
from flows.excel import ledgers, templates
from flows.models import Assessment, IndicatorTemplate, RectificationItem, RoleAssignment
from flows.policy import access

EXPORT_NAMES = {
    "roster": "组织与任职.xlsx",
    "indicators": "考核指标.xlsx",
    "scores": "评分表.xlsx",
    "rectification_ledger": "整改台账.xlsx",
    "results_ledger": "考核结果台账.xlsx",
    "ballot_tally": "计票结果.xlsx",
    "annual_report_pdf": "书面报告.pdf",
    "annual_report_xlsx": "书面报告.xlsx",
    "annual_report_docx": "书面报告.docx",
}


ANNUAL_REPORT_KINDS = {"annual_report_pdf": "pdf", "annual_report_xlsx": "xlsx", "annual_report_docx": "docx"}


def scorable_assessments(user, cycle_id):
    """The assessments of a cycle this user scores: in direct charge (self-assessment) or reviewer."""
    qs = Assessment.objects.filter(cycle_id=cycle_id).select_related("organisation")
    scope = access.scope_for(user)
    if scope.superuser:
        return qs
    mine = [
        a.pk
        for a in qs.filter(organisation__in=access.visible_organisations(user))
        if access.is_in_direct_charge(user, a.organisation) or access.is_reviewer(user, a.organisation)
    ]
    return qs.filter(pk__in=mine)


def _cycle(user, cycle_id):
    return selectors.cycles_for(user).filter(pk=cycle_id).first()


def rows_of(kind: str, user, params: dict):
    """(object or queryset, row count) the user may export, or None (the view answers 404)."""
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
        qs = scorable_assessments(user, params["cycle"])
        n = qs.count()
        return (qs, n * 30) if n else None
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
    if kind == "ballot_tally":
        from flows.services.ballots import campaigns_for

        campaign = campaigns_for(user).filter(pk=params["campaign"]).first()
        return (campaign, campaign.subjects.count()) if campaign else None
    if kind in ANNUAL_REPORT_KINDS:
        return _annual_report_rows(user, params)
    return None


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
    if kind == "ballot_tally":
        from flows.models.state_groups import Phase, phase_of
        from flows.services.ballots import tally

        return ledgers.ballot_tally(obj, tally(obj) if phase_of(obj, obj.state) == Phase.DONE else None)
    if kind in ANNUAL_REPORT_KINDS:
        from flows.reports.annual import annual_report
        from flows.reports.formats import render

        cycle, org, subtree = obj
        report = annual_report(cycle=cycle, organisation=org, subtree=subtree, by=user)
        return render(report, ANNUAL_REPORT_KINDS[kind])
    raise ValueError(kind)
