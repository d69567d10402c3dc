"""The cycle's own state machine, its launch, templates frozen by use, ranking and the cap on "good"."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import TransitionNotAllowed
from viewflow.workflow.models import Task

from flows.domain import scoring
from flows.flows import AssessmentFlow
from flows.models import Assessment, CycleState, Indicator, Organisation, Rating, ReviewCycle, Stage
from flows.services import cycles as cycle_svc
from flows.services.indicators import template_new_version
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def task_rows(process):
    return [
        (
            t.flow_task,
            t.flow_task_type,
            t.status,
            t.owner_id,
            str(t.token),
            t.started is not None,
            t.finished is not None,
            t.owner_permission,
            t.data,
            [p.flow_task for p in t.previous.all()],
        )
        for t in Task.objects.filter(process=process).order_by("pk")
    ]


def test_the_bulk_launch_writes_the_rows_viewflows_own_start_writes(demo):
    cycle = h.open_cycle()
    bulk = h.assessment_of(cycle)
    with transaction.atomic():
        other = Assessment.objects.create(
            cycle=cycle, organisation=Organisation.objects.get(code="JC-QS-HT"), template=bulk.template
        )
        AssessmentFlow.start.run(assessment=other)
        other.refresh_from_db()
        viewflow_rows = task_rows(other.process)
        owner = other.process.task_set.get(flow_task=AssessmentFlow.draft_self).owner_id
        transaction.set_rollback(True)
    bulk_rows = task_rows(bulk.process)
    assert [r[:3] + r[4:] for r in bulk_rows] == [r[:3] + r[4:] for r in viewflow_rows]
    assert owner and bulk_rows[1][3] == h.holder(h.VILLAGE, "deputy").pk
    assert (bulk.process.status, bulk.process.flow_class) == ("NEW", AssessmentFlow)


def test_the_launch_is_resumable_and_never_doubles(demo):
    cycle = h.open_cycle()
    n = cycle.assessments.count()
    Assessment.objects.filter(pk__in=list(cycle.assessments.values_list("pk", flat=True)[:3])).delete()
    assert cycle_svc.cycle_launch(cycle=cycle, chunk=2) == 3
    assert cycle_svc.cycle_launch(cycle=cycle) == 0
    assert cycle.assessments.count() == n


def test_the_cycle_state_machine_refuses_illegal_moves(demo):
    cycle = h.open_cycle()
    with pytest.raises(AttributeError):
        cycle.state = CycleState.DRAFT  # protected: only transitions move it
    with pytest.raises(TransitionNotAllowed):
        cycle.open()
    officer = h.county_officer()
    with pytest.raises(ValidationError):
        cycle_svc.cycle_open(by=officer, cycle=cycle)


def test_closing_refuses_unfinished_assessments_unless_forced_with_a_reason(demo):
    cycle = h.open_cycle()
    officer = h.county_officer()
    with pytest.raises(ValidationError) as err:
        cycle_svc.cycle_close(by=officer, cycle=cycle)
    assert "8" in str(err.value)
    with pytest.raises(ValidationError):
        cycle_svc.cycle_close(by=officer, cycle=cycle, force=True, reason="")
    cycle_svc.cycle_close(by=officer, cycle=cycle, force=True, reason="换届调整，转入下一年度")
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CLOSED and cycle.closed_reason.startswith("换届")


def test_only_the_offices_own_officers_run_its_cycles(demo):
    cycle = h.open_cycle()
    other_office_officer = (
        Organisation.objects.get(code="JC-BH").oversight_offices.get().members.filter(role="officer").first().user
    )
    with pytest.raises(PermissionDenied):
        cycle_svc.cycle_close(by=other_office_officer, cycle=cycle, force=True, reason="x")


def test_a_template_in_use_is_frozen_and_changes_go_to_a_new_version(demo):
    cycle = h.open_cycle()
    template = h.assessment_of(cycle).template
    item = template.indicators.first()
    item.max_points = Decimal(99)
    with pytest.raises(ValidationError):
        item.save()
    with pytest.raises(ValidationError):
        item.delete()
    new = template_new_version(by=h.county_officer(), template=template)
    assert new.version == template.version + 1 and new.total_points() == template.total_points() == 100
    changed = new.indicators.get(code=item.code)
    changed.guidance = "新口径"
    changed.save()
    assert Indicator.objects.get(pk=item.pk).guidance != "新口径"


def test_deadlines_out_of_order_are_refused(demo):
    from flows.models import OversightOffice
    from flows.services.indicators import templates_load_defaults

    templates_load_defaults()
    office = OversightOffice.objects.get(code="QS-ZZB")
    dates = cycle_svc.due_dates_for_year(2028) | {"mass_due": cycle_svc.due_dates_for_year(2027)["self_due"]}
    with pytest.raises(ValidationError):
        cycle_svc.cycle_create(
            by=h.county_officer(),
            office=office,
            templates=cycle_svc.default_cycle_templates(),
            year=2028,
            name="x",
            **dates,
        )
    assert not ReviewCycle.objects.filter(year=2028).exists()


def test_the_combined_score_uses_the_weights_and_drops_missing_parts(demo):
    cycle = ReviewCycle(
        weight_self=Decimal(20),
        weight_mass=Decimal(20),
        weight_superior=Decimal(60),
        weight_social=Decimal(0),
        good_min=90,
        fairly_good_min=80,
        average_min=60,
    )
    assert scoring.combined_score(cycle, self_score=90, mass_score=80, superior_score=100) == Decimal("94.00")
    assert scoring.combined_score(cycle, self_score=90, mass_score=None, superior_score=100) == Decimal("97.50")
    assert scoring.rating(cycle, Decimal("97.5"), veto=True) == Rating.POOR
    assert [cycle.rating_for(Decimal(s)) for s in (90, 89.99, 80, 60, 59.9)] == [
        Rating.GOOD,
        Rating.FAIRLY_GOOD,
        Rating.FAIRLY_GOOD,
        Rating.AVERAGE,
        Rating.POOR,
    ]


def test_the_cap_on_good_is_checked(demo):
    cycle = ReviewCycle(good_cap_percent=Decimal(30))
    assert not scoring.good_share_exceeds_cap(cycle, ["good", "average", "average", "", "fairly_good"])
    assert scoring.good_share_exceeds_cap(cycle, ["good", "good", "average", "fairly_good"])
    assert not scoring.good_share_exceeds_cap(ReviewCycle(good_cap_percent=None), ["good"])


def test_the_cycle_page_ranks_and_flags_the_cap(client, demo):
    cycle = h.open_cycle(good_cap_percent=Decimal(10))
    for code, fraction in (("JC-QS-HT-01", "0.95"), ("JC-QS-HT-02", "0.97")):
        a = h.through_to_review(cycle, code)
        from flows.models import Outcome

        h.review(a, fraction=Decimal(fraction), outcome=Outcome.NONE)
    client.force_login(h.county_officer())
    body = client.get(f"/cycles/{cycle.pk}/").content.decode()
    assert body.index("西岭村") < body.index("东坪村")  # higher combined score first
    assert "超过" in body  # the share of good is above the 10% cap
    assert Assessment.objects.filter(cycle=cycle, state=Stage.CLOSED, rating=Rating.GOOD).count() == 2


def test_the_admin_door_cannot_move_an_assessment_or_edit_a_frozen_template(admin_client, demo):
    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    url = f"/admin/flows/assessment/{a.pk}/change/"
    assert admin_client.get(url).status_code == 200  # viewable
    response = admin_client.post(url, {"state": Stage.CLOSED})
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.state == Stage.SELF_ASSESSMENT
    template = a.template
    response = admin_client.post(
        f"/admin/flows/indicatortemplate/{template.pk}/change/",
        {"name": "改名", "code": template.code, "version": template.version},
    )
    assert response.status_code == 403
    template.refresh_from_db()
    assert template.name != "改名"
