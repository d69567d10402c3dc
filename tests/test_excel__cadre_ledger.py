"""干部抓党建工作考核结果: the ledger an organisation department hands to its cadre section, per cycle and level. The
written file is read back: its rows and columns, printed as offices print (A4 landscape fitted to the width, the
title rows and header on every page, the pane frozen below the header); and a user gets the results of the
organisations they may act on only, nothing of the others."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from flows.excel import exports
from flows.excel.choices import zh_label
from flows.excel.ledgers import CADRE_HEADER
from flows.models import ExcelJob, JobState, PersonResult, Rating, Role, User
from tests import cycle_helpers as h
from tests import meeting_helpers as mh
from tests.meeting_helpers import confirmed_meeting

pytestmark = pytest.mark.django_db

SHEET = "干部考核结果"


def download(client, user, cycle, **params):
    client.force_login(user if isinstance(user, User) else User.objects.get(username=user))
    return client.get(reverse("excel_export_cadres", kwargs={"pk": cycle.pk}), params)


def sheet_of(data: bytes):
    return load_workbook(io.BytesIO(data))[SHEET]


def rows_of(ws) -> list[dict]:
    return [dict(zip(CADRE_HEADER, row, strict=True)) for row in ws.iter_rows(min_row=4, values_only=True)]


@pytest.fixture
def cycle(demo):
    """A county cycle whose 河塘镇 meeting is confirmed; 东坪村's own assessment had its result first, so its leader
    in charge has a result of the year too."""
    return confirmed_meeting(review_first=True).cycle


def test_the_cycles_office_gets_every_persons_result_printed_as_offices_print(client, cycle):
    response = download(client, h.county_officer(), cycle)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    ws = sheet_of(response.content)
    assert ws["A1"].value.startswith("2026年度干部抓党建工作考核结果") and "全部层级" in ws["A1"].value
    assert cycle.name in ws["A2"].value
    assert [c.value for c in ws[3]] == CADRE_HEADER
    rows = rows_of(ws)
    results = PersonResult.objects.filter(cycle=cycle)
    assert len(rows) == results.count() == cycle.meetings.get().reporters.count() + 1  # and the leader in charge
    assert [r["序号"] for r in rows] == list(range(1, len(rows) + 1))

    shuji = results.get(person=h.holder(h.VILLAGE, Role.SECRETARY))
    row = next(r for r in rows if r["姓名"] == shuji.person.real_name)
    assert row["职务"] == shuji.title and row["单位"] == shuji.organisation.name and row["层级"] == "基层"
    assert row["职责"] == "书记" and row["领导点评"] == "好"
    assert row["现场测评"] == float(shuji.appraisal_score) and row["综合得分"] == float(shuji.score)
    assert row["组织考核得分"] == float(shuji.organisation_score)
    assert row["等次"] == zh_label(Rating, shuji.rating) and row["等次"] in ("好", "较好", "一般", "差")
    assert row["依据"] == shuji.basis and row["确认日期"].date() == timezone.localtime(shuji.confirmed_at).date()
    deputy = next(r for r in rows if r["职责"] == "分管领导")
    assert deputy["姓名"] == h.holder(h.VILLAGE, Role.DEPUTY).real_name and deputy["现场测评"] is None
    assert deputy["单位"] == shuji.organisation.name  # right under the secretary of the same organisation
    assert rows.index(deputy) == rows.index(row) + 1

    # A4 landscape, fitted to one page wide; the title rows and header on every page; names in view
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.freeze_panes == "C4" and ws.print_title_rows == "$1:$3"


def test_one_level_at_a_time(client, cycle):
    officer = h.county_officer()
    grassroots = rows_of(sheet_of(download(client, officer, cycle, level="grassroots").content))
    assert len(grassroots) == PersonResult.objects.filter(cycle=cycle).count()
    township = sheet_of(download(client, officer, cycle, level="township").content)
    assert "乡镇" in township["A1"].value and rows_of(township) == []  # nobody of that level in this cycle
    assert download(client, officer, cycle, level="planet").status_code == 404


def test_a_user_gets_only_the_organisations_they_may_act_on(client, cycle):
    every = PersonResult.objects.filter(cycle=cycle)
    # the township's own office held the meeting: the township's villages, every one
    _office, township_officer, _clerk = mh.township_office()
    assert len(rows_of(sheet_of(download(client, township_officer, cycle).content))) == every.count()
    # 西岭村's secretary leads 西岭村 only: her own result, nothing of 东坪村 or the other villages
    zhaofang = h.holder("JC-QS-HT-02", Role.SECRETARY)
    rows = rows_of(sheet_of(download(client, zhaofang, cycle).content))
    assert [r["姓名"] for r in rows] == [zhaofang.real_name]
    assert {r["单位"] for r in rows} == {every.get(person=zhaofang).organisation.name}
    assert not any(h.holder(h.VILLAGE, Role.SECRETARY).real_name == r["姓名"] for r in rows)
    # no act scope over any of them: nothing at all
    for outsider in (h.holder("JC-BH", Role.SECRETARY), h.holder("JC-QS-HT-02", Role.PARTY_MEMBER)):
        assert download(client, outsider, cycle).status_code == 404, outsider
        assert exports.rows_of("cadre_ledger", outsider, {"cycle": cycle.pk}) is None


def test_a_big_ledger_is_written_by_the_background_job_which_asks_the_policy_again(client, cycle, settings):
    settings.EXCEL_BACKGROUND_ROWS = 2
    officer = h.county_officer()
    response = download(client, officer, cycle)
    assert response.status_code == 302
    job = ExcelJob.objects.latest("pk")
    assert job.kind == "cadre_ledger" and job.state == JobState.DONE
    assert job.output_name == "干部抓党建工作考核结果.xlsx"
    data = b"".join(client.get(reverse("excel_job_download", kwargs={"pk": job.pk})).streaming_content)
    assert len(rows_of(sheet_of(data))) == PersonResult.objects.filter(cycle=cycle).count()
    client.force_login(h.holder("JC-QS-HT-02", Role.SECRETARY))
    assert client.get(reverse("excel_job_download", kwargs={"pk": job.pk})).status_code == 404


def test_the_cycle_page_links_the_ledger(client, cycle):
    client.force_login(h.county_officer())
    body = client.get(reverse("cycle_detail", kwargs={"pk": cycle.pk})).content.decode()
    url = reverse("excel_export_cadres", kwargs={"pk": cycle.pk})
    assert f'href="{url}"' in body and f'action="{url}"' in body and 'name="level"' in body


def test_a_formula_in_a_name_is_written_as_text(client, cycle):
    person = h.holder(h.VILLAGE, Role.SECRETARY)
    PersonResult.objects.filter(cycle=cycle, person=person).update(title='=HYPERLINK("http://x")')
    ws = sheet_of(download(client, h.county_officer(), cycle).content)
    cells = [c for row in ws.iter_rows(min_row=4) for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and not c.value.startswith("=") for c in cells)
