"""The access policy, role by role, on the demo city."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from flows.models import Organisation, Role, RoleAssignment, User
from flows.policy import access
from tests.factories import UserFactory, give_role

pytestmark = pytest.mark.django_db


def codes(qs):
    return set(qs.values_list("code", flat=True))


def subtree_codes(code):
    return codes(Organisation.objects.get(code=code).subtree())


def org(code):
    return Organisation.objects.get(code=code)


def user(name):
    return User.objects.get(username=name)


def test_a_village_secretary_sees_and_acts_on_their_own_village_only(demo):
    shuji = user("shuji")
    assert codes(access.visible_organisations(shuji)) == {"JC-QS-HT-01"}
    assert access.can_act_on_organisation(shuji, org("JC-QS-HT-01"))
    for other in ("JC-QS-HT-02", "JC-QS-HT", "JC-QS", "JC"):
        assert not access.can_view_organisation(shuji, org(other))
        assert not access.can_act_on_organisation(shuji, org(other))


def test_a_party_member_sees_their_branch_but_may_not_act_on_it(demo):
    member = user("dangyuan")
    assert codes(access.visible_organisations(member)) == {"JC-QS-HT-01"}
    assert not access.can_act_on_organisation(member, org("JC-QS-HT-01"))


def test_a_county_secretary_leads_the_whole_county_and_nothing_beside_it(demo):
    xs = user("xianshuji")
    assert codes(access.visible_organisations(xs)) == subtree_codes("JC-QS")
    assert access.can_act_on_organisation(xs, org("JC-QS-SQ-01-02"))
    assert not access.can_view_organisation(xs, org("JC-BH-LS-02"))
    assert not access.can_view_organisation(xs, org("JC"))


def test_the_city_organisation_department_oversees_the_whole_city(demo):
    officer = user("zuzhibu")
    assert codes(access.visible_organisations(officer)) == set(Organisation.objects.values_list("code", flat=True))
    assert access.can_oversee_organisation(officer, org("JC-BH-LS-02"))
    assert access.can_act_on_organisation(officer, org("JC-BH-LS-02"))


def test_the_agencies_working_committee_oversees_agencies_not_villages(demo):
    officer = user("jiguan")
    assert codes(access.visible_organisations(officer)) >= subtree_codes("JC-JGGW")
    assert access.can_oversee_organisation(officer, org("JC-FGW-01"))
    assert not access.can_view_organisation(officer, org("JC-QS-HT-01"))
    assert not access.can_oversee_organisation(officer, org("JC-QS"))


def test_an_inspector_may_see_the_office_scope_but_not_act(demo):
    inspector = user("ducha")
    assert access.can_view_organisation(inspector, org("JC-BH-LS-02"))
    assert not access.can_act_on_organisation(inspector, org("JC-BH-LS-02"))
    assert not access.can_oversee_organisation(inspector, org("JC-BH-LS-02"))


def test_a_guiding_organisations_leader_reads_and_comments_but_never_acts(demo):
    guide_secretary = RoleAssignment.objects.current().get(organisation__code="JC-GZW", role=Role.SECRETARY).user
    guided = org("JC-CT")  # the city investment group, guided by the state-assets commission
    assert access.can_view_organisation(guide_secretary, guided)
    assert access.can_comment_on_organisation(guide_secretary, guided)
    assert not access.can_act_on_organisation(guide_secretary, guided)
    assert not access.can_view_organisation(guide_secretary, org("JC-CT-01"))


def test_an_ended_role_grants_nothing_after_its_end(demo):
    person = UserFactory()
    village = org("JC-QS-HT-02")
    give_role(person, village, Role.MEMBER, start=datetime.date(2020, 1, 1), end=datetime.date(2021, 12, 31))
    assert not access.can_view_organisation(person, village)
    assert access.scope_for(person, on=datetime.date(2021, 6, 1)).led_paths == (village.path,)


def test_a_role_that_has_not_started_grants_nothing_yet(demo):
    person = UserFactory()
    give_role(person, org("JC-QS-HT-02"), Role.MEMBER, start=datetime.date(2099, 1, 1))
    assert not access.visible_organisations(person).exists()


def test_nobody_without_a_role_sees_anything(demo):
    assert not access.visible_organisations(UserFactory()).exists()
    assert not access.visible_organisations(AnonymousUser()).exists()
    assert not access.can_view_organisation(AnonymousUser(), org("JC"))


def test_an_inactive_account_sees_nothing(demo):
    xs = user("xianshuji")
    xs.is_active = False
    assert not access.visible_organisations(xs).exists()


def test_superusers_see_everything(demo):
    assert access.visible_organisations(user("admin")).count() == Organisation.objects.count()


def test_people_are_visible_through_organisations_only(demo):
    shuji = user("shuji")
    visible = set(access.visible_people(shuji).values_list("username", flat=True))
    assert {"shuji", "fenguan", "dangyuan"} <= visible
    assert "xianshuji" not in visible  # the county secretary holds no role in the village
    xs = user("xianshuji")
    assert access.can_view_person(xs, shuji)
    assert not access.can_view_person(shuji, xs)
    assert access.can_view_person(shuji, shuji)


def test_policy_queries_stay_constant_with_tree_size(demo, django_assert_max_num_queries):
    officer = user("zuzhibu")
    with django_assert_max_num_queries(4):
        list(access.visible_organisations(officer))
        access.can_view_organisation(officer, org("JC-BH"))
