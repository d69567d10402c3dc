"""Every Excel export prints the way offices print it: A4, fitted to the page width, the header repeated on every
page, the pane frozen below the header and the title rows tall enough for their font. The written file is read
back (openpyxl, and the sheet XML where openpyxl would hide what reached the file): in write-only mode anything
set after the first row never reaches it."""

import hashlib
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from flows.excel import cells, exports, spotchecks, templates, writing
from flows.models import IndicatorTemplate, Outcome, RectificationItem, Role, Satisfaction
from flows.services import ballots as ballot_svc
from tests import cycle_helpers as h
from tests import spotcheck_helpers as sh
from tests.ballot_helpers import mass_campaign

pytestmark = pytest.mark.django_db

LANDSCAPE, PORTRAIT = "landscape", "portrait"


def _reviewed_cycle():
    """A county cycle: one village reviewed with two rectification items, the others at their self-assessment."""
    cycle = h.open_cycle()
    a = h.through_to_review(cycle, h.VILLAGE)
    deputy, secretary = h.holder(h.VILLAGE, Role.DEPUTY), h.holder(h.VILLAGE, Role.SECRETARY)
    h.review(
        a,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {
                "problem": "三会一课记录不全，党员大会未按季度召开，支委会会议记录缺少参会人员签字，"
                "组织生活会查摆的问题未建立整改台账",
                "requirement": "补齐台账",
                "owner": deputy,
                "due": h.next_week(),
            },
            {"problem": "党员活动室未挂牌", "requirement": "挂牌", "owner": secretary, "due": h.next_week()},
        ],
    )
    return cycle


def results_ledger():
    cycle = _reviewed_cycle()
    return exports.build("results_ledger", h.county_officer(), {"cycle": cycle.pk})


def cadre_ledger():
    from tests.meeting_helpers import confirmed_meeting

    meeting = confirmed_meeting()
    return exports.build("cadre_ledger", h.county_officer(), {"cycle": meeting.cycle_id})


def annual_report_subtree():
    cycle = _reviewed_cycle()
    return exports.build("annual_report_xlsx", h.county_officer(), {"cycle": cycle.pk, "org": "JC-QS", "subtree": "1"})


def annual_report_single():
    cycle = _reviewed_cycle()
    return exports.build("annual_report_xlsx", h.county_officer(), {"cycle": cycle.pk, "org": h.VILLAGE})


def rectification_ledger():
    cycle = _reviewed_cycle()
    assert RectificationItem.objects.filter(assessment__cycle=cycle).count() == 2
    return exports.build("rectification_ledger", h.county_officer(), {"cycle": cycle.pk})


def ballot_tally():
    c, _a, officer = mass_campaign()
    _n, codes = ballot_svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    for code in codes:
        ballot_svc.ballot_cast(
            campaign=c, code=code, marks={(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()}
        )
    ballot_svc.campaign_close(by=officer, campaign=c)
    return exports.build("ballot_tally", officer, {"campaign": c.pk})


def ballot_tally_before_the_close():
    c, _a, officer = mass_campaign()
    return exports.build("ballot_tally", officer, {"campaign": c.pk})


def score_sheet():
    cycle = h.open_cycle()
    return templates.scores_template(cycle.assessments.filter(organisation__code=h.VILLAGE))


def roster():
    return exports.build("roster", h.county_officer(), {})


def indicators():
    h.open_cycle()
    template = IndicatorTemplate.objects.filter(indicators__isnull=False).distinct().order_by("pk").first()
    return exports.build("indicators", h.county_officer(), {"template": template.pk})


def token_list():
    codes = [f"QX{n:06d}" for n in range(1, 41)]
    return cells.token_list(
        title="2026年度青山县红塔村党组织群众满意度测评",
        group="党员",
        batch=1,
        codes=codes,
        ballot_url="https://zerenzhi.example.cn/b/8f3a2c1d9e7b4a60",
    )


def _spot_check(name):
    plan = sh.drawn_plan(rate_percent=100)
    sh.record(plan.inspections.order_by("pk").first())
    client = Client()
    client.force_login(sh.user("zuzhibu"))
    response = client.get(reverse(name, args=[plan.pk]))
    assert response.status_code == 200
    return response.content


def spot_check_certificate():
    return _spot_check("spotcheck_certificate_xlsx")


def spot_check_results():
    return _spot_check("spotcheck_results_xlsx")


INSTRUCTIONS = {"说明": (PORTRAIT, None, None)}

# export: {sheet: (orientation, frozen pane's top-left cell, print title rows)}
EXPECTED = {
    results_ledger: {"考核结果": (LANDSCAPE, "C5", "$1:$4")},
    cadre_ledger: {"干部考核结果": (LANDSCAPE, "C4", "$1:$3")},
    annual_report_subtree: {
        "书面报告": (PORTRAIT, None, None),
        "综合得分排名": (PORTRAIT, "A4", "$1:$3"),
        "各党组织考核结果": (LANDSCAPE, "C4", "$1:$3"),
    },
    annual_report_single: {
        "书面报告": (PORTRAIT, None, None),
        "指标得分": (LANDSCAPE, "A4", "$1:$3"),
        "整改清单": (LANDSCAPE, "A4", "$1:$3"),
    },
    rectification_ledger: INSTRUCTIONS | {"整改": (LANDSCAPE, "C4", "$1:$3")},
    ballot_tally: {"计票结果": (LANDSCAPE, "C4", "$1:$3")},
    ballot_tally_before_the_close: {"计票结果": (LANDSCAPE, None, None)},
    score_sheet: INSTRUCTIONS | {"评分": (LANDSCAPE, "C2", "$1:$1")},
    roster: INSTRUCTIONS | {"组织": (LANDSCAPE, "C2", "$1:$1"), "任职": (LANDSCAPE, "A2", "$1:$1")},
    indicators: INSTRUCTIONS | {"指标": (LANDSCAPE, "A2", "$1:$1")},
    token_list: {"投票码": (PORTRAIT, "A4", "$1:$3")},
    spot_check_certificate: {
        "抽签结果": (PORTRAIT, None, None),
        "分层": (PORTRAIT, "A2", "$1:$1"),
        "冻结输入": (PORTRAIT, None, None),
    },
    spot_check_results: {"抽查结果": (LANDSCAPE, "C4", "$1:$3")},
}


def _sheet_xml(data: bytes) -> dict:
    """{sheet name: the sheet's XML as written}, to see what reached the file."""
    z = zipfile.ZipFile(io.BytesIO(data))
    book = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets |= {k: v for v, k in re.findall(r'<Relationship[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)}
    sheets = re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"', book)
    return {name: z.read("xl/" + targets[rid].removeprefix("/xl/")).decode() for name, rid in sheets}


def _title_font_sizes(ws, last_row):
    """{row: largest font size in it} of the rows above the table."""
    sizes = {}
    for row in ws.iter_rows(min_row=1, max_row=last_row):
        for c in row:
            if c.value is not None and c.font and c.font.sz:
                sizes[c.row] = max(sizes.get(c.row, 0), c.font.sz)
    return sizes


@pytest.mark.parametrize("build", list(EXPECTED), ids=[f.__name__ for f in EXPECTED])
def test_every_export_prints_fitted_to_the_width_with_its_header_and_frozen_pane(demo, build):
    data = build()
    wb = load_workbook(io.BytesIO(data))
    xml = _sheet_xml(data)
    expected = EXPECTED[build]
    assert set(expected) <= set(wb.sheetnames)
    for name, (orientation, pane, titles) in expected.items():
        ws = wb[name]
        where = f"{build.__name__}/{name}"
        # fit to the page width, as many pages down as it takes: in the file, not only in openpyxl's memory
        assert re.search(r'<pageSetUpPr [^>]*fitToPage="1"', xml[name]), where
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, where
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == orientation, where
        assert ws.print_options.horizontalCentered, where
        # the pane frozen right below the header (and beside the names where the names matter)
        if pane:
            assert ws.freeze_panes == pane, where
            assert re.search(rf'<pane [^>]*topLeftCell="{pane}"[^>]*state="frozen"', xml[name]), where
        else:
            assert ws.freeze_panes is None, where
        assert ws.print_title_rows == titles, where
        # the title rows hold their font: at least one and a half times its size, in points
        header_end = int(titles.split(":")[1].lstrip("$")) if titles else 2
        for row, size in _title_font_sizes(ws, header_end).items():
            if size > 11:
                height = ws.row_dimensions[row].height
                assert height is not None and height >= size * 1.5, f"{where} row {row}: {height} for {size}pt"
        # every column in use has a width of its own (no 8.43-character default cutting the text)
        used = {c.column_letter for row in ws.iter_rows() for c in row if c.value is not None}
        assert all(ws.column_dimensions[col].width for col in used), where


def test_page_setup_after_the_first_row_is_refused():
    """Write-only sheets write the sheet properties and panes with the first row: set later, they are lost."""
    wb = writing.new_workbook()
    ws = writing.printed_sheet(wb, "表", columns=[10, 20], header_rows=1)
    writing.header_row(ws, ["序号", "名称"])
    with pytest.raises(RuntimeError):
        writing.print_setup(ws, header_rows=1)
    with pytest.raises(RuntimeError):
        writing.title_rows(ws, "标题", "副标题", 2)


def test_the_frozen_draw_input_prints_in_lines_that_join_to_the_hashed_json(demo):
    """The certificate's frozen input is cut into printable lines; joined, they hash to the recorded snapshot."""
    plan = sh.drawn_plan(rate_percent=100)
    client = Client()
    client.force_login(sh.user("zuzhibu"))
    ws = load_workbook(io.BytesIO(client.get(reverse("spotcheck_certificate_xlsx", args=[plan.pk])).content))[
        "冻结输入"
    ]
    lines = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(lines) > 1 and all(writing.text_width(line) <= spotchecks.JSON_LINE for line in lines)
    assert hashlib.sha256("".join(lines).encode()).hexdigest() == plan.snapshot_hash


def test_no_printed_line_of_the_frozen_input_starts_like_a_formula():
    """A piece starting with "-" (a code such as JC-QS-…) would get a quote in front of it in the sheet, and the
    printed lines would no longer join to the hashed input: such a break moves back."""
    from flows.excel.cells import safe

    text = '{"code":"' + "A" * (spotchecks.JSON_LINE - 9) + '-QS-HT-01","path":"0001"}'
    lines = list(spotchecks._json_lines(text))
    assert "".join(lines) == text and len(lines) == 2
    assert all(safe(line) == line for line in lines)
    assert all(writing.text_width(line) <= spotchecks.JSON_LINE for line in lines)
