"""The annual written report (书面报告) of a subtree of 10,000 organisations (quick: 2,000): the content selector,
then the PDF, the Excel and the Word version, each against the floor of the same rows written raw in the same run.

* content: `annual_report` (every assessment of the subtree as plain values, counts, ranking) against one raw
  `values_list` of the same columns; target ≤ 3×.
* PDF: `annual_report_pdf` of that content (headings, paragraphs, the ranking and the full table cut into pieces
  with repeated headers, page numbers "第 N 页 共 M 页") against reportlab laying out one table of the same
  cells as plain strings (no Paragraph, no page numbers); target ≤ 3×.
* Excel: `annual_report_workbook` against openpyxl write-only writing the same cells; target ≤ 1.5×.
* Word: `annual_report_docx` against the same cells as the same WordprocessingML rows (9 pt 宋体 runs) parsed
  into one bare table and saved (no headings, header row, widths or footer); target ≤ 3×. python-docx's own
  row and cell objects, the obvious way, took 11 s for 2,000 rows: the table is written as XML text instead.
The values also say whether a synchronous download is fast enough: over EXCEL_BACKGROUND_ROWS organisations a
subtree report goes to the background export job."""

import io
from decimal import Decimal

from bench.excel import _analyse, _best_of
from bench.scene import closed_assessments, synthetic_cycle


def _setup(n: int):
    from flows.models import Organisation

    scene = synthetic_cycle(prefix="BG", n=n, label="报告基准", scope_code="BG-000001", good_cap_percent=Decimal(30))
    top = Organisation.objects.get(code="BG-000001")
    made = closed_assessments(scene.cycle, top.subtree().values_list("pk", flat=True), seed=11)
    _analyse()
    return top, scene.officer, scene.cycle, made


def run(*, quick: bool, emit):
    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls
    from openpyxl import Workbook
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import LongTable, SimpleDocTemplate

    from flows.models import Assessment
    from flows.models.organisations import subtree_q
    from flows.reports.annual import annual_report
    from flows.reports.annual_docx import BODY_FONT, CELL, annual_report_docx
    from flows.reports.annual_pdf import _font, annual_report_pdf
    from flows.reports.annual_xlsx import annual_report_workbook

    n = 2_000 if quick else 10_000
    top, officer, cycle, made = _setup(n)

    value, report = _best_of(2, lambda: annual_report(cycle=cycle, organisation=top, subtree=True, by=officer))
    assert report["subtree"]["total"] == made
    fields = ("organisation__name", "organisation__code", "organisation__sector", "self_score", "mass_score")
    fields += ("superior_score", "combined_score", "rating", "veto", "outcome", "state")
    qs = Assessment.objects.filter(subtree_q(top.path, prefix="organisation__"), cycle=cycle)
    floor, raw_rows = _best_of(2, lambda: list(qs.order_by("organisation__path").values_list(*fields)))
    out = [emit(f"annual_report_content_{made}_orgs", value, "s", floor, 3)]

    # the PDF's and Word's nine columns as text; the Excel table's twelve columns as values
    cells = [
        [str(i), name, *(f"{float(x):g}" for x in (a, b, c, d)), r, o, s]
        for i, (name, _code, _sector, a, b, c, d, r, _veto, o, s) in enumerate(raw_rows, 1)
    ]
    values = [
        [i, name, code, sector, *(float(x) for x in (a, b, c, d)), r, "是" if veto else "", o, s]
        for i, (name, code, sector, a, b, c, d, r, veto, o, s) in enumerate(raw_rows, 1)
    ]

    pdf_value, data = _best_of(1, lambda: annual_report_pdf(report))
    assert data.startswith(b"%PDF")

    def raw_pdf():
        _font()
        buf = io.BytesIO()
        from reportlab.platypus import TableStyle

        from flows.reports.printing import FONT

        table = LongTable(
            [["序号", "党组织", "自评", "群众", "上级", "综合", "等次", "结果", "阶段"], *cells], repeatRows=1
        )
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5)]))
        SimpleDocTemplate(buf, pagesize=A4).build([table])
        return buf.getvalue()

    pdf_floor, _data = _best_of(1, raw_pdf)
    out.append(emit(f"annual_report_pdf_{made}_orgs", pdf_value, "s", pdf_floor, 3))

    xlsx_value, _xlsx = _best_of(3, lambda: annual_report_workbook(report))

    def raw_xlsx():
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("各党组织考核结果")
        for row in values:
            ws.append(row)
        wb.save(io.BytesIO())

    xlsx_floor, _none = _best_of(3, raw_xlsx)
    out.append(emit(f"annual_report_excel_{made}_orgs", xlsx_value, "s", xlsx_floor, 1.5))

    docx_value, _docx = _best_of(1, lambda: annual_report_docx(report))

    def raw_docx():
        document = Document()
        body = "".join(
            "<w:tr>" + "".join(CELL.format(font=BODY_FONT, text=v) for v in row) + "</w:tr>" for row in cells
        )
        document.element.body.append(parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>"))
        document.save(io.BytesIO())

    docx_floor, _none = _best_of(1, raw_docx)
    out.append(emit(f"annual_report_word_{made}_orgs", docx_value, "s", docx_floor, 3))
    return out
