"""The demo city's rectification in depth (issue 20), on 北山村's items of the 2026 cycle:

* the secretary writes a plan (整改方案) and reports progress twice on the first item from the meeting and asks for
  more time on it: the request waits for the township secretary `dingxuejun` (审批延期申请);
* the township's supervision (督导) listed two items for the deputy secretary: one's extension was asked earlier and
  granted (the old due date is kept on the item's page); the other was reported and verified, and its re-check
  (回头看) has fallen due and waits for 河塘镇.

Idempotent: a second load adds nothing."""

import datetime

from django.db import transaction

from flows.models import Assessment, ItemState, Role, RoleAssignment, User
from flows.models.assessments import RectificationExtension, RectificationRecheck
from flows.models.people import today
from flows.services import assessments as svc
from flows.services import rectification as services

ORG = "JC-QS-HT-05"  # 北山村
CYCLE_OFFICE, CYCLE_YEAR = "JC-ZZB", 2026
REVIEWER = "dingxuejun"
SUPERVISION_PROBLEM = "党务公开栏内容未按季度更新"


def demo_rectification() -> None:
    a = (
        Assessment.objects.filter(organisation__code=ORG, cycle__office__code=CYCLE_OFFICE, cycle__year=CYCLE_YEAR)
        .select_related("organisation")
        .first()
    )
    reviewer = User.objects.filter(username=REVIEWER).first()
    if a is None or reviewer is None or RectificationExtension.objects.filter(item__assessment=a).exists():
        return
    holders = {r.role: r.user for r in RoleAssignment.objects.current().filter(organisation=a.organisation)}
    secretary, deputy = holders.get(Role.SECRETARY), holders.get(Role.DEPUTY)
    pointed = a.rectification_items.filter(state=ItemState.OPEN, owner=secretary).order_by("pk").first()
    if secretary is None or deputy is None or pointed is None:
        return
    with transaction.atomic():
        # the secretary's item from the meeting: plan, progress, and a request for more time waiting for 河塘镇
        services.rectification_plan_save(
            item=pointed,
            by=secretary,
            plan="一、对照问题清单召开支委会研究整改措施；二、书记牵头、支委分工负责；三、每月向镇党委报告进展。",
        )
        for days, text in (
            (10, "已召开支委会，明确三项整改措施和责任人。"),
            (2, "三项措施已完成两项，第三项待镇里统一培训。"),
        ):
            services.rectification_progress_add(
                item=pointed, by=secretary, on=today() - datetime.timedelta(days=days), text=text
            )
        svc.extension_request(
            item=pointed,
            by=secretary,
            due=pointed.due + datetime.timedelta(days=20),
            reason="第三项措施需等待镇里统一培训",
        )
        # two items of the township's supervision (督导) owned by the deputy secretary
        granted, rechecked = (
            svc.rectification_item_create(
                assessment=a,
                by=reviewer,
                problem=problem,
                requirement=requirement,
                owner=deputy,
                due=today() + datetime.timedelta(days=days),
                comment="镇党委督导发现",
            )
            for problem, requirement, days in (
                ("党员积分制管理未落实到人", "逐人建立积分台账，每季度公示", 14),
                (SUPERVISION_PROBLEM, "按季度更新党务公开内容", 7),
            )
        )
        services.rectification_plan_save(
            item=granted, by=deputy, plan="支委分片包干，逐人建立积分台账；每季度在党员大会上公示积分。"
        )
        # asked earlier and granted: the first due date stays on the item's page
        svc.extension_request(
            item=granted, by=deputy, due=granted.due + datetime.timedelta(days=30), reason="正值秋收农忙，党员集中难"
        )
        svc.extension_decide(item=granted, by=reviewer, grant=True, comment="同意延期一个月，农忙后抓紧落实")
        svc.rectification_report(item=rechecked, by=deputy, report="已更新党务公开栏，并明确由组织委员每季度更新。")
        svc.rectification_verify(item=rechecked, by=reviewer, verified=True)
        # as if verified a cycle's interval ago: the re-check (回头看) falls due today
        RectificationRecheck.objects.filter(item=rechecked).update(due=today())
        rechecked.__class__.objects.filter(pk=rechecked.pk).update(recheck_due=today())
    services.rechecks_open_due(today())
