"""The organisation tree: one leading organisation each, no loops, from every door; cheap subtree reads."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from treebeard.exceptions import InvalidMoveToDescendant

from flows.models import AuditEntry, Guidance, Kind, Level, Organisation
from flows.models.organisations import path_successor, subtree_q
from flows.services import organisations as services
from forms.organisations import OrganisationForm
from tests.factories import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(demo):
    """county → township → village, built under the demo root."""
    root = Organisation.objects.get(code="JC")
    county = make_org(root, code="X-COUNTY", kind=Kind.LOCAL_COMMITTEE, level=Level.COUNTY, sector="")
    town = make_org(county, code="X-TOWN", kind=Kind.COMMITTEE, level=Level.TOWNSHIP, sector="")
    village = make_org(town, code="X-VILLAGE")
    return county, town, village


def test_every_organisation_but_the_root_has_exactly_one_leading_organisation(demo):
    root = Organisation.objects.get(code="JC")
    assert root.leading is None
    others = Organisation.objects.exclude(pk=root.pk)
    assert others.exists()
    for org in others:
        assert org.leading is not None
        assert org.path.startswith(org.leading.path) and org.depth == org.leading.depth + 1


def test_a_second_root_is_refused_by_the_service(demo):
    with pytest.raises(ValidationError) as err:
        make_org(None, code="ROOT2")
    assert "exactly one leading organisation" in str(err.value) or "领导组织" in str(err.value)
    assert not Organisation.objects.filter(code="ROOT2").exists()


def test_a_second_root_is_refused_by_the_database(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.add_root(
            {"code": "ROOT2", "name": "第二个顶层", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
        )


def test_a_path_that_does_not_match_its_depth_is_refused_by_the_database(demo):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(
            path="0001ZZZZ", depth=3, code="BAD", name="坏数据", kind=Kind.BRANCH, level=Level.GRASSROOTS
        )


def test_moving_under_its_own_descendant_is_refused_with_a_clear_message(chain):
    county, _town, village = chain
    with pytest.raises(ValidationError) as err:
        services.organisation_set_leading(by=None, organisation=county, leading=village)
    assert "loop" in str(err.value) or "循环" in str(err.value)
    county.refresh_from_db()
    assert county.leading.code == "JC"


def test_an_organisation_cannot_lead_itself(chain):
    county, _town, _village = chain
    with pytest.raises(ValidationError):
        services.organisation_set_leading(by=None, organisation=county, leading=county)


def test_the_shell_door_is_closed_too(chain):
    """Calling the tree library directly from the shell cannot build a loop either."""
    county, _town, village = chain
    with pytest.raises(InvalidMoveToDescendant):
        Organisation.objects.move(county, village, pos="last-child")


def test_moving_to_a_new_leading_organisation_moves_the_subtree_and_is_audited(chain, admin_user):
    county, town, village = chain
    other = Organisation.objects.get(code="JC-BH")
    services.organisation_set_leading(by=admin_user, organisation=town, leading=other)
    village.refresh_from_db()
    assert village.leading.code == "X-TOWN"
    assert Organisation.objects.get(code="X-TOWN").leading.code == "JC-BH"
    assert not county.subtree(include_self=False).exists() or "X-TOWN" not in set(
        Organisation.objects.get(pk=county.pk).subtree().values_list("code", flat=True)
    )
    entry = AuditEntry.objects.get(action="organisation.leading", subject_id=str(town.pk))
    assert (entry.actor, entry.from_value, entry.to_value) == (admin_user, "X-COUNTY", "JC-BH")


def test_the_form_refuses_a_loop_and_an_unknown_leading_code(chain):
    county, _town, village = chain
    data = {f: getattr(county, f) for f in ("code", "name", "kind", "sector", "level", "regime")}
    form = OrganisationForm(data={**data, "leading": village.code, "review_office": ""}, instance=county)
    assert not form.is_valid()
    assert "循环" in str(form.errors) or "loop" in str(form.errors)
    form = OrganisationForm(data={**data, "leading": "NO-SUCH", "review_office": ""}, instance=county)
    assert not form.is_valid()
    assert "NO-SUCH" in str(form.errors["leading"])


def test_the_form_refuses_a_new_organisation_without_a_leading_one(demo):
    form = OrganisationForm(
        data={
            "code": "NEW",
            "name": "新组织",
            "kind": Kind.BRANCH,
            "sector": "village",
            "level": Level.GRASSROOTS,
            "regime": "local",
            "leading": "",
        }
    )
    assert not form.is_valid()
    assert not Organisation.objects.filter(code="NEW").exists()


def test_the_admin_door_refuses_a_loop_and_changes_nothing(chain, admin_client):
    county, _town, village = chain
    before = Organisation.objects.get(pk=county.pk).path
    response = admin_client.post(
        f"/admin/flows/organisation/{county.pk}/change/",
        {
            "code": county.code,
            "name": county.name,
            "kind": county.kind,
            "sector": "",
            "level": county.level,
            "regime": "local",
            "leading": village.code,
            "classification": "",
            "guidance_received-TOTAL_FORMS": 0,
            "guidance_received-INITIAL_FORMS": 0,
            "roles-TOTAL_FORMS": 0,
            "roles-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "循环" in response.content.decode()
    assert Organisation.objects.get(pk=county.pk).path == before


def test_the_admin_door_creates_under_the_leading_organisation(demo, admin_client):
    response = admin_client.post(
        "/admin/flows/organisation/add/",
        {
            "code": "ADM-NEW",
            "name": "管理端新建党支部",
            "kind": Kind.BRANCH,
            "sector": "community",
            "level": "grassroots",
            "regime": "local",
            "leading": "JC-QS",
            "classification": "",
            "guidance_received-TOTAL_FORMS": 0,
            "guidance_received-INITIAL_FORMS": 0,
            "roles-TOTAL_FORMS": 0,
            "roles-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Organisation.objects.get(code="ADM-NEW").leading.code == "JC-QS"


def test_guidance_cannot_be_self_the_leading_organisation_or_a_descendant(chain):
    county, town, village = chain
    for guide in (village, town, county):
        with pytest.raises(ValidationError):
            services.guidance_add(by=None, organisation=town if guide is not town else town, guide=guide)
    assert not Guidance.objects.filter(organisation=town).exists()
    other = Organisation.objects.get(code="JC-BH")
    services.guidance_add(by=None, organisation=town, guide=other)
    assert list(town.guides.all()) == [other]


def test_self_guidance_is_refused_by_the_database(chain):
    county, _town, _village = chain
    with pytest.raises(IntegrityError), transaction.atomic():
        Guidance.objects.create(organisation=county, guide=county)


def test_subtree_is_one_indexed_range_without_like(demo):
    county = Organisation.objects.get(code="JC-QS")
    expected = {o.code for o in Organisation.objects.all() if o.path.startswith(county.path)}
    with CaptureQueriesContext(connection) as ctx:
        got = set(county.subtree().values_list("code", flat=True))
    assert got == expected and len(got) > 5
    assert len(ctx.captured_queries) == 1
    assert " LIKE " not in ctx.captured_queries[0]["sql"].upper()


@pytest.mark.parametrize(
    "path,successor", [("0001", "0002"), ("0001000Z", "00010010"), ("0001ZZZZ", "0002"), ("ZZZZ", "~")]
)
def test_path_successor_bounds_the_subtree(path, successor):
    assert path_successor(path) == successor


def test_subtree_q_excludes_siblings_with_a_common_prefix(demo):
    org = Organisation.objects.get(code="JC-QS")
    q = Organisation.objects.filter(subtree_q(org.path, include_self=False))
    assert org.code not in set(q.values_list("code", flat=True))
    assert all(o.path.startswith(org.path) for o in q)


def test_the_tree_library_finds_no_inconsistency(demo):
    problems = Organisation.objects.find_problems()
    assert all(len(p) == 0 for p in problems), problems
