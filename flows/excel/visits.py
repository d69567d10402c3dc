"""The contact-point and visit ledger of a level (联系点及走访督导台账) as offices print it: the contact points of a
year and the visits of that year to the organisations under an office's scope, in the columns the import reads back
(flows/excel/importers/contacts.py), so an exported ledger imports unchanged."""

import datetime

from django.db.models import Prefetch
from openpyxl.cell import WriteOnlyCell

from flows.excel import writing
from flows.models import Organisation, User
from flows.models.contacts import ContactPoint, Visit, VisitProblem
from flows.models.organisations import subtree_q

KIND_LABELS = {"observation": "观摩", "supervision": "督导", "research": "调研"}
POINT_HEADERS = ["年度", "领导账号", "领导姓名", "组织编码", "组织名称", "备注"]
POINT_REQUIRED = ("年度", "领导账号", "组织编码")
VISIT_HEADERS = ["走访日期", "组织编码", "组织名称", "类型", "领导账号", "领导姓名", "看到的情况", "发现的问题"]
VISIT_REQUIRED = ("走访日期", "组织编码", "类型", "领导账号", "看到的情况")
POINT_WIDTHS = [8, 14, 12, 18, 40, 24]
VISIT_WIDTHS = [12, 18, 36, 8, 16, 14, 44, 44]
LEADER_SEPARATOR = "、"


def _name(org: Organisation) -> str:
    return org.name


def ledger(office, year: int) -> bytes:
    """Both sheets for the office's scope (its own committee excluded) and `year`."""
    scope = subtree_q(office.scope.path, include_self=False, prefix="organisation__")
    points = (
        ContactPoint.objects.filter(scope, year=year)
        .select_related("leader", "organisation")
        .order_by("organisation__path", "leader__username")
    )
    visits = (
        Visit.objects.filter(scope, date__gte=datetime.date(year, 1, 1), date__lte=datetime.date(year, 12, 31))
        .select_related("organisation")
        .prefetch_related(
            Prefetch("leaders", queryset=User.objects.order_by("username")),
            Prefetch("problems", queryset=VisitProblem.objects.order_by("order")),
        )
        .order_by("date", "organisation__path", "pk")
    )
    wb = writing.new_workbook()
    ws = writing.printed_sheet(wb, "联系点", columns=POINT_WIDTHS, header_rows=3)
    writing.title_rows(ws, f"{office.scope.name} {year}年度领导干部党建工作联系点", office.name, len(POINT_HEADERS))
    writing.header_row(ws, POINT_HEADERS, required=POINT_REQUIRED)
    for n, p in enumerate(points, 4):
        values = [p.year, p.leader.username, p.leader.real_name, p.organisation.code, _name(p.organisation), p.note]
        writing.wrapped_row(ws, n, values, POINT_WIDTHS)
    ws = writing.printed_sheet(wb, "走访督导", columns=VISIT_WIDTHS, header_rows=3)
    writing.title_rows(ws, f"{office.scope.name} {year}年度领导干部观摩督导走访记录", office.name, len(VISIT_HEADERS))
    writing.header_row(ws, VISIT_HEADERS, required=VISIT_REQUIRED)
    for n, v in enumerate(visits, 4):
        leaders = list(v.leaders.all())
        day = WriteOnlyCell(ws, value=v.date)
        day.number_format = "yyyy-mm-dd"
        values = [
            day,
            v.organisation.code,
            _name(v.organisation),
            KIND_LABELS.get(v.kind, v.kind),
            LEADER_SEPARATOR.join(u.username for u in leaders),
            LEADER_SEPARATOR.join(u.real_name or u.username for u in leaders),
            v.seen,
            "\n".join(p.text for p in v.problems.all()),
        ]
        writing.wrapped_row(ws, n, values, VISIT_WIDTHS)
    return writing.to_bytes(wb)
