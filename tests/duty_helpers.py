"""Shared steps for the duty-list tests: the demo city's 2026 cycle (its duty lists piloted in 河塘镇)."""

import datetime

from django.db import transaction

from flows.models import ReviewCycle, User
from flows.models.duties import DutyList, DutyRole, LineKind

CITY_OFFICER = "zuzhibu"


def city_cycle() -> ReviewCycle:
    return ReviewCycle.objects.get(office__code="JC-ZZB", year=2026)


def officer() -> User:
    return User.objects.get(username=CITY_OFFICER)


def duty_list(code) -> DutyList:
    return DutyList.objects.select_related("organisation", "cycle").get(cycle=city_cycle(), organisation__code=code)


def lines_as_saved(dl) -> list[dict]:
    return [
        {
            "kind": line.kind,
            "role": line.role,
            "area": line.area,
            "holder": line.holder,
            "text": line.text,
            "secretary_project": line.secretary_project,
            "due": line.due,
            "indicator_ids": [i.pk for i in line.indicators.all()],
            "from_template": line.from_template_id,
        }
        for line in dl.lines.order_by("kind", "order", "pk")
    ]


def with_project(dl, holder, text="书记项目：建设党群服务驿站") -> list[dict]:
    return [
        *lines_as_saved(dl),
        {
            "kind": LineKind.TASK,
            "role": DutyRole.SECRETARY,
            "holder": holder,
            "text": text,
            "secretary_project": True,
            "due": datetime.date(2026, 11, 30),
            "indicator_ids": [],
        },
    ]


def atomic(fn, **kwargs):
    with transaction.atomic():
        return fn(**kwargs)


def pk_of(code) -> int:
    return duty_list(code).pk


def preview_job():
    """A checked duty-lines import of the city office's officer, waiting for confirmation."""
    from flows.models import ExcelJob

    return ExcelJob.objects.create(
        direction="import",
        kind="duties",
        state="checked",
        params={"cycle": city_cycle().pk},
        created_by=officer(),
        original_name="duties.xlsx",
        report={"counts": {"new": 0, "changed": 1, "unchanged": 0}, "rows": [], "errors": [], "refused": ""},
    )
