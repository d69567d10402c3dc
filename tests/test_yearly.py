"""Year over year: classification recorded per year, corrected by the office, the weak-and-lax list with dates, and
the page that compares years (figures, drill-down, constant queries, who may see it)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from flows.models import (
    CLASSIFICATION_LEVEL,
    AuditEntry,
    ClassificationRecord,
    Organisation,
    OversightOffice,
    Rating,
    RecordSource,
    ReviewCycle,
    Role,
    User,
    WeakAndLaxPeriod,
    classification_for,
)
from flows.policy import access
from flows.selectors import yearly
from flows.services import classifications as svc
from flows.services import cycles as cycle_svc
from tests import cycle_helpers as h
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_rating_gives_the_classification_and_weak_and_lax_means_backward():
    assert classification_for(Rating.GOOD) == "advanced"
    assert classification_for(Rating.FAIRLY_GOOD) == "average"
    assert classification_for(Rating.AVERAGE) == "average"
    assert classification_for(Rating.POOR) == "backward"
    assert classification_for("") == ""
    assert classification_for(Rating.GOOD, weak_and_lax=True) == "backward"


def test_closing_a_cycle_records_each_rated_organisation_with_an_audit_row(demo):
    cycle = h.open_cycle(year=2026)
    village = h.assessment_of(cycle)
    type(village).objects.filter(pk=village.pk).update(rating=Rating.GOOD, state="closed")  # a submitted year
    unrated = cycle.assessments.exclude(pk=village.pk).count()
    cycle_svc.cycle_close(by=h.county_officer(), cycle=cycle, force=True, reason="年终截止")
    record = ClassificationRecord.objects.get(organisation=village.organisation, year=2026)
    assert (record.rating, record.classification, record.derived, record.cycle_id) == (
        "good",
        "advanced",
        "advanced",
        cycle.pk,
    )
    assert ClassificationRecord.objects.filter(year=2026).count() == 1 and unrated > 0
    village.organisation.refresh_from_db()
    assert village.organisation.classification == "advanced"
    entry = AuditEntry.objects.get(
        action="classification.record", subject_id=str(village.organisation_id), comment__startswith="2026"
    )
    assert entry.to_value == "advanced" and cycle.name in entry.comment


def test_the_office_corrects_a_classification_with_a_reason_and_a_later_close_keeps_it(demo):
    officer = User.objects.get(username="zuzhibu")
    org = Organisation.objects.get(code="JC-QS-HT-01")
    with pytest.raises(ValidationError):
        svc.classification_correct(organisation=org, year=2026, classification="advanced", reason=" ", by=officer)
    with pytest.raises(PermissionDenied):
        svc.classification_correct(
            organisation=org,
            year=2026,
            classification="advanced",
            reason="x",
            by=User.objects.get(username="xianshuji"),
        )
    with pytest.raises(ValidationError):
        svc.classification_correct(organisation=org, year=2026, classification="best", reason="x", by=officer)
    before = ClassificationRecord.objects.get(organisation=org, year=2025).classification
    record = svc.classification_correct(
        organisation=org, year=2025, classification="backward", reason="抽查发现台账造假", by=officer
    )
    assert (record.source, record.classification, record.reason) == (
        RecordSource.OFFICE,
        "backward",
        "抽查发现台账造假",
    )
    entry = AuditEntry.objects.get(action="classification.correct", subject_id=str(org.pk))
    assert (entry.actor, entry.from_value, entry.to_value) == (officer, before, "backward")
    assert "抽查发现台账造假" in entry.comment

    cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=2025)
    with transaction.atomic():
        svc.classifications_record_cycle(cycle=cycle, by=officer)
    assert ClassificationRecord.objects.get(organisation=org, year=2025).classification == "backward"


def test_the_weak_and_lax_list_has_dated_audited_periods(demo):
    officer = User.objects.get(username="zuzhibu")
    org = Organisation.objects.get(code="JC-QS-HT-02")
    with pytest.raises(PermissionDenied):
        svc.weak_and_lax_designate(
            organisation=org, start="2026-01-05", reason="x", by=User.objects.get(username="xianshuji")
        )
    with pytest.raises(ValidationError):
        svc.weak_and_lax_designate(organisation=org, start="2026-13-01", reason="x", by=officer)
    with pytest.raises(ValidationError):
        svc.weak_and_lax_lift(organisation=org, end="2026-02-01", reason="x", by=officer)  # not on the list
    period = svc.weak_and_lax_designate(organisation=org, start="2026-01-05", reason="班子瘫痪", by=officer)
    org.refresh_from_db()
    assert org.weak_and_lax and period.start == datetime.date(2026, 1, 5)
    with pytest.raises(ValidationError):
        svc.weak_and_lax_designate(organisation=org, start="2026-01-06", reason="再次", by=officer)
    with pytest.raises(ValidationError):
        svc.weak_and_lax_lift(organisation=org, end="2025-12-31", reason="整顿到位", by=officer)
    from tests.test_consolidation__process import accepted  # issue 20: lifting needs a passed 验收

    accepted(period, on=datetime.date(2026, 6, 30))
    svc.weak_and_lax_lift(organisation=org, end="2026-06-30", reason="整顿到位，验收合格", by=officer)
    org.refresh_from_db()
    period.refresh_from_db()
    assert not org.weak_and_lax and period.end == datetime.date(2026, 6, 30) and period.lifted_by == officer
    actions = list(
        AuditEntry.objects.filter(subject_type="flows.organisation", subject_id=str(org.pk))
        .filter(action__startswith="weak_and_lax.")
        .order_by("id")
        .values_list("action", "comment")
    )
    assert actions == [("weak_and_lax.designate", "班子瘫痪"), ("weak_and_lax.lift", "整顿到位，验收合格")]


def _expected_moves(root, year, previous):
    recs = {
        (r.organisation_id, r.year): r.classification
        for r in ClassificationRecord.objects.filter(organisation__path__startswith=root.path).exclude(
            organisation=root
        )
    }
    out = {"up": set(), "converted": set(), "down": set()}
    for (org_id, y), new in recs.items():
        old = recs.get((org_id, previous))
        if y != year or old is None:
            continue
        if CLASSIFICATION_LEVEL[new] > CLASSIFICATION_LEVEL[old]:
            out["up"].add(org_id)
            if old == "backward":
                out["converted"].add(org_id)
        elif CLASSIFICATION_LEVEL[new] < CLASSIFICATION_LEVEL[old]:
            out["down"].add(org_id)
    return out


def test_the_demo_city_moves_year_over_year_and_the_lists_match_the_counts(demo):
    root = Organisation.objects.get(code="JC")
    expected = _expected_moves(root, 2025, 2024)
    assert all(expected.values())  # the demo shows every kind of movement
    for move in yearly.MOVES:
        s = yearly.select(root, {"year": "2025", "move": move})
        d = yearly.year_over_year(s)
        assert (s.year, s.previous) == (2025, 2024)
        assert d["totals"][move] == len(expected[move])
        assert {r.organisation_id for r in d["drill"]} == expected[move]
        assert sum(c["n"] for b in d["branches"] for c in b["cells"] if c["move"] == move) == len(expected[move])
    weak = yearly.year_over_year(yearly.select(root, {}))["weak"]
    assert [o.code for o in weak] == ["JC-BH-LS-02", "JC-BH-LS-03"]  # longest on the list first
    assert weak[0].since == datetime.date(2024, 3, 15) and weak[0].days > 365


def test_drilling_into_one_subtree_lists_only_its_organisations(demo):
    root = Organisation.objects.get(code="JC")
    county = Organisation.objects.get(code="JC-QS")
    d = yearly.year_over_year(yearly.select(root, {"move": "up", "within": "JC-QS"}))
    assert d["drill"] and all(r.organisation.path.startswith(county.path) for r in d["drill"])
    assert len(d["drill"]) == len(
        [
            i
            for i in _expected_moves(root, 2025, 2024)["up"]
            if Organisation.objects.get(pk=i).path.startswith(county.path)
        ]
    )


def _synthetic_years(n, prefix):
    from flows.services.synthetic import synthetic_tree

    jc = Organisation.objects.get(code="JC")
    synthetic_tree(n=n + 1, under=jc, prefix=prefix)
    top = Organisation.objects.get(code=f"{prefix}-000001")
    ids = list(top.subtree(include_self=False).values_list("pk", flat=True))
    classes = ["backward", "average", "advanced"]
    ClassificationRecord.objects.bulk_create(
        [
            ClassificationRecord(organisation_id=pk, year=year, classification=classes[(i + year) % 3], rating="good")
            for year in (2023, 2024, 2025)
            for i, pk in enumerate(ids)
        ]
    )
    Organisation.objects.filter(pk__in=ids[::7]).update(weak_and_lax=True)
    return top


def test_the_page_costs_the_same_number_of_queries_at_any_size(client, demo, django_assert_num_queries):
    small = _synthetic_years(30, "YA")
    large = _synthetic_years(500, "YB")
    assert large.subtree().count() > 10 * small.subtree().count()
    officer = User.objects.get(username="zuzhibu")

    def count(root, **params):
        client.force_login(officer)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("year_over_year"), {"root": root.code, **params})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for params in ({}, {"move": "up"}, {"move": "down", "year": "2024"}):
        n = count(small, **params)
        client.force_login(officer)
        with django_assert_num_queries(n):
            client.get(reverse("year_over_year"), {"root": large.code, **params})


def test_the_office_sees_the_chart_lists_and_a_nav_link(client, demo):
    client.force_login(User.objects.get(username="zuzhibu"))
    body = client.get(reverse("year_over_year"), {"move": "converted"}).content.decode()
    assert 'id="chart-classes"' in body and "yearly-data" in body
    assert "后进转化" in body or "后进" in body
    assert "杨家坪村" in body and "2024-03-15" in body
    assert 'href="/year-over-year/"' in body  # the menu entry
    for org_id in _expected_moves(Organisation.objects.get(code="JC"), 2025, 2024)["converted"]:
        assert Organisation.objects.get(pk=org_id).name in body


def test_a_county_secretary_compares_the_county_only(client, demo):
    client.force_login(User.objects.get(username="xianshuji"))
    body = client.get(reverse("year_over_year")).content.decode()
    assert "青山县" in body and "杨家坪村" not in body
    assert client.get(reverse("year_over_year"), {"root": "JC-BH"}).status_code == 404
    assert client.get(reverse("year_over_year"), {"root": "JC"}).status_code == 404
    assert client.get(reverse("year_over_year"), {"root": "NO-SUCH"}).status_code == 404


def test_a_village_secretary_and_a_member_see_no_menu_entry(client, demo):
    for name in ("shuji", "dangyuan"):
        client.force_login(User.objects.get(username=name))
        assert 'href="/year-over-year/"' not in client.get(reverse("home")).content.decode()
        assert client.get(reverse("year_over_year"), {"root": "JC-QS-HT-01"}).status_code == 404


def test_the_menus_one_query_answer_agrees_with_the_pages_roots_for_everyone(demo):
    """The menu asks `may_see_year_over_year` on every page; the page itself lists `year_over_year_roots`. Both
    must agree for every demo person, and for the dated cases: an ended or future role or membership, an
    inspector, the leader of an organisation that leads nobody, an inactive user."""
    town = Organisation.objects.get(code="JC-QS-HT")
    village = Organisation.objects.get(code="JC-QS-HT-01")
    office = f.make_office(Organisation.objects.get(code="JC-QS"))
    today = datetime.date.today()
    later, earlier = today + datetime.timedelta(days=30), today - datetime.timedelta(days=30)
    cases = {
        "ended-officer": lambda u: f.join_office(u, office, end=earlier),
        "future-officer": lambda u: f.join_office(u, office, start=later),
        "inspector": lambda u: f.join_office(u, office, role="inspector"),
        "leaf-leader": lambda u: f.give_role(u, village, role=Role.MEMBER),
        "ended-town-leader": lambda u: f.give_role(u, town, role=Role.MEMBER, end=earlier),
        "town-member": lambda u: f.give_role(u, town, role=Role.MEMBER),
        "town-party-member": lambda u: f.give_role(u, town, role=Role.PARTY_MEMBER),
    }
    for name, make in cases.items():
        make(f.UserFactory(username=f"yoy-{name}"))
    inactive = f.UserFactory(username="yoy-inactive", is_active=False)
    f.join_office(inactive, office)
    f.UserFactory(username="yoy-root", is_superuser=True)
    answers = {}
    for user in User.objects.all():
        with CaptureQueriesContext(connection) as asked:
            answers[user.username] = access.may_see_year_over_year(user)
        assert len(asked) == (1 if user.is_active else 0)
        assert answers[user.username] == bool(access.year_over_year_roots(user)), user.username
    assert answers["zuzhibu"] and answers["xianshuji"] and answers["yoy-town-member"] and answers["yoy-root"]
    assert not any(answers[n] for n in ("shuji", "dangyuan", "yoy-inactive", "yoy-leaf-leader", "yoy-inspector"))
    assert not answers["yoy-ended-officer"] and not answers["yoy-future-officer"]


def test_the_organisation_page_shows_each_years_path_scores_and_classification(client, demo):
    client.force_login(User.objects.get(username="xianshuji"))
    cycle = ReviewCycle.objects.get(office__code="JC-ZZB", year=2025)
    county = Organisation.objects.get(code="JC-QS")
    sent_back = next(
        a
        for a in cycle.assessments.select_related("organisation").filter(organisation__path__startswith=county.path)
        if AuditEntry.objects.filter(subject_id=str(a.pk), action="assessment.return_self").exists()
    )
    body = client.get(reverse("organisation_detail", kwargs={"code": sent_back.organisation.code})).content.decode()
    row = body[body.index('data-year="2025"') :]
    row = row[: row.index("</tr>")]
    assert "↩" in row and "已退回" not in row  # the send-back is drawn in the strip
    assert str(sent_back.combined_score) in row and sent_back.get_rating_display() in row
    record = ClassificationRecord.objects.get(organisation=sent_back.organisation, year=2025)
    assert record.get_classification_display() in row
    assert sent_back.get_outcome_display() in row
    assert reverse("assessment_detail", args=[sent_back.pk]) in row
    assert "更正分类定级" not in body  # a county secretary is no oversight officer


def test_the_office_corrects_and_designates_from_the_organisation_page(client, demo):
    officer = User.objects.get(username="zuzhibu")
    client.force_login(officer)
    org = Organisation.objects.get(code="JC-QS-HT-04")
    url = reverse("organisation_detail", kwargs={"code": org.code})
    assert "更正分类定级" in client.get(url).content.decode()
    response = client.post(
        reverse("classification_correct", kwargs={"code": org.code}),
        {"year": "2025", "classification": "advanced", "reason": ""},
        follow=True,
    )
    assert "请填写更正理由" in response.content.decode()
    client.post(
        reverse("classification_correct", kwargs={"code": org.code}),
        {"year": "2025", "classification": "advanced", "reason": "述职评议补充材料后复核"},
    )
    assert ClassificationRecord.objects.get(organisation=org, year=2025).classification == "advanced"
    client.post(
        reverse("weak_and_lax_change", kwargs={"code": org.code}),
        {"action": "designate", "date": "2026-02-01", "reason": "组织生活不正常"},
    )
    assert WeakAndLaxPeriod.objects.get(organisation=org, end__isnull=True).reason == "组织生活不正常"
    body = client.get(url).content.decode()
    assert "2026-02-01" in body and "移出软弱涣散名单" in body


def test_a_second_office_cannot_correct_what_it_does_not_oversee(demo):
    agency_officer = (
        OversightOffice.objects.get(code="JC-JGGW").members.filter(role="officer").order_by("pk").first().user
    )
    with pytest.raises(PermissionDenied):
        svc.classification_correct(
            organisation=Organisation.objects.get(code="JC-QS-HT-01"),
            year=2025,
            classification="advanced",
            reason="x",
            by=agency_officer,
        )


def test_a_refused_office_form_comes_back_with_what_was_typed(client, demo):
    """Bad input loses nothing: the page comes back with the form open, the reason refused and the typing kept."""
    client.force_login(User.objects.get(username="zuzhibu"))
    org = Organisation.objects.get(code="JC-QS-HT-04")
    response = client.post(
        reverse("weak_and_lax_change", kwargs={"code": org.code}),
        {"action": "designate", "date": "2099-01-01", "reason": "三会一课长期不落实"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="三会一课长期不落实"' in body and 'value="2099-01-01"' in body and "不能晚于今天" in body
    assert '<details class="office-actions" open>' in body
    assert not WeakAndLaxPeriod.objects.filter(organisation=org).exists()
    response = client.post(
        reverse("classification_correct", kwargs={"code": org.code}),
        {"year": "2025", "classification": "backward", "reason": ""},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "请填写更正理由" in body
    assert '<option value="backward" selected>' in body
