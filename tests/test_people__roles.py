"""Dated roles: one secretary and one leader in charge at a time; mid-year handovers; reviewers."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from flows.models import AuditEntry, Organisation, Role, RoleAssignment
from flows.policy import access
from flows.services import people as services
from tests.factories import UserFactory, give_role, join_office, make_office

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def village(demo):
    return Organisation.objects.get(code="JC-QS-HT-03")


def test_a_second_secretary_in_the_same_period_is_refused_with_the_incumbents_name(village):
    incumbent = RoleAssignment.objects.current().get(organisation=village, role=Role.SECRETARY)
    with pytest.raises(ValidationError) as err:
        give_role(UserFactory(), village, Role.SECRETARY, start=D(2026, 1, 1))
    assert incumbent.user.real_name in str(err.value)
    assert RoleAssignment.objects.current().filter(organisation=village, role=Role.SECRETARY).count() == 1


def test_a_mid_year_handover_ends_one_secretary_and_starts_the_next(village):
    incumbent = RoleAssignment.objects.current().get(organisation=village, role=Role.SECRETARY)
    services.role_end(by=None, assignment=incumbent, end=D(2026, 6, 30), comment="调任")
    successor = UserFactory(real_name="接任者")
    give_role(successor, village, Role.SECRETARY, start=D(2026, 7, 1))
    on = lambda d: RoleAssignment.objects.current(d).get(organisation=village, role=Role.SECRETARY).user  # noqa: E731
    assert on(D(2026, 6, 30)) == incumbent.user
    assert on(D(2026, 7, 1)) == successor
    assert AuditEntry.objects.filter(action="role.end", subject_id=str(incumbent.pk), comment="调任").exists()


def test_many_leadership_members_may_serve_at_once(village):
    for _ in range(3):
        give_role(UserFactory(), village, Role.MEMBER, start=D(2026, 1, 1))
    assert RoleAssignment.objects.current().filter(organisation=village, role=Role.MEMBER).count() >= 3


def test_an_end_before_the_start_is_refused_by_the_service_and_the_database(village):
    with pytest.raises(ValidationError):
        give_role(UserFactory(), village, Role.MEMBER, start=D(2026, 5, 1), end=D(2026, 4, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=UserFactory(), organisation=village, role=Role.MEMBER, start=D(2026, 5, 1), end=D(2026, 4, 1)
        )


def test_assigning_the_same_role_twice_changes_nothing(village):
    person = UserFactory()
    first = give_role(person, village, Role.MEMBER, start=D(2026, 1, 1))
    again = give_role(person, village, Role.MEMBER, start=D(2026, 1, 1))
    assert first.pk == again.pk
    assert AuditEntry.objects.filter(action="role.assign", subject_id=str(first.pk)).count() == 1


def test_the_reviewer_is_the_leading_organisations_secretary(village):
    township_secretary = RoleAssignment.objects.current().get(organisation__code="JC-QS-HT", role=Role.SECRETARY).user
    assert access.reviewers_of(village) == [township_secretary]


def test_the_reviewer_is_the_organisation_department_when_the_leading_organisation_names_one(demo):
    township = Organisation.objects.get(code="JC-QS-HT")  # led by the county, whose review office is QS-ZZB
    officers = set(access.reviewers_of(township))
    assert officers and all(u.offices.filter(office__code="QS-ZZB", role="officer").exists() for u in officers)


def test_an_ended_office_membership_no_longer_reviews(demo):
    county = Organisation.objects.get(code="JC-QS")
    office = make_office(county)
    officer = UserFactory()
    join_office(officer, office, start=D(2020, 1, 1), end=D(2021, 1, 1))
    county.review_office = office
    county.save()
    assert officer not in access.reviewers_of(Organisation.objects.get(code="JC-QS-HT"))


def test_the_root_has_no_reviewer(demo):
    assert access.reviewers_of(Organisation.objects.get(code="JC")) == []
