"""Exports: the ballot tally as the office prints it (small groups hidden, nothing before the close), and no
exported text can be taken for a formula."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from flows.excel import ledgers, templates
from flows.excel.cells import FORMULA_STARTS
from flows.models import Organisation, Satisfaction
from flows.services import ballots as svc
from flows.services.organisations import organisation_update
from tests import cycle_helpers as h
from tests.ballot_helpers import mass_campaign

pytestmark = pytest.mark.django_db


def cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_ballot_tally_after_the_close_and_nothing_before(client, demo):
    c, _a, officer = mass_campaign()
    _n, codes = svc.tokens_issue(by=officer, campaign=c, count=6, group="党员")
    for code in codes:
        svc.ballot_cast(campaign=c, code=code, marks={(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()})
    client.force_login(officer)
    url = reverse("excel_export_tally", kwargs={"pk": c.pk})
    before = load_workbook(io.BytesIO(client.get(url).content))["计票结果"]
    assert "尚未结束" in before["A2"].value and before.max_row == 2  # no running count
    svc.campaign_close(by=officer, campaign=c)
    ws = load_workbook(io.BytesIO(client.get(url).content))["计票结果"]
    assert ws["A1"].value.endswith("计票结果")
    header = [ws.cell(3, i).value for i in range(1, ws.max_column + 1)]
    assert header[:4] == ["序号", "测评对象", "有效票数", "得分"] and "满意" in header
    assert ws.cell(4, 3).value == 6 and ws.cell(4, header.index("满意") + 1).value == 6
    assert ws.print_title_rows == "$1:$3"


def test_a_group_below_the_threshold_stays_hidden(demo):
    c, _a, officer = mass_campaign(k=5)
    _n, few = svc.tokens_issue(by=officer, campaign=c, count=2, group="群众")
    for code in few:
        svc.ballot_cast(campaign=c, code=code, marks={(s.pk, ""): Satisfaction.SATISFIED for s in c.subjects.all()})
    svc.campaign_close(by=officer, campaign=c)
    c.refresh_from_db()
    ws = load_workbook(io.BytesIO(ledgers.ballot_tally(c, svc.tally(c))))["计票结果"]
    values = [ws.cell(4, i).value for i in range(3, ws.max_column + 1)]
    assert set(values) == {"—"}  # two ballots: neither the count nor the score is shown


def test_no_exported_text_starts_a_formula(demo):
    officer = h.county_officer()
    org = Organisation.objects.get(code="JC-QS-HT-03")
    organisation_update(by=officer, organisation=org, name='=HYPERLINK("http://evil","点击")', short_name="+1")
    cycle = h.open_cycle()
    exported = [
        ledgers.results_ledger(cycle),
        templates.organisations_template(Organisation.objects.filter(code__startswith="JC-QS")),
        templates.scores_template(cycle.assessments.all()),
    ]
    for data in exported:
        for cell in cells(data):
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_STARTS), cell.value
    assert any(c.value == '\'=HYPERLINK("http://evil","点击")' for c in cells(exported[0]))
