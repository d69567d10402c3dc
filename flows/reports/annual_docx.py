"""The annual written report as a Word document (.docx), for offices that edit the text before they print it:
the same content as the PDF (flows/reports/annual.py), A4, 宋体 body and 黑体 headings, tables whose header row
repeats on every page, "第 N 页 共 M 页" in the footer (Word's PAGE and NUMPAGES fields) and the signature and
seal block."""

import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from flows.reports.annual import MEETING_HEADER, cell_text, meeting_facts, meeting_rows, meetings_heading

BODY_FONT, HEADING_FONT = "宋体", "黑体"


def _east_asian(run_or_style, name: str):
    """Word takes Chinese text's font from w:eastAsia, not from the font name python-docx sets."""
    run_or_style.font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _para(doc, text="", *, size=12, bold=False, font=BODY_FONT, align=None, indent=False, space_after=0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    run = p.add_run(text)
    run.font.size, run.font.bold = Pt(size), bold
    _east_asian(run, font)
    return p


def _heading(doc, text):
    p = _para(doc, text, size=14, font=HEADING_FONT, space_after=4)
    p.paragraph_format.space_before = Pt(10)
    p.paragraph_format.keep_with_next = True
    return p


def _repeat_header(row):
    trpr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    trpr.append(flag)


# a body cell as WordprocessingML: 9 pt 宋体; rows are written as XML text and parsed in chunks (python-docx's
# row and cell objects cost ~0.4 ms a cell, 40 s for the table of 10,000 organisations)
CELL = (
    '<w:tc><w:p><w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/><w:sz w:val="18"/>'
    '</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'
)
ROWS_PER_CHUNK = 2000


def _table(doc, header, rows, widths_mm=None):
    if not rows:
        return _para(doc, "无。")
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.font.size, run.font.bold = Pt(9), True
        _east_asian(run, HEADING_FONT)
    _repeat_header(table.rows[0])
    if widths_mm:
        for column, cell, w in zip(table.columns, table.rows[0].cells, widths_mm, strict=True):
            column.width = cell.width = Mm(w)
    for start in range(0, len(rows), ROWS_PER_CHUNK):
        xml = "".join(
            "<w:tr>"
            + "".join(
                CELL.format(font=BODY_FONT, text=escape(v if isinstance(v, str) else cell_text(v))) for v in values
            )
            + "</w:tr>"
            for values in rows[start : start + ROWS_PER_CHUNK]
        )
        for tr in list(parse_xml(f"<w:tbl {nsdecls('w')}>{xml}</w:tbl>")):
            table._tbl.append(tr)
    return table


def _field(paragraph, instruction: str):
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    return run


def _page_setup(doc):
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(25))
    section.top_margin, section.bottom_margin = Mm(30), Mm(25)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in ("第 ", "PAGE", " 页 共 ", "NUMPAGES", " 页"):
        run = _field(footer, part) if part in ("PAGE", "NUMPAGES") else footer.add_run(part)
        run.font.size = Pt(9)
        _east_asian(run, BODY_FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    _east_asian(normal, BODY_FONT)


def _head(doc, report):
    c = report["cycle"]
    name = report["organisation"]["name"]
    rest = report["title"][len(name) :].strip() if report["title"].startswith(name) else ""
    for line in [name, rest] if rest else [report["title"]]:
        _para(doc, line, size=20, font=HEADING_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=4)
    if report["subtitle"]:
        _para(doc, report["subtitle"], size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
    _para(doc, report["text"]["intro"], indent=True)
    _heading(doc, "一、考核周期")
    for label, value in [
        ("考核名称", c["name"]),
        ("组织实施", c["office"]),
        ("考核期间", c["period"]),
        ("阶段时限", "；".join(f"{label} {day}" for label, day in c["deadlines"])),
        ("权重", c["weights"]),
        ("等次标准", c["thresholds"]),
    ]:
        _para(doc, f"{label}：{value}")


def _single(doc, s, text):
    _heading(doc, "二、考核得分与等次")
    _table(
        doc,
        [label for label, _v in s["scores"]] + ["等次", "处理结果", "当前阶段"],
        [
            [v for _l, v in s["scores"]]
            + [s["rating"] + ("（一票否决）" if s["veto"] else ""), s["outcome"], s["stage"]]
        ],
    )
    if s["review_comment"]:
        _para(doc, f"上级考评意见：{s['review_comment']}")
    _heading(doc, "三、各项指标得分")
    _table(
        doc,
        ["序号", "维度", "指标", "满分", "自评", "上级考评", "一票否决"],
        [
            [
                n,
                i["dimension"],
                f"{i['code']} {i['name']}",
                "否决项" if i["veto"] else i["max"],
                "" if i["veto"] else i["self"],
                "" if i["veto"] else i["superior"],
                "触发" if i["veto_hit"] else "",
            ]
            for n, i in enumerate(s["indicators"], 1)
        ],
        [10, 25, 65, 15, 15, 18, 15],
    )
    r = s["rectification"]
    _heading(doc, "四、整改落实情况")
    _para(doc, text["rectification"], indent=True)
    _table(
        doc,
        ["序号", "问题", "整改要求", "责任人", "完成时限", "状态"],
        [
            [n, i["problem"], i["requirement"], i["owner"], i["due"], i["state"] + ("（逾期）" if i["overdue"] else "")]
            for n, i in enumerate(r["items"], 1)
        ],
    )
    _heading(doc, "五、表彰情况")
    _table(
        doc,
        ["序号", "表彰项目", "推荐对象", "事由", "审批结果"],
        [
            [n, c["kind"], c["nominee"] or "本组织", c["reason"], c["decision"]]
            for n, c in enumerate(s["commendations"], 1)
        ],
    )
    _heading(doc, "六、问责情况")
    _table(
        doc,
        ["序号", "问责方式", "责任人员", "事实和理由", "审批结果"],
        [[n, m["kind"], m["persons"], m["reason"], m["decision"]] for n, m in enumerate(s["accountability"], 1)],
    )
    if s["findings"]:
        _heading(doc, "七、随机抽查发现的问题")
        _table(
            doc,
            ["序号", "抽查", "程度", "问题", "审核", "整改"],
            [
                [n, f["plan"], f["severity"], f["description"], f["decision"], f["rectification"]]
                for n, f in enumerate(s["findings"], 1)
            ],
        )


def _subtree(doc, t, text):
    _heading(doc, "二、总体情况")
    _para(doc, text["overview"], indent=True)
    _para(doc, "（一）各阶段党组织数")
    _table(doc, ["阶段", "党组织数"], [[label, n] for label, n in t["stages"]])
    _para(doc, "（二）等次分布")
    _table(doc, ["等次", "党组织数", "占已评定比例（%）"], [[label, n, share] for label, n, share in t["ratings"]])
    _para(doc, text["good_cap"], indent=True)
    _heading(doc, "三、综合得分排名")
    _table(
        doc,
        ["名次", "党组织", "综合得分", "等次"],
        [[x["rank"], x["name"], x["combined"], x["rating"]] for x in t["ranking"]],
    )
    _heading(doc, "四、整改落实情况")
    _para(doc, text["rectification"], indent=True)
    _heading(doc, "五、表彰和问责情况")
    _para(doc, text["honours"], indent=True)
    if text["findings"]:
        _para(doc, text["findings"], indent=True)
    _heading(doc, "六、各党组织考核结果")
    _table(
        doc,
        ["序号", "党组织", "自评", "群众评议", "上级考评", "综合得分", "等次", "处理结果", "阶段"],
        [
            [
                x["n"],
                x["name"],
                x["self"],
                x["mass"],
                x["superior"],
                x["combined"],
                x["rating"] + ("（否决）" if x["veto"] else ""),
                x["outcome"],
                x["stage"],
            ]
            for x in t["rows"]
        ],
    )


def _meetings(doc, report):
    """述职评议考核: each confirmed meeting in scope, its facts and its reporters' results."""
    if "meetings" not in report:
        return
    _heading(doc, meetings_heading(report))
    _para(doc, report["text"]["meetings"], indent=True)
    for n, m in enumerate(report["meetings"], 1):
        _para(doc, f"（{n}）{m['title']}")
        _para(doc, meeting_facts(m))
        _table(doc, MEETING_HEADER, meeting_rows(m))


def _signature(doc, report):
    _para(doc, "")
    for text in (
        f"{report['organisation']['name']}（盖章）",
        "书记（签字）：＿＿＿＿＿＿＿＿",
        "＿＿＿＿年＿＿月＿＿日",
    ):
        p = _para(doc, text, size=14, align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=10)
        p.paragraph_format.keep_with_next = True
    _para(doc, report["text"]["generated"], size=9)


def annual_report_docx(report: dict) -> bytes:
    doc = Document()
    _page_setup(doc)
    doc.core_properties.title = report["title"]
    doc.core_properties.author = report["organisation"]["name"]
    _head(doc, report)
    if report["single"]:
        _single(doc, report["single"], report["text"])
    else:
        _subtree(doc, report["subtree"], report["text"])
    _meetings(doc, report)
    _signature(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
