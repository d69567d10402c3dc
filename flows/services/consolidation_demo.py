"""The demo city's consolidation of weak-and-lax organisations (issue 20). Idempotent: a second load adds nothing.

* 杨家坪村 (on the list since 2024): the criteria it met, a plan drawn up by 白河县委组织部 with 陆永红 (county
  committee member) as responsible leader and a work team, one milestone reached, one overdue (红 in the
  secretary 董桂英's 我的待办, escalated by the sweep) and one still ahead.
* 梨树湾村: designated earlier this year, consolidated, passed the acceptance check and lifted (销号).
"""

import datetime

from flows.models import ConsolidationPlan, Criterion, DesignationCriterion, Organisation, User, WeakAndLaxPeriod
from flows.models.people import today
from flows.selectors import consolidation as reads
from flows.services import classifications
from flows.services import consolidation as services

UNDER_WAY = "JC-BH-LS-02"
LIFTED = "JC-BH-CG-04"


def _officer(org):
    from flows.models import OfficeMembership, OfficeRole

    for office in reads.superior_offices(org):
        m = OfficeMembership.objects.current().filter(office=office, role=OfficeRole.OFFICER).order_by("pk").first()
        if m is not None:
            return m.user
    return User.objects.get(username="zuzhibu")


def _user(username, fallback):
    return User.objects.filter(username=username).first() or fallback


def demo_consolidation() -> int:
    """Returns the number of plans created."""
    created = 0
    now = today()
    org = Organisation.objects.filter(code=UNDER_WAY).first()
    period = WeakAndLaxPeriod.objects.filter(organisation=org, end__isnull=True).first() if org else None
    if period is not None and not ConsolidationPlan.objects.filter(period=period).exists():
        officer = _officer(org)
        if not period.criteria.exists():
            DesignationCriterion.objects.bulk_create(
                [
                    DesignationCriterion(period=period, criterion=Criterion.LEADERSHIP_DIVIDED),
                    DesignationCriterion(period=period, criterion=Criterion.ORG_LIFE),
                    DesignationCriterion(period=period, criterion=Criterion.MASSES),
                ]
            )
        plan = services.plan_save(
            period=period,
            measures="县委组织部牵头，乡党委具体负责：调整充实村“两委”班子，规范“三会一课”和主题党日，"
            "逐户走访化解群众矛盾，发展壮大村集体经济。",
            leader=_user("luyonghong", officer),
            team=[(u, "") for u in User.objects.filter(username__in=["luyu", "liangwei"])],
            by=officer,
        )
        for title, days in (
            ("选优配强村党支部书记，班子分工到人", -150),
            ("“三会一课”恢复正常，建立党员积分管理台账", -20),
            ("群众反映的突出问题逐件销号，接受县级验收", 60),
        ):
            services.milestone_add(
                plan=plan, title=title, due=max(now + datetime.timedelta(days=days), period.start), by=officer
            )
        services.plan_start(plan=plan, by=officer)
        first = plan.milestones.order_by("due").first()
        secretary = _user("dongguiying", officer)
        services.progress_report(
            milestone=first, text="新任书记董桂英已到岗，班子成员分工明确。", completes=True, by=secretary
        )
        created += 1

    org = Organisation.objects.filter(code=LIFTED).first()
    if org is not None and not WeakAndLaxPeriod.objects.filter(organisation=org).exists() and not org.weak_and_lax:
        officer = _officer(org)
        start = now - datetime.timedelta(days=280)
        period = classifications.weak_and_lax_designate(
            organisation=org,
            start=start,
            reason="排查发现：村党支部长期不开展组织生活，党员管理松散，上级部署落实不力。",
            criteria=[Criterion.ORG_LIFE, Criterion.MEMBERS_LAX, Criterion.DECISIONS],
            by=officer,
        )
        plan = services.plan_save(
            period=period,
            measures="乡镇党委书记包村，驻村工作队进驻：整顿组织生活，集中开展党员教育，建立党员联系户制度。",
            leader=_user("huangyonghong", officer),
            team=[(u, "") for u in User.objects.filter(username__in=["chengshengli"])],
            by=officer,
        )
        for title, days in (("组织生活恢复正常", 200), ("党员联系户制度建立并运行", 120)):
            services.milestone_add(plan=plan, title=title, due=start + datetime.timedelta(days=days), by=officer)
        services.plan_start(plan=plan, by=officer)
        secretary = _user("xuyonghong", officer)
        for m in plan.milestones.all():
            services.progress_report(milestone=m, text="已完成，材料齐全。", completes=True, by=secretary)
        services.acceptance_record(
            plan=plan,
            passed=True,
            on=now - datetime.timedelta(days=40),
            reasons="整顿目标全部实现，群众满意",
            by=officer,
        )
        classifications.weak_and_lax_lift(
            organisation=org, end=now - datetime.timedelta(days=30), reason="验收合格，销号", by=officer
        )
        created += 1
    return created
