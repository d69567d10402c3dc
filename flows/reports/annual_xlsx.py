"""The annual written report (书面报告) as a workbook: the same content as the PDF (flows/reports/annual.py), one
sheet for the report's text and one per table, printed as offices print (A4, header rows repeated)."""

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from flows.excel import writing
from flows.excel.cells import safe
from flows.reports.annual import MEETING_HEADER, meeting_facts, meeting_rows, meetings_heading

COLUMNS = [22, 60, 14, 14]  # the report sheet: label, value, and two narrow columns for counts and shares


class _Report:
    """The report sheet, written row by row: each row's height is set before it is written (write-only sheets
    take no later change), so wrapped text and headings print whole."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 2  # the two title rows

    def append(self, cells, values, size=writing.BODY_SIZE, *, merged=False):
        self.row += 1
        columns = [sum(COLUMNS)] if merged else COLUMNS
        writing.fit_row(self.ws, self.row, values, columns, size)
        if merged:
            self.ws.merged_cells.add(f"A{self.row}:D{self.row}")
        self.ws.append(cells)


def _heading(doc, text):
    cell = WriteOnlyCell(doc.ws, value=safe(text))
    cell.font = Font(bold=True, size=12)
    doc.append([cell], [text], 12)


def _line(doc, *values):
    doc.append(writing.top_aligned(doc.ws, values, left=True), values)


def _paragraph(doc, text):
    """A paragraph across the page, wrapped."""
    doc.append(writing.top_aligned(doc.ws, [text]), [text], merged=True)


def _table(wb, name, title, subtitle, header, rows, col_widths, *, landscape=False, freeze="A4", wrap=False):
    """A table under two title rows; the title rows and the header repeat on every printed page. With `wrap`,
    long text (problems, requirements written by people) wraps in its column and the row grows to hold it."""
    ws = writing.printed_sheet(wb, name, columns=col_widths, header_rows=3, freeze=freeze, landscape=landscape)
    writing.title_rows(ws, title, subtitle, len(header))
    writing.header_row(ws, header)
    for n, row in enumerate(rows, 4):
        if wrap:
            writing.wrapped_row(ws, n, row, col_widths)
        else:
            ws.append([safe(v) if isinstance(v, str) else v for v in row])
    return ws


def _report_sheet(wb, report):
    ws = writing.printed_sheet(wb, "书面报告", columns=COLUMNS, freeze=None, landscape=False)
    c = report["cycle"]
    writing.title_rows(ws, report["title"], report["subtitle"] or c["name"], len(COLUMNS))
    ws = _Report(ws)
    _paragraph(ws, report["text"]["intro"])
    _heading(ws, "一、考核周期")
    for label, value in [
        ("考核名称", c["name"]),
        ("组织实施", c["office"]),
        ("考核期间", c["period"]),
        *[(f"{label}时限", day) for label, day in c["deadlines"]],
        ("权重", c["weights"]),
        ("等次标准", c["thresholds"]),
    ]:
        _line(ws, label, value)
    return ws


def _single(wb, ws, report):
    s = report["single"]
    _heading(ws, "二、考核得分与等次")
    for label, value in s["scores"]:
        _line(ws, label, value)
    _line(ws, "等次", s["rating"] + ("（一票否决）" if s["veto"] else ""))
    _line(ws, "处理结果", s["outcome"])
    _line(ws, "当前阶段", s["stage"])
    if s["review_comment"]:
        _line(ws, "上级考评意见", s["review_comment"])
    _heading(ws, "三、各项指标得分（见“指标得分”表）")
    r = s["rectification"]
    _heading(ws, "四、整改落实情况")
    for label, key in [("整改事项", "total"), ("已验收", "verified"), ("未完成", "open"), ("逾期", "overdue")]:
        _line(ws, label, r[key])
    _heading(ws, "五、表彰情况")
    for c in s["commendations"] or [{"kind": "无", "nominee": "", "decision": ""}]:
        _line(ws, c["kind"], c["nominee"], c["decision"])
    _heading(ws, "六、问责情况")
    for m in s["accountability"] or [{"kind": "无", "persons": "", "decision": ""}]:
        _line(ws, m["kind"], m["persons"], m["decision"])
    name, title = report["organisation"]["name"], report["title"]
    _table(
        wb,
        "指标得分",
        f"{name}各项指标得分",
        title,
        ["序号", "维度", "指标编码", "指标", "满分", "自评", "上级考评", "一票否决"],
        [
            [
                n,
                i["dimension"],
                i["code"],
                i["name"],
                "否决项" if i["veto"] else i["max"],
                None if i["veto"] else i["self"],
                None if i["veto"] else i["superior"],
                "触发" if i["veto_hit"] else "",
            ]
            for n, i in enumerate(s["indicators"], 1)
        ],
        [6, 16, 10, 44, 8, 8, 10, 10],
        landscape=True,
    )
    _table(
        wb,
        "整改清单",
        f"{name}整改清单",
        title,
        ["序号", "问题", "整改要求", "责任人", "完成时限", "状态", "逾期"],
        [
            [n, i["problem"], i["requirement"], i["owner"], i["due"], i["state"], "是" if i["overdue"] else ""]
            for n, i in enumerate(r["items"], 1)
        ],
        [6, 40, 34, 12, 16, 18, 6],
        landscape=True,
        wrap=True,
    )
    if s["findings"]:
        _table(
            wb,
            "抽查问题",
            f"{name}随机抽查发现的问题",
            title,
            ["序号", "抽查", "程度", "问题", "审核", "整改"],
            [
                [n, f["plan"], f["severity"], f["description"], f["decision"], f["rectification"]]
                for n, f in enumerate(s["findings"], 1)
            ],
            [6, 30, 8, 50, 10, 18],
            landscape=True,
            wrap=True,
        )


def _subtree(wb, ws, report):
    t = report["subtree"]
    _heading(ws, "二、总体情况")
    _line(ws, "参加考核的党组织", t["total"])
    _line(ws, "已评定等次", t["rated"])
    _line(ws, "一票否决", t["vetoes"])
    _heading(ws, "各阶段党组织数")
    for label, n in t["stages"]:
        _line(ws, label, n)
    _heading(ws, "等次分布")
    _line(ws, "等次", "党组织数", "占比（%）")
    for label, n, share in t["ratings"]:
        _line(ws, label, n, share)
    cap = t["good_cap"]
    _line(ws, "“好”等次比例上限（%）", cap["cap"] if cap["cap"] is not None else "未设上限")
    _line(ws, "“好”等次实际比例（%）", cap["share"])
    _line(ws, "是否超过上限", "是" if cap["exceeds"] else "否")
    _line(ws, "等次审定", cap["settlement"])
    _heading(ws, "三、综合得分排名（见“综合得分排名”表）")
    r = t["rectification"]
    _heading(ws, "四、整改落实情况")
    for label, key in [
        ("整改事项", "total"),
        ("整改中", "open"),
        ("已报告待验收", "reported"),
        ("已验收", "verified"),
        ("逾期未完成", "overdue"),
    ]:
        _line(ws, label, r[key])
    a, c = t["accountability"], t["commendations"]
    _heading(ws, "五、表彰和问责情况")
    _line(ws, "推荐表彰", c["proposed"])
    _line(ws, "批准表彰", c["approved"])
    _line(ws, "处理结果为追究责任的党组织", a["decided"])
    _line(ws, "仍在问责程序中的党组织", a["assessments"])
    _line(ws, "提出问责措施", a["proposed"])
    _line(ws, "批准问责措施", a["approved"])
    for k in a["by_kind"]:
        _line(ws, k["kind"], k["proposed"], k["approved"])
    f = t["findings"]
    if f["total"]:
        _line(ws, "随机抽查发现问题", f["total"])
        for label, n in f["by_severity"]:
            _line(ws, label, n)
    _heading(ws, "六、各党组织考核结果（见“各党组织考核结果”表）")
    title = report["title"]
    _table(
        wb,
        "综合得分排名",
        "综合得分排名",
        title,
        ["名次", "党组织", "综合得分", "等次"],
        [[x["rank"], x["name"], x["combined"], x["rating"]] for x in t["ranking"]],
        [8, 50, 12, 10],
    )
    _table(
        wb,
        "各党组织考核结果",
        "各党组织考核结果",
        title,
        [
            "序号",
            "党组织",
            "组织编码",
            "领域",
            "自评",
            "群众评议",
            "上级考评",
            "综合得分",
            "等次",
            "一票否决",
            "处理结果",
            "阶段",
        ],
        [
            [
                x["n"],
                x["name"],
                x["code"],
                x["sector"],
                x["self"],
                x["mass"],
                x["superior"],
                x["combined"],
                x["rating"],
                "是" if x["veto"] else "",
                x["outcome"],
                x["stage"],
            ]
            for x in t["rows"]
        ],
        [6, 40, 16, 12, 8, 10, 10, 10, 8, 10, 20, 12],
        landscape=True,
        freeze="C4",
    )


def _meetings(wb, ws, report):
    """述职评议考核: the summary and each meeting's facts on the report sheet; one row per reporter on a sheet of
    its own (only when there is a meeting to list)."""
    if "meetings" not in report:
        return
    meetings = report["meetings"]
    _heading(ws, meetings_heading(report) + ("（见“述职评议考核”表）" if meetings else ""))
    _paragraph(ws, report["text"]["meetings"])
    for n, m in enumerate(meetings, 1):
        _line(ws, f"（{n}）{m['title']}", meeting_facts(m))
    if not meetings:
        return
    _table(
        wb,
        "述职评议考核",
        "述职评议考核结果",
        report["title"],
        ["序号", "述职评议会", "召开单位", "召开日期", "地点", "参会人数", *MEETING_HEADER],
        [
            [n, m["title"], m["holder"], m["date"], m["place"], m["attendance"], *row]
            for n, (m, row) in enumerate(((m, row) for m in meetings for row in meeting_rows(m, numbers=True)), 1)
        ],
        [6, 30, 24, 14, 20, 8, 8, 10, 24, 28, 10, 10, 10, 8],
        landscape=True,
        freeze="C4",
        wrap=True,
    )


def annual_report_workbook(report: dict) -> bytes:
    wb = writing.new_workbook()
    ws = _report_sheet(wb, report)
    if report["single"]:
        _single(wb, ws, report)
    else:
        _subtree(wb, ws, report)
    _meetings(wb, ws, report)
    _heading(ws, "")
    _paragraph(ws, report["text"]["signed_by"])
    _line(ws, "书记（签字）：")
    _line(ws, "日期：　　年　　月　　日")
    _paragraph(ws, report["text"]["generated"])
    return writing.to_bytes(wb)
