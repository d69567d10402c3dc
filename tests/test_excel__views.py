"""The Excel screens: upload → preview → confirm, the marked-up copy, exports, background jobs, refusals."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from flows.models import AuditEntry, ExcelJob, JobState, Organisation, User
from tests import cycle_helpers as h

pytestmark = pytest.mark.django_db


def workbook(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "组织"
    ws.append(["组织编码", "组织名称", "组织类别", "层级", "上级党组织编码"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data, kind="organisations", name="orgs.xlsx"):
    return client.post(reverse("excel_home"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_and_the_second_time_nothing_changes(client, demo):
    officer = h.county_officer()
    client.force_login(officer)
    data = workbook([["JC-QS-HT-13", "河塘镇上湾村支部", "党支部", "基层", "JC-QS-HT"]])
    response = upload(client, data)
    job = ExcelJob.objects.get(created_by=officer)
    assert response.status_code == 302 and response["Location"] == reverse("excel_job", kwargs={"pk": job.pk})
    page = client.get(response["Location"]).content.decode()
    assert job.__class__.objects.get(pk=job.pk).state == JobState.CHECKED
    assert 'data-count="new">1<' in page and "JC-QS-HT-13" in page and "excel-confirm" in page
    assert not Organisation.objects.filter(code="JC-QS-HT-13").exists()
    assert client.post(reverse("excel_job_confirm", kwargs={"pk": job.pk})).status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert Organisation.objects.get(code="JC-QS-HT-13").leading.code == "JC-QS-HT"
    assert AuditEntry.objects.filter(action="excel.import_confirm", subject_id=str(job.pk)).exists()
    # confirming again does nothing
    client.post(reverse("excel_job_confirm", kwargs={"pk": job.pk}))
    assert Organisation.objects.filter(code="JC-QS-HT-13").count() == 1
    upload(client, data)
    again = ExcelJob.objects.filter(created_by=officer).latest("pk")
    page = client.get(reverse("excel_job", kwargs={"pk": again.pk})).content.decode()
    assert 'data-count="new">0<' in page and 'data-count="unchanged">1<' in page and "excel-confirm" not in page


def test_errors_on_the_page_and_a_marked_copy_to_download(client, demo):
    officer = h.county_officer()
    client.force_login(officer)
    upload(
        client,
        workbook([["JC-QS-HT-14", "村", "居委会", "基层", "JC-QS-HT"], ["", "无编码", "党支部", "基层", "JC-QS-HT"]]),
    )
    job = ExcelJob.objects.get(created_by=officer)
    assert job.state == JobState.REFUSED
    page = client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()
    assert "居委会" in page and "<td>组织</td><td>2</td><td>C</td>" in page and "excel-confirm" not in page
    response = client.get(reverse("excel_job_download", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["组织"]
    assert "居委会" in ws["C2"].comment.text and ws["C2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert ws["A3"].comment is not None
    assert client.post(reverse("excel_job_confirm", kwargs={"pk": job.pk})).status_code == 302
    assert not Organisation.objects.filter(code="JC-QS-HT-14").exists()


def test_a_hostile_upload_is_refused_on_the_page(client, demo):
    client.force_login(h.county_officer())
    upload(client, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, name="old.xls")
    job = ExcelJob.objects.latest("pk")
    page = client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()
    assert job.state == JobState.REFUSED and ".xls" in page


def test_someone_elses_job_is_a_404_everywhere(client, demo):
    officer = h.county_officer()
    client.force_login(officer)
    upload(client, workbook([["JC-QS-HT-15", "村", "党支部", "基层", "JC-QS-HT"]]))
    job = ExcelJob.objects.get(created_by=officer)
    client.force_login(User.objects.get(username="zuzhibu"))  # even an officer with a wider scope
    for name in ("excel_job", "excel_job_status", "excel_job_download"):
        assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404
    assert client.post(reverse("excel_job_confirm", kwargs={"pk": job.pk})).status_code == 404
    job.refresh_from_db()
    assert job.state == JobState.CHECKED and not Organisation.objects.filter(code="JC-QS-HT-15").exists()


def test_a_big_export_runs_as_a_job_with_progress(client, demo, settings):
    settings.EXCEL_BACKGROUND_ROWS = 3
    cycle = h.open_cycle()
    client.force_login(h.county_officer())
    response = client.get(reverse("excel_export_results", kwargs={"pk": cycle.pk}))
    assert response.status_code == 302
    job = ExcelJob.objects.latest("pk")
    assert job.state == JobState.DONE and job.direction == "export"
    status = client.get(reverse("excel_job_status", kwargs={"pk": job.pk})).json()
    assert status["state"] == "done" and status["running"] is False
    data = b"".join(client.get(reverse("excel_job_download", kwargs={"pk": job.pk})).streaming_content)
    assert load_workbook(io.BytesIO(data))["考核结果"]["A1"].value.endswith("结果台账")


def test_a_running_job_shows_a_progress_bar_that_polls(client, demo):
    officer = h.county_officer()
    job = ExcelJob.objects.create(direction="import", kind="organisations", created_by=officer, state=JobState.CHECKING)
    from django.core.cache import cache

    from flows.excel.jobs import progress_key

    cache.set(progress_key(job.pk), {"done": 5000, "total": 20000})
    client.force_login(officer)
    page = client.get(reverse("excel_job", kwargs={"pk": job.pk})).content.decode()
    assert 'id="excel-progress"' in page and 'value="5000"' in page and 'max="20000"' in page
    assert client.get(reverse("excel_job_status", kwargs={"pk": job.pk})).json()["done"] == 5000


@pytest.mark.parametrize(
    "name,kwargs,allowed,refused",
    [
        ("excel_export_roster", lambda c: {}, "zuzhibu", "shuji"),
        ("excel_export_indicators", lambda c: {"pk": c["template"]}, "zuzhibu", "shuji"),
        ("excel_export_scores", lambda c: {"pk": c["cycle"]}, "fenguan", "dingxuejun_other"),
        ("excel_export_rectification", lambda c: {"pk": c["cycle"]}, "county_officer", "other_county"),
        ("excel_export_results", lambda c: {"pk": c["cycle"]}, "county_officer", "other_county"),
    ],
)
def test_exports_refuse_the_wrong_user(client, demo, name, kwargs, allowed, refused):
    from flows.models import Role, RoleAssignment

    cycle = h.open_cycle()
    users = {
        "county_officer": h.county_officer(),
        "other_county": RoleAssignment.objects.current().get(organisation__code="JC-BH", role=Role.SECRETARY).user,
        "dingxuejun_other": RoleAssignment.objects.current()
        .get(organisation__code="JC-BH-LS-01", role=Role.DEPUTY)
        .user,
    }
    ctx = {"cycle": cycle.pk, "template": h.assessment_of(cycle).template_id}
    url = reverse(name, kwargs=kwargs(ctx))
    client.force_login(users.get(refused) or User.objects.get(username=refused))
    assert client.get(url).status_code == 404
    client.force_login(users.get(allowed) or User.objects.get(username=allowed))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    load_workbook(io.BytesIO(response.content))  # a readable workbook


@pytest.mark.parametrize(
    "name", ["excel_export_scores", "excel_export_rectification", "excel_export_results", "excel_export_cadres"]
)
@pytest.mark.parametrize("number", [2**63, 10**30])
def test_an_export_for_a_number_no_cycle_can_have_is_not_found(client, demo, name, number):
    """A cycle number typed into the address beyond any id's range: 找不到 (404), as for a cycle one may not see."""
    client.force_login(User.objects.get(username="zuzhibu"))
    response = client.get(reverse(name, kwargs={"pk": number}))
    assert response.status_code == 404
    cycle = h.open_cycle()
    beyond = client.get(reverse("excel_export_scores", kwargs={"pk": cycle.pk}) + f"?assessment={number}")
    assert beyond.status_code == 404


def test_an_upload_over_the_limit_is_not_even_stored(client, demo, settings):
    settings.EXCEL_IMPORT_MAX_BYTES = 1000
    client.force_login(h.county_officer())
    response = upload(client, workbook([["JC-QS-HT-16", "村", "党支部", "基层", "JC-QS-HT"]]))
    assert response.status_code == 400 and "MB" in response.content.decode()
    assert not ExcelJob.objects.exists()
