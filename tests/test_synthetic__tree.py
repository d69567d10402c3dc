"""The synthetic tree generator writes a consistent tree of the size asked for."""

import pytest
from django.core.management import CommandError, call_command

from flows.models import Organisation, Role, RoleAssignment
from flows.services.synthetic import synthetic_tree

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("n", [1, 2, 7, 2500])
def test_it_adds_exactly_n_consistent_organisations_under_the_root(demo, n):
    before = Organisation.objects.count()
    root = Organisation.objects.get(code="JC")
    assert synthetic_tree(n=n, under=root, prefix="GEN") == n
    assert Organisation.objects.count() == before + n
    top = Organisation.objects.get(code="GEN-000001")
    assert top.leading == root and top.subtree().count() == n
    assert all(len(p) == 0 for p in Organisation.objects.find_problems())


def test_people_option_gives_each_organisation_its_secretary_and_leader_in_charge(demo):
    synthetic_tree(n=50, under=Organisation.objects.get(code="JC"), prefix="PPL", people=True)
    roles = RoleAssignment.objects.current().filter(organisation__code__startswith="PPL-")
    assert roles.filter(role=Role.SECRETARY).count() == 50 and roles.filter(role=Role.DEPUTY).count() == 50


def test_the_command_refuses_a_prefix_in_use(demo):
    call_command("generate_tree", "5", "--prefix", "CMD")
    with pytest.raises(CommandError):
        call_command("generate_tree", "5", "--prefix", "CMD")
