"""Shared steps for the spot-check tests: a plan over Qingshan county's villages, drawn, and inspections walked."""

import datetime

from flows.models import CheckOutcome, OversightOffice, User
from flows.services import inspections as insp_svc
from flows.services import spotchecks as svc

INSPECTORS = ("ducha", "shenkai", "caigang")  # the city inspection office's pool


def user(name):
    return User.objects.get(username=name)


def make_plan(*, by="zuzhibu", office="JC-ZZB", pool=INSPECTORS, **fields):
    from flows.models import Organisation

    defaults = {
        "name": "2026年青山县村党组织随机抽查",
        "scope_root": Organisation.objects.get(code="JC-QS"),
        "levels": ["grassroots"],
        "sectors": ["village"],
        "rate_percent": 50,
        "inspectors_per_target": 2,
        "due": datetime.date.today() + datetime.timedelta(days=30),
    }
    return svc.plan_create(
        by=user(by),
        office=OversightOffice.objects.get(code=office),
        pool=[user(n) for n in pool],
        **(defaults | fields),
    )


NUMBERS = "3 6 1 5 2 4"  # dice thrown at the draw meeting
WITNESSES = ("王建华（纪委监委派驻纪检组）", "李秀英（群众代表）")


def drawn_plan(*, numbers=NUMBERS, witnesses=WITNESSES, **fields):
    plan = make_plan(**fields)
    svc.plan_freeze(by=plan.created_by, plan=plan, source="督查室会议现场掷骰")
    return svc.plan_draw(by=plan.created_by, plan=plan, numbers=numbers, witnesses=witnesses)


def seats(inspection):
    return [s.inspector for s in inspection.seats.order_by("position")]


def record(inspection, *, finding="党员大会记录缺失，三会一课落实不到位", severity="major"):
    lead = seats(inspection)[0]
    insp_svc.inspection_save(
        inspection=inspection,
        by=lead,
        results={r.code: (CheckOutcome.MET, "") for r in inspection.results.all()},
        summary="现场查阅台账，走访党员。",
    )
    if finding:
        insp_svc.finding_add(
            inspection=inspection,
            by=lead,
            severity=severity,
            description=finding,
            check_code="C1",
            requirement="一个月内补齐会议记录",
        )
    insp_svc.inspection_submit(inspection=inspection, by=lead)
    return lead


def sign_all(inspection):
    for inspector in seats(inspection)[1:]:
        insp_svc.inspection_sign(inspection=inspection, by=inspector, agree=True)
