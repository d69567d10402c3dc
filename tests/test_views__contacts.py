"""The contact points' and visits' screens as each user sees them: a leader records a visit (a refused form keeps
what was typed), the wrong user gets the same 404 as for nothing on every screen, the office sees its gaps."""

import datetime

import pytest
from django.urls import reverse

from flows.models import OversightOffice, RectificationItem
from flows.models.contacts import ContactPoint, Visit, VisitProblem
from flows.models.people import today
from tests import factories as f

pytestmark = pytest.mark.django_db


def _post_visit(client, org_pk, **extra):
    data = {
        "organisation": org_pk,
        "date": (today() - datetime.timedelta(days=1)).isoformat(),
        "kind": "supervision",
        "seen": "查看党员活动室",
        "problems": "",
    } | extra
    return client.post(reverse("contacts_mine"), data)


def test_a_leader_records_a_visit_and_a_problem_becomes_an_item(client, login, demo):
    from flows.models import Organisation

    login("dingxuejun")
    page = client.get(reverse("contacts_mine"))
    assert page.status_code == 200 and "东坪村" in page.content.decode()
    village = Organisation.objects.get(code="JC-QS-HT-01")
    due = (today() + datetime.timedelta(days=40)).isoformat()
    before = RectificationItem.objects.count()
    response = _post_visit(client, village.pk, problems="台账缺页", to_rectify="on", due=due)
    assert response.status_code == 302
    assert RectificationItem.objects.count() == before + 1
    again = _post_visit(client, village.pk, problems="台账缺页", to_rectify="on", due=due)  # double click
    assert again.status_code == 302 and RectificationItem.objects.count() == before + 1


def test_a_refused_visit_keeps_what_was_typed(client, login, demo):
    from flows.models import Organisation

    login("xianshuji")
    new = f.make_org(Organisation.objects.get(code="JC-QS-HT"), code="JC-QS-HT-NEW2")
    due = (today() + datetime.timedelta(days=40)).isoformat()
    count = Visit.objects.count()
    response = _post_visit(client, new.pk, problems="阵地建设不达标", to_rectify="on", due=due)
    assert response.status_code == 400
    html = response.content.decode()
    assert "阵地建设不达标" in html and "查看党员活动室" in html and 'role="alert"' in html
    assert Visit.objects.count() == count


def test_a_leader_may_not_visit_outside_their_scope(client, login, demo):
    from flows.models import Organisation

    login("shuji")  # a village secretary leads nothing below
    other = Organisation.objects.get(code="JC-QS-HT-02")
    count = Visit.objects.count()
    assert _post_visit(client, other.pk).status_code == 400
    assert Visit.objects.count() == count
    assert client.post(reverse("contact_point_add"), {"point-organisation": other.pk}).status_code == 400
    assert not ContactPoint.objects.filter(leader__username="shuji").exists()


def test_wrong_users_get_404_everywhere(client, login, demo):
    qs_office = OversightOffice.objects.get(code="QS-ZZB")
    point = ContactPoint.objects.filter(leader__username="dingxuejun").first()
    problem = VisitProblem.objects.filter(visit__organisation__code="JC-QS-HT-05").first()
    login("fenguan")  # a leader in charge of a village: not an officer, and the problem's village is not theirs
    assert client.get(reverse("contacts_offices")).status_code == 404
    assert client.get(reverse("contacts_office", args=[qs_office.pk])).status_code == 404
    assert client.get(reverse("contacts_export", args=[qs_office.pk])).status_code == 404
    assert client.post(reverse("contacts_import", args=[qs_office.pk])).status_code == 404
    assert client.post(reverse("contact_point_remove", args=[point.pk])).status_code == 404
    assert client.post(reverse("visit_problem_rectify", args=[problem.pk]), {"due": "2099-01-01"}).status_code == 404
    assert client.get(reverse("contacts_organisation", args=["JC-QS-HT-05"])).status_code == 404
    assert ContactPoint.objects.filter(pk=point.pk).exists() and problem.item_id is None
    login("dangyuan")  # a party member: not a leader at all
    assert client.get(reverse("contacts_mine")).status_code == 404
    assert client.post(reverse("contact_point_add"), {}).status_code == 404
    assert client.get(reverse("contacts_organisation", args=["JC-QS-HT-01"])).status_code == 404
    login("guliang")  # 白河县's officer: not 青山县's office
    assert client.get(reverse("contacts_office", args=[qs_office.pk])).status_code == 404
    assert client.get(reverse("contacts_organisation", args=["JC-QS-HT-01"])).status_code == 404


def test_the_office_sees_its_gaps_and_the_organisations_visits(client, login, demo):
    login("houhongmei")
    office = OversightOffice.objects.get(code="QS-ZZB")
    assert client.get(reverse("contacts_offices")).status_code == 302
    html = client.get(reverse("contacts_office", args=[office.pk])).content.decode()
    assert "西岭村" in html and 'id="no-contact"' in html
    html = client.get(reverse("contacts_organisation", args=["JC-QS-HT-05"])).content.decode()
    assert "北山村" in html and "支部班子分工不明确" in html
    problem = VisitProblem.objects.filter(visit__organisation__code="JC-QS-HT-05").first()
    bad = client.post(reverse("visit_problem_rectify", args=[problem.pk]), {"due": "2001-01-01"})
    assert bad.status_code == 400
    due = (today() + datetime.timedelta(days=30)).isoformat()
    ok = client.post(reverse("visit_problem_rectify", args=[problem.pk]), {"due": due})
    assert ok.status_code == 302
    problem.refresh_from_db()
    assert problem.item is not None
    again = client.post(reverse("visit_problem_rectify", args=[problem.pk]), {"due": due})
    assert again.status_code == 302  # already handled, a message, no 500


def test_a_leader_removes_their_own_contact_point(client, login, demo):
    leader = login("dingxuejun")
    point = ContactPoint.objects.filter(leader=leader).first()
    assert client.post(reverse("contact_point_remove", args=[point.pk])).status_code == 302
    assert not ContactPoint.objects.filter(pk=point.pk).exists()
    assert client.post(reverse("contact_point_remove", args=[point.pk])).status_code == 404


def test_the_dashboard_panel_renders_for_the_office(rf, demo):
    from django.template.loader import render_to_string

    from flows.models import ReviewCycle, User
    from flows.selectors import contacts as selectors

    cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=2026)
    panel = selectors.dashboard_panel(User.objects.get(username="zuzhibu"), cycle)
    html = render_to_string("flows/contacts/_dashboard_panel.html", {"panel": panel})
    assert reverse("contacts_office", args=[cycle.office_id]) in html and str(panel["no_visit"]) in html
    assert render_to_string("flows/contacts/_dashboard_panel.html", {"panel": None}).strip() == ""


def test_the_organisation_page_links_to_its_visits_for_those_who_may_see_them(client, login, demo):
    url = reverse("contacts_organisation", args=["JC-QS-HT-05"])
    login("dingxuejun")
    assert url in client.get(reverse("organisation_detail", args=["JC-QS-HT-05"])).content.decode()
    login("zhenghaitao")  # 北山村's own secretary leads it: sees its visits
    assert client.get(url).status_code == 200


def _cells(content: bytes) -> dict:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_the_office_uploads_its_ledger_and_gets_the_usual_preview(
    client, login, demo, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from flows.excel import visits as ledger
    from flows.models import ExcelJob

    login("houhongmei")
    office = OversightOffice.objects.get(code="QS-ZZB")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    data = client.get(reverse("contacts_export", args=[office.pk]))
    assert data.status_code == 200 and data["Content-Type"] == xlsx
    # the same ledger as the export service writes (cell by cell: the file's own "modified" time is the second it
    # was written, so two writings differ by their bytes when a second ticks between them)
    assert _cells(data.content) == _cells(ledger.ledger(office, today().year))
    count = ContactPoint.objects.count(), Visit.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("contacts_import", args=[office.pk]), {"file": SimpleUploadedFile("台账.xlsx", data.content, xlsx)}
        )
    job = ExcelJob.objects.filter(created_by__username="houhongmei", kind="contacts").latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("excel_job", args=[job.pk])
    job.refresh_from_db()
    assert job.report["errors"] == [] and job.report["counts"]["new"] == 0, job.report
    assert (ContactPoint.objects.count(), Visit.objects.count()) == count
    empty = client.post(reverse("contacts_import", args=[office.pk]), {})
    assert empty.status_code == 400
