"""Every demo role against every screen: the status each must get, written out by hand (not derived from the policy)."""

import pytest
from django.urls import reverse

from flows.models import User

pytestmark = pytest.mark.django_db

SCREENS = {
    "home": lambda: reverse("home"),
    "tree": lambda: reverse("organisation_tree"),
    "me": lambda: reverse("me"),
    "own village": lambda: reverse("organisation_detail", kwargs={"code": "JC-QS-HT-01"}),
    "other county village": lambda: reverse("organisation_detail", kwargs={"code": "JC-BH-LS-02"}),
    "agency branch": lambda: reverse("organisation_detail", kwargs={"code": "JC-FGW-01"}),
    "township children": lambda: reverse("organisation_children", kwargs={"code": "JC-QS-HT"}),
    "village deputy": lambda: reverse("person_detail", kwargs={"pk": User.objects.get(username="fenguan").pk}),
    "admin": lambda: reverse("admin:flows_organisation_changelist"),
}

# 200 shown · 404 refused without a trace · 302 sent to a login page
# fmt: off
MATRIX = {
    #             home tree  me  own  other agency children deputy admin
    "shuji":     (200, 200, 200, 200, 404, 404, 404, 200, 302),
    "fenguan":   (200, 200, 200, 200, 404, 404, 404, 200, 302),
    "dangyuan":  (200, 200, 200, 200, 404, 404, 404, 200, 302),
    "xianshuji": (200, 200, 200, 200, 404, 404, 200, 200, 302),
    "zuzhibu":   (200, 200, 200, 200, 200, 200, 200, 200, 302),
    "jiguan":    (200, 200, 200, 404, 404, 200, 404, 404, 302),
    "ducha":     (200, 200, 200, 200, 200, 200, 200, 200, 302),
    "admin":     (200, 200, 200, 200, 200, 200, 200, 200, 200),
    "nobody":    (200, 200, 200, 404, 404, 404, 404, 404, 302),
    "anonymous": (302, 302, 302, 302, 302, 302, 302, 302, 302),
}
# fmt: on


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_each_role_gets_exactly_its_screens(who, client, demo):
    if who == "nobody":
        client.force_login(User.objects.create_user(username="nobody", real_name="无职务"))
    elif who != "anonymous":
        client.force_login(User.objects.get(username=who))
    got = tuple(client.get(url()).status_code for url in SCREENS.values())
    assert dict(zip(SCREENS, got, strict=True)) == dict(zip(SCREENS, MATRIX[who], strict=True))
