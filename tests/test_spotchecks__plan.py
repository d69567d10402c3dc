"""Spot-check plans: who may run them, the frozen population and committed seed, the draw, and its re-run."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from viewflow.workflow.models import Task

from flows.domain import draw
from flows.models import AuditEntry, Inspection, PlanState, RiskTier, SpotCheckPlan
from flows.selectors.spotchecks import population_queryset
from flows.services import spotchecks as svc
from flows.services.tasks import AlreadyHandled
from tests import spotcheck_helpers as h

pytestmark = pytest.mark.django_db

QS_VILLAGES = {
    "JC-QS-HT-01",
    "JC-QS-HT-02",
    "JC-QS-HT-03",
    "JC-QS-HT-05",
    "JC-QS-SQ-01",
    "JC-QS-SQ-01-01",
    "JC-QS-SQ-01-02",
    "JC-QS-SQ-02",
}


def verify(plan_pk):
    out = io.StringIO()
    try:
        call_command("verify_draw", str(plan_pk), stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


def test_the_population_is_the_subtree_filtered_by_sector_and_level(demo):
    plan = h.make_plan()
    assert {o.code for o in population_queryset(plan)} == QS_VILLAGES


def test_risk_tiers_narrow_the_population_to_organisations_at_risk(demo):
    from flows.models import Organisation

    Organisation.objects.filter(code="JC-QS-HT-02").update(weak_and_lax=True)
    plan = h.make_plan(risk_tiers=[RiskTier.WEAK_AND_LAX])
    assert [o.code for o in population_queryset(plan)] == ["JC-QS-HT-02"]


def test_only_officers_of_the_office_create_and_run_plans(demo):
    with pytest.raises(PermissionDenied):
        h.make_plan(by="xianshuji")
    plan = h.make_plan()
    with pytest.raises(PermissionDenied):
        svc.plan_freeze(by=h.user("ducha"), plan=plan)
    assert SpotCheckPlan.objects.get(pk=plan.pk).state == PlanState.DRAFT


def test_freezing_records_hash_and_commitment_but_keeps_the_seed_secret_until_the_draw(demo):
    plan = h.make_plan()
    svc.plan_freeze(by=plan.created_by, plan=plan)
    plan.refresh_from_db()
    assert plan.state == PlanState.FROZEN
    assert plan.snapshot_hash == draw.snapshot_hash(plan.snapshot)
    # the commitment binds the population digest: C = sha256("zrz-draw-2|commit|" + seed + "|" + D)
    assert plan.seed_commitment == draw.commitment_v2(plan.seed, plan.snapshot_hash)
    assert plan.algorithm == "zrz-draw-2" and plan.public_token and len(plan.public_token) >= 32
    assert {t["code"] for t in plan.snapshot["population"]} == QS_VILLAGES
    assert {i["name"] for i in plan.snapshot["pool"]} == {"孙志刚", "沈凯", "蔡刚"}
    entry = AuditEntry.objects.get(action="spotcheck.freeze", subject_id=str(plan.pk))
    assert plan.snapshot_hash in entry.comment and plan.seed_commitment in entry.comment
    assert plan.seed not in entry.comment  # the seed is not revealed before the draw


def test_the_draw_creates_one_inspection_per_sampled_organisation_in_the_lead_inspectors_inbox(demo):
    plan = h.drawn_plan()
    assert plan.state == PlanState.DRAWN
    sample = plan.result["sample"]
    assert len(sample) == 4  # 50 % of 7 villages, rounded up
    inspections = Inspection.objects.filter(plan=plan)
    assert sorted(i.organisation.code for i in inspections) == sorted(sample)
    for insp in inspections:
        lead, other = h.seats(insp)
        assert [lead.pk, other.pk] == plan.result["assignments"][insp.organisation.code]
        assert [r.title for r in insp.results.all()] == [
            "三会一课",
            "组织生活",
            "党员教育管理",
            "阵地建设",
            "经费保障",
            "台账资料",
        ]
        task = Task.objects.get(process=insp.process, flow_task__isnull=False, status="ASSIGNED")
        assert task.owner == lead
    assert f"seed={plan.seed}" in AuditEntry.objects.get(action="spotcheck.draw", subject_id=str(plan.pk)).comment


def test_a_double_clicked_draw_draws_once(demo):
    plan = h.make_plan()
    svc.plan_freeze(by=plan.created_by, plan=plan)
    svc.plan_draw(by=plan.created_by, plan=plan, numbers=h.NUMBERS, witnesses=h.WITNESSES)
    with pytest.raises(AlreadyHandled):
        svc.plan_draw(by=plan.created_by, plan=plan, numbers=h.NUMBERS, witnesses=h.WITNESSES)
    assert Inspection.objects.filter(plan=plan).count() == 4


def test_an_infeasible_plan_is_refused_naming_the_organisations_that_cannot_be_covered(demo):
    from flows.models import Organisation, Role, RoleAssignment

    # 沈凯 also sits on 东坪村's branch committee: he may not check it, and with 2 of 2 inspectors needed
    # from a pool of two, nobody else can
    RoleAssignment.objects.create(
        user=h.user("shenkai"),
        organisation=Organisation.objects.get(code="JC-QS-HT-01"),
        role=Role.MEMBER,
        start="2025-01-01",
    )
    plan = h.make_plan(pool=("ducha", "shenkai"))
    with pytest.raises(ValidationError) as exc:
        svc.plan_freeze(by=plan.created_by, plan=plan)
    message = " ".join(exc.value.messages)
    assert "东坪村" in message and "JC-QS-HT-01" in message
    assert "南坳村" not in message
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT and not plan.seed  # nothing was written


def test_an_inspector_is_never_sent_to_the_organisation_they_checked_last_time(demo):
    first = h.drawn_plan(rate_percent=100, inspectors_per_target=1)
    checked = {(s.inspector_id, s.inspection.organisation.code) for i in first.inspections.all() for s in i.seats.all()}
    second = h.drawn_plan(rate_percent=100, inspectors_per_target=1, name="第二轮")
    previous = {i["id"]: set(i["previous"]) for i in second.snapshot["pool"]}
    assert any(previous.values())
    for code, (inspector,) in second.result["assignments"].items():
        assert (inspector, code) not in checked
        assert code not in previous[inspector]


def test_verify_draw_confirms_an_untouched_draw(demo):
    plan = h.drawn_plan()
    status, out = verify(plan.pk)
    assert status == 0, out
    assert "抽签结果与记录的输入完全一致" in out


def test_verify_draw_detects_a_tampered_population(demo):
    plan = h.drawn_plan()
    snapshot = plan.snapshot
    snapshot["population"] = [t for t in snapshot["population"] if t["code"] != plan.result["sample"][0]]
    SpotCheckPlan.objects.filter(pk=plan.pk).update(snapshot=snapshot)
    status, out = verify(plan.pk)
    assert status == 1
    assert "冻结的抽查对象或督查员库已被改动" in out


def test_verify_draw_detects_a_population_rewritten_together_with_its_hash(demo):
    plan = h.drawn_plan()
    snapshot = plan.snapshot
    snapshot["pool"] = [i for i in snapshot["pool"] if i["name"] != "孙志刚"]
    SpotCheckPlan.objects.filter(pk=plan.pk).update(snapshot=snapshot, snapshot_hash=draw.snapshot_hash(snapshot))
    status, out = verify(plan.pk)
    assert status == 1
    assert "审计记录中冻结时的对象哈希或种子承诺与方案不一致" in out


def test_verify_draw_detects_a_tampered_seed(demo):
    plan = h.drawn_plan()
    SpotCheckPlan.objects.filter(pk=plan.pk).update(seed="0" * 64)
    status, out = verify(plan.pk)
    assert status == 1
    assert "公开的种子与抽签前的承诺不一致" in out


def test_verify_draw_detects_a_changed_assignment(demo):
    plan = h.drawn_plan()
    insp = plan.inspections.first()
    seat = insp.seats.get(position=2)
    replacement = next(
        i["id"] for i in plan.snapshot["pool"] if i["id"] not in {s.inspector_id for s in insp.seats.all()}
    )
    seat.inspector_id = replacement
    seat.save()
    status, out = verify(plan.pk)
    assert status == 1
    assert "数据库中的检查任务与抽签结果不一致" in out


def test_verify_draw_refuses_an_undrawn_or_unknown_plan(demo):
    plan = h.make_plan()
    assert verify(plan.pk)[0] == 1
    with pytest.raises(CommandError):
        call_command("verify_draw", "999999", stdout=io.StringIO())


def test_a_plan_can_be_cancelled_before_the_draw_only_with_a_reason(demo):
    plan = h.make_plan()
    with pytest.raises(ValidationError):
        svc.plan_cancel(by=plan.created_by, plan=plan, reason=" ")
    svc.plan_cancel(by=plan.created_by, plan=plan, reason="范围有误，重新制定")
    plan.refresh_from_db()
    assert plan.state == PlanState.CANCELLED
    drawn = h.drawn_plan(name="另一轮")
    with pytest.raises(AlreadyHandled):
        svc.plan_cancel(by=drawn.created_by, plan=drawn, reason="不想查了")
