"""Spot checks on screen: the office plans, freezes and draws; inspectors record, sign; the office decides."""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from flows.models import FindingEvidence, InspectionState, OversightOffice, PlanState, Role, SpotCheckPlan
from flows.selectors import task_url
from tests import cycle_helpers as ch
from tests import spotcheck_helpers as h

pytestmark = pytest.mark.django_db


def open_task(process):
    return Task.objects.get(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED])


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def test_the_office_plans_freezes_and_draws_on_screen(client, demo):
    client.force_login(h.user("zuzhibu"))
    page = client.get(reverse("spotcheck_create"))
    assert "新建抽查方案" in page.content.decode() and "孙志刚" in page.content.decode()
    data = {
        "office": OversightOffice.objects.get(code="JC-ZZB").pk,
        "name": "2026年第四季度村党组织抽查",
        "scope_code": "JC-QS",
        "sectors": ["village"],
        "levels": ["grassroots"],
        "rate_percent": "50",
        "minimum_per_stratum": "1",
        "inspectors_per_target": "2",
        "sizes_text": "",
        "pool": [h.user(n).pk for n in h.INSPECTORS],
        "due": (datetime.date.today() + datetime.timedelta(days=20)).isoformat(),
    }
    bad = client.post(reverse("spotcheck_create"), data | {"sizes_text": "村=很多", "rate_percent": "150"})
    assert bad.status_code == 400
    assert "分层=数量" in bad.content.decode()
    assert not SpotCheckPlan.objects.filter(name=data["name"]).exists()

    response = client.post(reverse("spotcheck_create"), data)
    plan = SpotCheckPlan.objects.get(name=data["name"])
    assert response.status_code == 302 and response["Location"] == reverse("spotcheck_detail", args=[plan.pk])
    detail = client.get(reverse("spotcheck_detail", args=[plan.pk])).content.decode()
    assert "农村 / 基层" in detail and ">7<" in detail and ">4<" in detail

    client.post(reverse("spotcheck_freeze", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.state == PlanState.FROZEN
    detail = client.get(reverse("spotcheck_detail", args=[plan.pk])).content.decode()
    assert plan.seed_commitment in detail and plan.seed not in detail  # committed, not revealed

    witnessed = {"numbers": "骰子 3 5 2 6 1", "witnesses": "王建华\n李秀英"}
    one_witness = client.post(reverse("spotcheck_draw", args=[plan.pk]), witnessed | {"witnesses": "王建华"})
    assert one_witness.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.FROZEN  # one witness is not enough: nothing is drawn
    client.post(reverse("spotcheck_draw", args=[plan.pk]), witnessed)
    again = client.post(reverse("spotcheck_draw", args=[plan.pk]), witnessed | {"numbers": "9 9 9 9 9"}, follow=True)
    assert "已抽签" in messages_of(again)  # a double click is told the state, and nothing is drawn twice
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAWN and plan.witnessed_numbers == "3,5,2,6,1"
    assert plan.witnesses == ["王建华", "李秀英"] and not plan.public_entropy
    assert plan.inspections.count() == 4
    detail = client.get(reverse("spotcheck_detail", args=[plan.pk])).content.decode()
    assert plan.seed in detail

    certificate = client.get(reverse("spotcheck_certificate", args=[plan.pk])).content.decode()
    assert "抽签结果与记录的输入完全一致" in certificate and plan.seed in certificate
    for insp in plan.inspections.all():
        assert insp.organisation.name in certificate

    wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse("spotcheck_certificate_xlsx", args=[plan.pk])).content))
    cells = [str(c) for row in wb["抽签结果"].iter_rows(values_only=True) for c in row if c is not None]
    assert plan.seed in cells and plan.snapshot_hash in cells and plan.seed_commitment in cells
    assert {i.organisation.code for i in plan.inspections.all()} <= set(cells)


def test_an_infeasible_plan_is_refused_on_screen_with_the_organisations_named(client, demo):
    plan = h.make_plan(pool=("ducha",))  # 2 inspectors per organisation from a pool of one
    client.force_login(h.user("zuzhibu"))
    response = client.post(reverse("spotcheck_freeze", args=[plan.pk]), follow=True)
    assert "督查员库只有1人" in messages_of(response)
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT


def test_inspectors_record_sign_and_the_office_decides_on_screen(client, demo):
    cycle = ch.open_cycle()
    officer = ch.county_officer()
    plan = h.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=100)
    insp = plan.inspections.get(organisation__code=ch.VILLAGE)
    lead, second = h.seats(insp)

    # the second inspector cannot open the lead's recording task
    url = task_url(open_task(insp.process))
    client.force_login(second)
    assert client.get(url).status_code == 404

    client.force_login(lead)
    page = client.get(url).content.decode()
    assert "三会一课" in page and "检查清单" in page
    outcomes = {f"outcome_{r.code}": "met" for r in insp.results.all()}
    bad = client.post(
        url,
        outcomes
        | {
            "action": "add_finding",
            "severity": "major",
            "description": "党员大会记录缺失",
            "evidence": SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/pdf"),
        },
    )
    assert bad.status_code == 400 and "PDF" in bad.content.decode()
    assert not insp.findings.exists() and not FindingEvidence.objects.exists()
    client.post(
        url,
        outcomes
        | {
            "action": "add_finding",
            "check_code": "C1",
            "severity": "major",
            "description": "党员大会记录缺失",
            "evidence": SimpleUploadedFile("记录.pdf", b"%PDF-1.4 photo", content_type="application/pdf"),
        },
    )
    finding = insp.findings.get()
    assert finding.evidence.get().original_name == "记录.pdf"
    response = client.post(url, outcomes | {"action": "submit"})
    assert response.status_code == 302
    evidence_url = reverse("finding_evidence_download", args=[finding.evidence.get().pk])
    assert client.get(evidence_url).status_code == 200

    sign_url = task_url(open_task(insp.process))
    client.force_login(second)
    assert "党员大会记录缺失" in client.get(sign_url).content.decode()
    assert client.post(sign_url, {"decision": "return", "comment": ""}).status_code == 400
    assert client.post(sign_url, {"decision": "sign"}).status_code == 302
    assert client.post(sign_url, {"decision": "sign"}).status_code == 409  # a double click: already handled
    insp.refresh_from_db()
    assert insp.state == InspectionState.REVIEW

    review_url = task_url(open_task(insp.process))
    client.force_login(h.user("zuzhibu"))  # an officer of another office
    assert client.get(review_url).status_code == 404
    client.force_login(officer)
    assert "党员大会记录缺失" in client.get(review_url).content.decode()
    secretary = ch.holder(ch.VILLAGE, Role.SECRETARY)
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    incomplete = client.post(review_url, {})
    assert incomplete.status_code == 400 and "请选择属实或不予认定" in incomplete.content.decode()
    response = client.post(
        review_url, {f"decision_{finding.pk}": "confirm", f"owner_{finding.pk}": secretary.pk, f"due_{finding.pk}": due}
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.rectification_item.owner == secretary

    # the secretary now sees the finding in the inbox and may read the decided inspection and its evidence
    client.force_login(secretary)
    inbox = client.get(reverse("inbox")).content.decode()
    assert "党员大会记录缺失" in inbox
    assert client.get(reverse("inspection_detail", args=[insp.pk])).status_code == 200
    assert client.get(evidence_url).status_code == 200
    client.force_login(h.user("dangyuan"))
    assert client.get(evidence_url).status_code == 404

    assert client.get(reverse("spotcheck_results_xlsx", args=[plan.pk])).status_code == 404  # the plan is the office's
    client.force_login(officer)
    results = client.get(reverse("spotcheck_results_xlsx", args=[plan.pk]))
    rows = list(openpyxl.load_workbook(io.BytesIO(results.content))["抽查结果"].iter_rows(values_only=True))
    village_row = next(r for r in rows if r[2] == ch.VILLAGE)
    assert village_row[6] == 1 and "党员大会记录缺失" in village_row[8] and "整改中" in village_row[8]


def test_a_refused_record_keeps_everything_typed_and_a_typed_finding_is_never_dropped(client, demo):
    """The inspector's record is long: a finding refused (its description left blank) shows the page again with the
    checklist, notes, summary and the finding's own fields as typed, and says which field is missing. A finding
    typed in but saved with 保存草稿 instead of 添加该问题 is added, not silently dropped."""
    cycle = ch.open_cycle()
    officer = ch.county_officer()
    plan = h.drawn_plan(by=officer.username, office="QS-ZZB", cycle=cycle, scope_root=None, rate_percent=100)
    insp = plan.inspections.get(organisation__code=ch.VILLAGE)
    lead, _second = h.seats(insp)
    url = task_url(open_task(insp.process))
    client.force_login(lead)
    first, *others = list(insp.results.all())
    typed = {
        f"outcome_{first.code}": "not_met",
        f"note_{first.code}": "会议记录本缺2026年第三季度",
        "summary": "总体较好。" * 500,
        "check_code": first.code,
        "severity": "major",
        "description": "   ",
        "requirement": "补齐会议记录，月底前报送",
    }
    refused = client.post(url, typed | {"action": "add_finding"})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "发现问题：这个字段是必填项。" in page  # the field is named
    assert '<option value="not_met" selected' in page and "会议记录本缺2026年第三季度" in page
    assert "总体较好。" * 500 in page
    assert f'<option value="{first.code}" selected>' in page and '<option value="major" selected>' in page
    assert "补齐会议记录，月底前报送" in page
    insp.refresh_from_db()
    assert not insp.findings.exists() and insp.summary == ""  # nothing of the refused post was stored

    saved = client.post(url, typed | {"description": "会议记录不全", "action": "save"})
    assert saved.status_code == 302
    finding = insp.findings.get()
    assert (finding.description, finding.check_code, finding.requirement) == (
        "会议记录不全",
        first.code,
        "补齐会议记录，月底前报送",
    )
    insp.refresh_from_db()
    assert insp.summary.startswith("总体较好。")
    page = client.get(url).content.decode()
    assert "已添加该问题。" in page and '<textarea name="description" rows="3" class="wide"></textarea>' in page


def test_formula_like_text_is_written_as_text_in_the_results(client, demo):
    plan = h.drawn_plan(rate_percent=100, name="=cmd|' /C calc'!A0")
    insp = plan.inspections.first()
    h.record(insp, finding='=HYPERLINK("http://evil","点我")')
    client.force_login(h.user("zuzhibu"))
    for name in ("spotcheck_results_xlsx", "spotcheck_certificate_xlsx"):
        wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse(name, args=[plan.pk])).content))
        cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert any(str(c.value).startswith("'=cmd") for c in cells)


def test_fixed_sizes_are_written_with_the_strata_in_words(client, demo):
    """The office names a stratum as the plan's table shows it (农村 / 基层), never by its code."""
    from django.core.exceptions import ValidationError

    from flows.models import Level, Sector, User
    from forms.spotchecks import PlanForm

    office = User.objects.get(username="zuzhibu")
    form = PlanForm(user=office)
    assert form.fields["sizes_text"].widget.attrs["placeholder"] == "农村 / 基层=3"
    form.cleaned_data = {"sizes_text": "农村／基层 = 3\nvillage/grassroots=2\n\n"}
    assert form.clean_sizes_text() == {f"{Sector.VILLAGE}/{Level.GRASSROOTS}": 2}
    form.cleaned_data = {"sizes_text": "火星/基层=3"}
    with pytest.raises(ValidationError, match="火星"):
        form.clean_sizes_text()
