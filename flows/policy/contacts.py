"""Who may keep a contact point, record a visit and see the visits (联系点, 观摩 / 督导调研), by object.

* A leader (a current leadership role: secretary, leader in charge, leadership member) keeps contact points at, and
  visits, the organisations their committee leads: strictly below an organisation where they hold that role
  (一级抓一级). Their own organisation is not a contact point of theirs.
* The officers of an oversight office keep the ledger of their scope: they may enter contact points and visits of
  the leaders above (the Excel import), and see the organisations without a contact leader or a visit.
* Visits to an organisation are seen by those who may act on it (its own leaders and those above it, the officers
  over it) and by the inspectors over it; anyone else gets the same 404 as for nothing.
"""

import datetime

from django.db.models import Q

from flows.models import LEADERSHIP_ROLES, Organisation, OversightOffice, RoleAssignment
from flows.models.organisations import subtree_q
from flows.policy import access


def _led_paths(user, on: datetime.date | None = None) -> list[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cache_key = f"_contacts_led_{on or ''}"
    cached = getattr(user, cache_key, None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.current(on)
            .filter(user=user, role__in=LEADERSHIP_ROLES)
            .values_list("organisation__path", flat=True)
        )
        setattr(user, cache_key, cached)
    return cached


def is_leader(user) -> bool:
    """Holds a leadership role today (the page 我的联系点 is theirs)."""
    return bool(_led_paths(user))


def may_visit(leader, org: Organisation, on: datetime.date | None = None) -> bool:
    """`leader` leads `org` from above today (or on `on`): a contact point or a visit of theirs may be there."""
    return any(org.path.startswith(p) and org.path != p for p in _led_paths(leader, on))


def visitable_q(leader, prefix: str = ""):
    """Q over organisations (at `prefix`) that `leader` may visit: below the organisations they lead."""
    q = Q(pk__in=[])
    for p in access._minimal(_led_paths(leader)):
        q |= subtree_q(p, include_self=False, prefix=prefix)
    return q


def may_enter_for(user, org: Organisation) -> bool:
    """An oversight officer over `org` (or a superuser) enters contact points and visits for the leaders."""
    return access.can_oversee_organisation(user, org)


def may_see_visits(user, org: Organisation) -> bool:
    scope = access.scope_for(user)
    return scope.superuser or access._within(org.path, scope.view_paths)


def offices_of(user) -> list[OversightOffice]:
    """The offices whose contact-point ledger this user keeps (current officer; every office for a superuser)."""
    return list(OversightOffice.objects.filter(pk__in=access.offices_of(user)).select_related("scope").order_by("code"))


def may_keep_ledger(user, office: OversightOffice) -> bool:
    return office.pk in access.offices_of(user)
