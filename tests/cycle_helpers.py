"""Shared steps for the cycle tests: a county cycle over its villages, and walking one village through it."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from flows.models import Organisation, OversightOffice, ReviewCycle, Role, RoleAssignment
from flows.policy import access
from flows.services import assessments as svc
from flows.services import cycles as cycle_svc
from flows.services.indicators import templates_load_defaults

VILLAGE = "JC-QS-HT-01"


def holder(org_code, role):
    return RoleAssignment.objects.current().get(organisation__code=org_code, role=role).user


def county_officer():
    return OversightOffice.objects.get(code="QS-ZZB").members.filter(role="officer").order_by("pk").first().user


def open_cycle(*, sectors=("village",), year=2026, **extra) -> ReviewCycle:
    templates_load_defaults()
    office = OversightOffice.objects.get(code="QS-ZZB")
    officer = county_officer()
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name=f"{year}年度青山县村党组织书记抓党建考核",
        scope_sectors=list(sectors),
        **(cycle_svc.due_dates_for_year(year) | extra),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    return ReviewCycle.objects.get(pk=cycle.pk)


def assessment_of(cycle, code=VILLAGE):
    return cycle.assessments.get(organisation__code=code)


def pdf(name="台账.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test evidence", content_type="application/pdf")


def full_self_scores(a, fraction=Decimal("0.9")):
    return {
        i.pk: (str((i.max_points * fraction).quantize(Decimal("0.1"))), "已落实")
        for i in a.template.indicators.filter(veto=False)
    }


def do_self_assessment(a, *, fraction=Decimal("0.9")):
    deputy = access.person_in_direct_charge(a.organisation)  # the leader in charge, or the secretary if none
    for ind in a.template.indicators.filter(evidence_required=True, veto=False):
        svc.evidence_add(
            assessment=a, by=deputy, upload=pdf(f"{ind.code}.pdf"), content_type="application/pdf", indicator=ind
        )
    svc.self_assessment_save(assessment=a, by=deputy, scores=full_self_scores(a, fraction), report="述职报告：……")
    svc.self_assessment_submit(assessment=a, by=deputy)
    return deputy


def approve_self(a):
    svc.self_assessment_decide(assessment=a, by=holder(a.organisation.code, Role.SECRETARY), approve=True)


def close_mass(a, score="88"):
    officer = county_officer()
    svc.mass_evaluation_close(assessment=a, by=officer, mass_score=score)
    return officer


def reviewer_of(a):
    return access.reviewers_of(Organisation.objects.get(pk=a.organisation_id))[0]


def review(a, *, fraction, veto=False, outcome, **kwargs):
    reviewer = reviewer_of(a)
    scores = full_self_scores(a, fraction)
    vetoes = [i.pk for i in a.template.indicators.filter(veto=True)][:1] if veto else []
    svc.review_save(assessment=a, by=reviewer, scores=scores, veto_hits=vetoes, comment="考评意见")
    svc.review_submit(assessment=a, by=reviewer, outcome=outcome, **kwargs)
    return reviewer


def through_to_review(cycle, code=VILLAGE):
    a = assessment_of(cycle, code)
    do_self_assessment(a)
    approve_self(a)
    close_mass(a)
    return assessment_of(cycle, code)


def next_week():
    return datetime.date.today() + datetime.timedelta(days=7)


def settle(cycle, *, by=None, lowered=None, override_reason=""):
    """等次审定 by the county office: start the settling if the last review has not started it, then settle."""
    from django.db import transaction

    from flows.services import results as results_services

    by = by or county_officer()
    with transaction.atomic():
        settlement = results_services.settlement_start(cycle=cycle, by=by)
    return results_services.ratings_settle(
        settlement=settlement, by=by, lowered=lowered or {}, override_reason=override_reason
    )
