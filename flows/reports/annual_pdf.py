"""The annual written report as a PDF ready to print: A4, headings, tables whose header row repeats on every
page, "第 N 页 共 M 页" at the foot of each page and the secretary's signature and seal block at the end.

The text is set in the CID font STSong-Light, which every PDF reader has: no font file to ship."""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import CondPageBreak, KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from flows.reports.annual import MEETING_HEADER, cell_text, meeting_facts, meeting_rows, meetings_heading
from flows.reports.printing import FONT

ROWS_PER_TABLE = 400  # long tables are cut into pieces (each repeating its header): splitting stays linear
MARGIN = 20 * mm
HEAD_BG = colors.HexColor("#E8E8E8")
HEADING_ROOM = 35 * mm  # room a heading needs below it for its first lines or table rows


def _font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles() -> dict:
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", **base, fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=1 * mm),
        "subtitle": ParagraphStyle("subtitle", **base, fontSize=12, leading=18, alignment=TA_CENTER),
        "h1": ParagraphStyle("h1", **base, fontSize=14, leading=22, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "body": ParagraphStyle("body", **base, fontSize=11, leading=18, firstLineIndent=22),
        "plain": ParagraphStyle("plain", **base, fontSize=11, leading=18),
        "lead": ParagraphStyle("lead", **base, fontSize=11, leading=18, spaceBefore=2 * mm),
        "cell": ParagraphStyle("cell", **base, fontSize=8.5, leading=11),
        "head": ParagraphStyle("head", **base, fontSize=8.5, leading=11, alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", **base, fontSize=12, leading=26, alignment=TA_RIGHT),
        "meta": ParagraphStyle("meta", **base, fontSize=9, leading=14, textColor=colors.HexColor("#555555")),
    }


class _NumberedCanvas(canvas.Canvas):
    """Keeps every page until the end, then writes "第 N 页 共 M 页" on each: the total is known only then."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for n, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self.setFont(FONT, 9)
            self.drawCentredString(A4[0] / 2, 10 * mm, f"第 {n} 页 共 {total} 页")
            super().showPage()
        super().save()


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _tables(header, rows, widths, st, *, numeric=()) -> list:
    """The rows as one or more tables (ROWS_PER_TABLE each), the header row repeated on every printed page."""
    if not rows:
        return [_p("无。", st["plain"])]
    out = []
    head = [_p(h, st["head"]) for h in header]
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONT", (0, 0), (-1, -1), FONT, 8.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *[("ALIGN", (c, 1), (c, -1), "RIGHT") for c in numeric],
        ]
    )
    for start in range(0, len(rows), ROWS_PER_TABLE):
        body = [
            [c if isinstance(c, Paragraph) else cell_text(c) for c in row]
            for row in rows[start : start + ROWS_PER_TABLE]
        ]
        out.append(LongTable([head, *body], colWidths=widths, repeatRows=1, style=style, hAlign="CENTER"))
    return out


def _facts(pairs, st) -> list:
    return [_p(f"{label}：{value}", st["plain"]) for label, value in pairs]


def _head_section(report, st) -> list:
    c = report["cycle"]
    name = report["organisation"]["name"]
    rest = report["title"][len(name) :].strip() if report["title"].startswith(name) else ""
    story = [_p(name, st["title"]), _p(rest, st["title"])] if rest else [_p(report["title"], st["title"])]
    if report["subtitle"]:
        story.append(_p(report["subtitle"], st["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    story.append(_p(report["text"]["intro"], st["body"]))
    story.append(_p("一、考核周期", st["h1"]))
    story += _facts(
        [
            ("考核名称", c["name"]),
            ("组织实施", c["office"]),
            ("考核期间", c["period"]),
            ("阶段时限", "；".join(f"{label} {day}" for label, day in c["deadlines"])),
            ("权重", c["weights"]),
            ("等次标准", c["thresholds"]),
        ],
        st,
    )
    return story


def _single(report, st) -> list:
    s = report["single"]
    story = [_p("二、考核得分与等次", st["h1"])]
    story += _tables(
        [label for label, _v in s["scores"]] + ["等次", "处理结果", "当前阶段"],
        [
            [v for _l, v in s["scores"]]
            + [s["rating"] + ("（一票否决）" if s["veto"] else ""), s["outcome"], s["stage"]]
        ],
        None,
        st,
    )
    if s["review_comment"]:
        story.append(Spacer(1, 2 * mm))
        story.append(_p(f"上级考评意见：{s['review_comment']}", st["plain"]))
    story.append(_p("三、各项指标得分", st["h1"]))
    story += _tables(
        ["序号", "维度", "指标", "满分", "自评", "上级考评", "一票否决"],
        [
            [
                n,
                _p(i["dimension"], st["cell"]),
                _p(f"{i['code']} {i['name']}", st["cell"]),
                "否决项" if i["veto"] else i["max"],
                "" if i["veto"] else i["self"],
                "" if i["veto"] else i["superior"],
                "触发" if i["veto_hit"] else "",
            ]
            for n, i in enumerate(s["indicators"], 1)
        ],
        [10 * mm, 30 * mm, 70 * mm, 14 * mm, 14 * mm, 18 * mm, 14 * mm],
        st,
        numeric=(3, 4, 5),
    )
    r = s["rectification"]
    story.append(_p("四、整改落实情况", st["h1"]))
    story.append(_p(report["text"]["rectification"], st["body"]))
    story += _tables(
        ["序号", "问题", "整改要求", "责任人", "完成时限", "状态"],
        [
            [
                n,
                _p(i["problem"], st["cell"]),
                _p(i["requirement"], st["cell"]),
                i["owner"],
                i["due"],
                i["state"] + ("（逾期）" if i["overdue"] else ""),
            ]
            for n, i in enumerate(r["items"], 1)
        ],
        [10 * mm, 50 * mm, 45 * mm, 18 * mm, 24 * mm, 23 * mm],
        st,
    )
    story.append(_p("五、表彰情况", st["h1"]))
    story += _tables(
        ["序号", "表彰项目", "推荐对象", "事由", "审批结果"],
        [
            [n, c["kind"], c["nominee"] or "本组织", _p(c["reason"], st["cell"]), c["decision"]]
            for n, c in enumerate(s["commendations"], 1)
        ],
        [10 * mm, 40 * mm, 25 * mm, 70 * mm, 25 * mm],
        st,
    )
    story.append(_p("六、问责情况", st["h1"]))
    story += _tables(
        ["序号", "问责方式", "责任人员", "事实和理由", "审批结果"],
        [
            [n, m["kind"], _p(m["persons"], st["cell"]), _p(m["reason"], st["cell"]), m["decision"]]
            for n, m in enumerate(s["accountability"], 1)
        ],
        [10 * mm, 30 * mm, 30 * mm, 75 * mm, 25 * mm],
        st,
    )
    if s["findings"]:
        story.append(_p("七、随机抽查发现的问题", st["h1"]))
        story += _tables(
            ["序号", "抽查", "程度", "问题", "审核", "整改"],
            [
                [
                    n,
                    _p(f["plan"], st["cell"]),
                    f["severity"],
                    _p(f["description"], st["cell"]),
                    f["decision"],
                    f["rectification"],
                ]
                for n, f in enumerate(s["findings"], 1)
            ],
            [10 * mm, 40 * mm, 14 * mm, 66 * mm, 18 * mm, 22 * mm],
            st,
        )
    return story


def _subtree(report, st) -> list:
    t, text = report["subtree"], report["text"]
    story = [_p("二、总体情况", st["h1"]), _p(text["overview"], st["body"])]
    story.append(_p("（一）各阶段党组织数", st["lead"]))
    story += _tables(
        ["阶段", "党组织数"], [[label, n] for label, n in t["stages"]], [60 * mm, 30 * mm], st, numeric=(1,)
    )
    story.append(_p("（二）等次分布", st["lead"]))
    story += _tables(
        ["等次", "党组织数", "占已评定比例（%）"],
        [[label, n, share] for label, n, share in t["ratings"]],
        [40 * mm, 30 * mm, 40 * mm],
        st,
        numeric=(1, 2),
    )
    story.append(_p(text["good_cap"], st["body"]))
    story.append(_p("三、综合得分排名", st["h1"]))
    story += _tables(
        ["名次", "党组织", "综合得分", "等次"],
        [[r["rank"], _p(r["name"], st["cell"]), r["combined"], r["rating"]] for r in t["ranking"]],
        [16 * mm, 110 * mm, 22 * mm, 22 * mm],
        st,
        numeric=(2,),
    )
    story.append(_p("四、整改落实情况", st["h1"]))
    story.append(_p(text["rectification"], st["body"]))
    a, c = t["accountability"], t["commendations"]
    story.append(_p("五、表彰和问责情况", st["h1"]))
    story.append(_p(text["honours"], st["body"]))
    kinds = [["表彰", k["kind"], k["proposed"], k["approved"], k["rejected"], k["pending"]] for k in c["by_kind"]]
    kinds += [["问责", k["kind"], k["proposed"], k["approved"], k["rejected"], k["pending"]] for k in a["by_kind"]]
    if kinds:
        story += _tables(
            ["类别", "项目", "提出", "批准", "未批准", "待审批"],
            kinds,
            [18 * mm, 62 * mm, 20 * mm, 20 * mm, 20 * mm, 20 * mm],
            st,
            numeric=(2, 3, 4, 5),
        )
    if text["findings"]:
        story.append(_p(text["findings"], st["body"]))
    story.append(_p("六、各党组织考核结果", st["h1"]))
    story += _tables(
        ["序号", "党组织", "自评", "群众评议", "上级考评", "综合得分", "等次", "处理结果", "阶段"],
        [
            [
                row["n"],
                _p(row["name"], st["cell"]),
                row["self"],
                row["mass"],
                row["superior"],
                row["combined"],
                row["rating"] + ("（否决）" if row["veto"] else ""),
                _p(row["outcome"], st["cell"]),
                _p(row["stage"], st["cell"]),
            ]
            for row in t["rows"]
        ],
        [10 * mm, 50 * mm, 12 * mm, 15 * mm, 15 * mm, 15 * mm, 18 * mm, 18 * mm, 17 * mm],
        st,
        numeric=(2, 3, 4, 5),
    )
    return story


def _meetings(report, st) -> list:
    """述职评议考核: each confirmed meeting in scope, its facts and its reporters' results."""
    if "meetings" not in report:
        return []
    story = [_p(meetings_heading(report), st["h1"]), _p(report["text"]["meetings"], st["body"])]
    for n, m in enumerate(report["meetings"], 1):
        story.append(_p(f"（{n}）{m['title']}", st["lead"]))
        story.append(_p(meeting_facts(m), st["plain"]))
        story += _tables(
            MEETING_HEADER,
            [
                [order, _p(name, st["cell"]), _p(post, st["cell"]), _p(org, st["cell"]), *rest]
                for order, name, post, org, *rest in meeting_rows(m)
            ],
            [16 * mm, 17 * mm, 34 * mm, 39 * mm, 16 * mm, 16 * mm, 16 * mm, 16 * mm],
            st,
            numeric=(4, 6),
        )
    return story


def _signature(report, st, tail: list) -> list:
    """The seal and signature block, kept on one page with the report's last short section (a signature never
    stands alone on a page of its own)."""
    return [
        KeepTogether(
            [
                *tail,
                Spacer(1, 12 * mm),
                _p(report["text"]["signed_by"], st["sign"]),
                _p("书记（签字）：＿＿＿＿＿＿＿＿", st["sign"]),
                _p("＿＿＿＿年＿＿月＿＿日", st["sign"]),
                Spacer(1, 6 * mm),
                _p(report["text"]["generated"], st["meta"]),
            ]
        ),
    ]


def _headings_not_orphaned(story) -> list:
    """A heading starts a new page when less than a few table rows would fit under it (keepWithNext would push
    a long table, heading and all, to the next page and leave a blank one behind)."""
    out = []
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("h1", "lead"):
            out.append(CondPageBreak(HEADING_ROOM))
        out.append(flowable)
    return out


def annual_report_pdf(report: dict) -> bytes:
    _font()
    st = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=report["title"],
        author=report["organisation"]["name"],
        subject=report["cycle"]["name"],
        creator="Zerenzhi",
    )
    story = _head_section(report, st)
    story += _single(report, st) if report["single"] else _subtree(report, st)
    story += _meetings(report, st)
    tail = []
    while story and isinstance(story[-1], Paragraph) and len(tail) < 4:  # the last heading and its short text
        tail.insert(0, story.pop())
        if tail[0].style.name == "h1":
            break
    else:
        story, tail = story + tail, []  # no short last section: the block goes on alone
    story += _signature(report, st, tail)
    story = _headings_not_orphaned(story)
    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()
