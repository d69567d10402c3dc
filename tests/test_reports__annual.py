"""The annual written report (书面报告): what it says for one organisation and for a subtree, in a fixed number of
queries, as a printable PDF and as Excel, and only for the people who may have it."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.models import Organisation, Outcome, RectificationItem, ReviewCycle, Role, User
from flows.reports.annual import annual_report
from flows.reports.annual_pdf import annual_report_pdf
from flows.reports.annual_xlsx import annual_report_workbook
from flows.services import assessments as svc
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db

GOOD, AVERAGE, POOR = "JC-QS-HT-01", "JC-QS-HT-02", "JC-QS-SQ-02"


@pytest.fixture
def year(demo):
    """A county cycle over its seven villages: one commended, one rectifying (one item verified, one overdue), one
    held to account after a veto; the other four still at their self-assessment."""
    cycle = h.open_cycle()
    officer = h.county_officer()
    good = h.through_to_review(cycle, GOOD)
    h.review(
        good,
        fraction=Decimal("0.95"),
        outcome=Outcome.COMMENDATION,
        commendation={"kind": "advanced_organisation", "nominee": None, "reason": "成绩突出"},
    )
    svc.commendation_decide(assessment=good, by=officer, approve=True)
    average = h.through_to_review(cycle, AVERAGE)
    deputy, secretary = h.holder(AVERAGE, Role.DEPUTY), h.holder(AVERAGE, Role.SECRETARY)
    reviewer = h.review(
        average,
        fraction=Decimal("0.65"),
        outcome=Outcome.RECTIFICATION,
        rectification_items=[
            {"problem": "三会一课记录不全", "requirement": "补齐台账", "owner": deputy, "due": h.next_week()},
            {"problem": "党员活动室未挂牌", "requirement": "挂牌", "owner": secretary, "due": h.next_week()},
        ],
    )
    first, second = RectificationItem.objects.filter(assessment=average).order_by("pk")
    svc.rectification_report(item=first, by=deputy, report="已补齐")
    svc.rectification_verify(item=first, by=reviewer, verified=True)
    RectificationItem.objects.filter(pk=second.pk).update(due=datetime.date.today() - datetime.timedelta(days=3))
    poor = h.through_to_review(cycle, POOR)
    h.review(poor, fraction=Decimal("0.5"), veto=True, outcome=Outcome.ACCOUNTABILITY)
    svc.accountability_propose(
        assessment=poor,
        by=officer,
        kind="admonishing_talk",
        persons=[h.holder(POOR, Role.SECRETARY)],
        reason="一票否决事项",
    )
    return cycle


def org(code):
    return Organisation.objects.get(code=code)


def test_one_organisation_reads_as_its_assessment_page_does(year):
    a = h.assessment_of(year, AVERAGE)
    report = annual_report(cycle=year, organisation=org(AVERAGE), by=h.county_officer())
    s = report["single"]
    assert report["title"] == f"{org(AVERAGE).name} 2026年度基层党建工作责任制落实情况书面报告"
    assert report["cycle"]["period"] == "2026年1月1日至2026年12月31日"
    assert dict(s["scores"]) == {
        "自评得分": float(a.self_score),
        "群众评议得分": float(a.mass_score),
        "上级考评得分": float(a.superior_score),
        "综合得分": float(a.combined_score),
    }
    assert (s["rating"], s["outcome"], s["stage"], s["veto"]) == ("一般", "批评并限期整改", "整改", False)
    points = {
        sc.indicator.code: float(sc.superior_points)
        for sc in a.scores.select_related("indicator")
        if not sc.indicator.veto
    }
    assert {i["code"]: i["superior"] for i in s["indicators"] if not i["veto"]} == points
    assert len(s["indicators"]) == a.template.indicators.count()
    rect = s["rectification"]
    assert (rect["total"], rect["verified"], rect["open"], rect["overdue"]) == (2, 1, 1, 1)
    assert [(i["problem"], i["state"], i["overdue"]) for i in rect["items"]] == [
        ("党员活动室未挂牌", "整改中", True),
        ("三会一课记录不全", "验收通过", False),
    ]
    assert report["organisation"]["secretary"] == str(h.holder(AVERAGE, Role.SECRETARY))
    assert report["generated_by"] == str(h.county_officer())


def test_commendations_and_accountability_of_one_organisation(year):
    good = annual_report(cycle=year, organisation=org(GOOD))["single"]
    assert good["rating"] == "好"
    assert [(c["kind"], c["decision"]) for c in good["commendations"]] == [("先进基层党组织", "已批准")]
    poor = annual_report(cycle=year, organisation=org(POOR))["single"]
    assert (poor["rating"], poor["veto"]) == ("差", True)
    assert [(m["kind"], m["persons"], m["decision"]) for m in poor["accountability"]] == [
        ("诫勉谈话", str(h.holder(POOR, Role.SECRETARY)), "待审批")
    ]


def test_the_county_subtree_counts_what_the_cycle_page_shows(year):
    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    t = report["subtree"]
    assessed = year.assessments.count()
    assert t["total"] == assessed == 8
    stages = dict(t["stages"])
    assert (stages["自评"], stages["整改"], stages["问责"], stages["已办结"]) == (5, 1, 1, 1)
    assert {label: n for label, n, _share in t["ratings"]} == {"好": 1, "较好": 0, "一般": 1, "差": 1}
    assert t["rated"] == 3 and t["vetoes"] == 1
    assert t["rectification"] == {"total": 2, "open": 1, "reported": 0, "verified": 1, "overdue": 1}
    assert (t["accountability"]["decided"], t["accountability"]["proposed"]) == (1, 1)
    assert (t["commendations"]["proposed"], t["commendations"]["approved"]) == (1, 1)
    assert [r["name"] for r in t["ranking"]] == [org(GOOD).name, org(AVERAGE).name, org(POOR).name]
    assert [r["rank"] for r in t["ranking"]] == [1, 2, 3]
    assert [r["code"] for r in t["rows"]] == list(
        year.assessments.order_by("organisation__path").values_list("organisation__code", flat=True)
    )


def test_the_good_cap_is_checked(year):
    year.good_cap_percent = Decimal(30)
    year.save()
    cap = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True)["subtree"]["good_cap"]
    assert (cap["good"], cap["rated"], cap["share"], cap["exceeds"]) == (1, 3, 33.3, True)
    year.good_cap_percent = Decimal(40)
    year.save()
    assert not annual_report(cycle=year, organisation=org("JC-QS"), subtree=True)["subtree"]["good_cap"]["exceeds"]


def test_a_subtree_report_takes_the_same_queries_whatever_its_size(year):
    counts = []
    by = h.county_officer()
    for code in ("JC-QS-HT", "JC-QS"):  # 4 and 8 assessed villages
        cycle, root = ReviewCycle.objects.get(pk=year.pk), org(code)  # nothing cached from the previous round
        with CaptureQueriesContext(connection) as queries:
            report = annual_report(cycle=cycle, organisation=root, subtree=True, by=by)
        counts.append((report["subtree"]["total"], len(queries)))
    assert counts[0][0] < counts[1][0]
    assert counts[0][1] == counts[1][1]


def test_nothing_to_report_where_the_cycle_assesses_nobody(year):
    assert annual_report(cycle=year, organisation=org("JC-QS")) is None  # the county committee itself
    assert annual_report(cycle=year, organisation=org("JC-BH"), subtree=True) is None


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?!s)", data))


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def test_the_pdf_is_a_printable_document(year, tmp_path):
    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    data = annual_report_pdf(report)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pages = _pdf_pages(data)
    assert pages >= 1
    assert re.search(rb"/Count %d\b" % pages, data)  # the page tree agrees
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data  # A4
    text = re.sub(r"\s+", "", _pdf_text(data, tmp_path))  # the layout's line breaks and spaces aside
    assert "中共青山县委员会2026年度基层党建工作责任制落实情况书面报告" in text
    assert f"第1页共{pages}页" in text and f"第{pages}页共{pages}页" in text
    assert "书记（签字）" in text and "盖章" in text
    assert org(GOOD).name in text


def test_a_long_table_repeats_its_header_on_every_page(year, tmp_path):
    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True)
    many = [dict(report["subtree"]["rows"][0], n=n, name=f"第{n}测试党支部") for n in range(1, 301)]
    report["subtree"]["rows"] = many
    data = annual_report_pdf(report)
    pages = _pdf_pages(data)
    assert pages >= 6
    text = _pdf_text(data, tmp_path)
    per_page = text.split("\f")
    table_pages = [p for p in per_page if "测试党支部" in p]
    assert len(table_pages) >= 5
    assert all("综合得分" in p and "群众评议" in p for p in table_pages)  # the header row on each


def test_the_excel_holds_the_same_content(year):
    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    wb = openpyxl.load_workbook(io.BytesIO(annual_report_workbook(report)))
    assert wb.sheetnames == ["书面报告", "综合得分排名", "各党组织考核结果"]
    main = wb["书面报告"]
    assert main["A1"].value == report["title"]
    facts = {r[0]: r[1] for r in main.iter_rows(min_row=3, values_only=True) if r[0]}
    assert facts["参加考核的党组织"] == 8 and facts["已评定等次"] == 3
    assert facts["逾期未完成"] == 1 and facts["已验收"] == 1
    table = wb["各党组织考核结果"]
    assert [c.value for c in table[3]][:4] == ["序号", "党组织", "组织编码", "领域"]
    rows = {r[2]: r for r in table.iter_rows(min_row=4, values_only=True)}
    a = h.assessment_of(year, AVERAGE)
    assert rows[AVERAGE][7] == float(a.combined_score) and rows[AVERAGE][8] == "一般"
    assert len(rows) == 8
    assert table.print_title_rows == "$1:$3" and int(table.page_setup.paperSize) == 9


def test_the_excel_of_one_organisation(year):
    report = annual_report(cycle=year, organisation=org(AVERAGE))
    wb = openpyxl.load_workbook(io.BytesIO(annual_report_workbook(report)))
    assert wb.sheetnames == ["书面报告", "指标得分", "整改清单"]
    items = list(wb["整改清单"].iter_rows(min_row=4, values_only=True))
    assert [(r[1], r[5], r[6]) for r in items] == [
        ("党员活动室未挂牌", "整改中", "是"),
        ("三会一课记录不全", "验收通过", None),
    ]
    facts = {r[0]: r[1] for r in wb["书面报告"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert facts["等次"] == "一般" and facts["综合得分"] == float(h.assessment_of(year, AVERAGE).combined_score)


def test_a_formula_in_a_name_is_written_as_text(year):
    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True)
    report["subtree"]["rows"][0]["name"] = '=HYPERLINK("http://x")'
    wb = openpyxl.load_workbook(io.BytesIO(annual_report_workbook(report)))
    cell = wb["各党组织考核结果"]["B4"]
    assert cell.data_type == "s" and not str(cell.value).startswith("=")


# ---- who may download --------------------------------------------------------------------------------


def _get(client, user, name, cycle, **params):
    client.force_login(User.objects.get(username=user) if isinstance(user, str) else user)
    return client.get(reverse(name, kwargs={"pk": cycle.pk}), params)


@pytest.mark.parametrize(
    "who,code,scope,allowed",
    [
        ("own secretary", AVERAGE, "organisation", True),
        ("own deputy", AVERAGE, "organisation", True),
        ("reviewer", AVERAGE, "organisation", True),
        ("county officer", "JC-QS", "subtree", True),
        ("zuzhibu", "JC-QS", "subtree", True),
        ("admin", AVERAGE, "organisation", True),
        ("own secretary", "JC-QS-HT-01", "organisation", False),  # a neighbouring village
        ("party member", AVERAGE, "organisation", False),
        ("reviewer", "JC-QS", "subtree", False),  # the township's secretary reviews the village, not the county
        ("xianshuji_other", "JC-QS", "subtree", False),
        ("ducha", AVERAGE, "organisation", False),  # inspectors see, they do not report
        ("own deputy", "JC-QS-HT", "subtree", False),  # a village's leader does not oversee the township
    ],
)
def test_who_may_download_a_report(client, year, who, code, scope, allowed):
    users = {
        "own secretary": h.holder(AVERAGE, Role.SECRETARY),
        "own deputy": h.holder(AVERAGE, Role.DEPUTY),
        "reviewer": h.reviewer_of(h.assessment_of(year, AVERAGE)),
        "county officer": h.county_officer(),
        "party member": h.holder(AVERAGE, Role.PARTY_MEMBER),
        "xianshuji_other": h.holder("JC-BH", Role.SECRETARY),
    }
    user = users.get(who, who)
    for name in ("annual_report", "annual_report_pdf", "annual_report_xlsx", "annual_report_docx"):
        response = _get(client, user, name, year, org=code, scope=scope)
        assert response.status_code == (200 if allowed else 404), (who, name)


def test_the_downloads_are_named_and_typed(client, year):
    response = _get(client, "zuzhibu", "annual_report_pdf", year, org="JC-QS", scope="subtree")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    response = _get(client, "zuzhibu", "annual_report_xlsx", year, org="JC-QS", scope="subtree")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(io.BytesIO(response.content))["书面报告"]["A1"].value.startswith("中共青山县委员会")


def test_the_report_page_offers_organisation_subtree_and_format(client, year):
    body = _get(client, h.county_officer(), "annual_report", year).content.decode()
    assert "中共青山县委员会 2026年度基层党建工作责任制落实情况书面报告" in body
    assert "下载PDF" in body and "下载Excel" in body and "下载Word" in body and "本组织及所属党组织" in body
    listing = client.get(reverse("annual_report_list")).content.decode()
    assert "书面报告" in listing and "中共青山县委员会 2026年度" in listing
    cycle_page = client.get(reverse("cycle_detail", kwargs={"pk": year.pk})).content.decode()
    assert reverse("annual_report", kwargs={"pk": year.pk}) in cycle_page


def test_a_village_secretary_finds_their_own_report_only(client, year):
    client.force_login(h.holder(AVERAGE, Role.SECRETARY))
    listing = client.get(reverse("annual_report_list")).content.decode()
    assert org(AVERAGE).name in listing and org(GOOD).name not in listing


def test_a_big_subtree_is_rendered_by_the_background_job(client, year, settings, tmp_path):
    from flows.models import ExcelJob, JobState

    settings.EXCEL_BACKGROUND_ROWS = 3  # the county's 8 villages are "big" here
    page = _get(client, h.county_officer(), "annual_report", year, org="JC-QS", scope="subtree").content.decode()
    assert "参加考核的党组织共 8 个：文件将在后台生成" in page and "report-choice" in page
    response = _get(client, h.county_officer(), "annual_report_pdf", year, org="JC-QS", scope="subtree")
    assert response.status_code == 302
    job = ExcelJob.objects.latest("pk")
    assert response["Location"] == reverse("excel_job", kwargs={"pk": job.pk})
    assert job.state == JobState.DONE and job.output_name.endswith("（含所属党组织）.pdf")
    download = client.get(reverse("excel_job_download", kwargs={"pk": job.pk}))
    data = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf" and data.startswith(b"%PDF-")
    assert "中共青山县委员会2026年度" in re.sub(r"\s+", "", _pdf_text(data, tmp_path))
    # one organisation's report is always small: straight to the file
    single = _get(client, h.county_officer(), "annual_report_xlsx", year, org=AVERAGE)
    assert single.status_code == 200 and single["Content-Type"].startswith("application/vnd.openxmlformats")
    # the job asks the policy again: nobody else may have the file
    other = _get(client, "xianshuji", "excel_job_download", job)
    assert other.status_code == 404


def test_the_word_version_holds_the_same_report(year):
    import docx
    from docx.oxml.ns import qn

    from flows.reports.annual_docx import annual_report_docx

    report = annual_report(cycle=year, organisation=org("JC-QS"), subtree=True, by=h.county_officer())
    document = docx.Document(io.BytesIO(annual_report_docx(report)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "中共青山县委员会\n2026年度基层党建工作责任制落实情况书面报告" in text
    assert report["text"]["good_cap"] in text and report["text"]["rectification"] in text
    assert "书记（签字）" in text and "中共青山县委员会（盖章）" in text
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "共" in footer
    results = document.tables[-1]
    assert [c.text for c in results.rows[0].cells][:2] == ["序号", "党组织"]
    assert results.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert len(results.rows) == 1 + 8
    average = next(r for r in results.rows if r.cells[1].text == org(AVERAGE).name)
    assert average.cells[5].text == f"{float(h.assessment_of(year, AVERAGE).combined_score):g}"


def test_the_organisation_page_link_offers_the_reports_the_user_may_have(year):
    """templates/flows/reports/_link.html, included in the organisation page with that page's context."""
    from django.template.loader import render_to_string

    from flows import selectors

    def link(user, code):
        return render_to_string(
            "flows/reports/_link.html", selectors.organisation_page(user, org(code)) | {"user": user}
        )

    url = reverse("annual_report", kwargs={"pk": year.pk})
    secretary = h.holder(AVERAGE, Role.SECRETARY)
    own = link(secretary, AVERAGE)
    assert f"{url}?org={AVERAGE}" in own and "scope=subtree" not in own  # a village leads nobody
    township = link(h.holder("JC-QS-HT", Role.SECRETARY), "JC-QS-HT")
    assert "scope=subtree" in township and "本组织及所属党组织" in township  # it leads villages
    assert link(h.holder(AVERAGE, Role.PARTY_MEMBER), AVERAGE).strip() == ""  # a party member: no link at all
    officer = link(h.county_officer(), AVERAGE)
    assert f"{url}?org={AVERAGE}" in officer


def test_the_organisation_page_shows_the_report_links(client, year):
    client.force_login(h.county_officer())
    body = client.get(reverse("organisation_detail", kwargs={"code": AVERAGE})).content.decode()
    assert "书面报告" in body and f"{reverse('annual_report', kwargs={'pk': year.pk})}?org={AVERAGE}" in body
