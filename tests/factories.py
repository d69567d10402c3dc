import datetime
import itertools

import factory

from flows.models import Kind, Level, OfficeKind, OversightOffice, Role, Sector, User
from flows.services import organisations as org_services
from flows.services import people as people_services

_codes = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = factory.Sequence(lambda n: f"测试{n}")
    password = factory.django.Password("pw")


def make_org(
    leading=None, *, code=None, name=None, kind=Kind.BRANCH, sector=Sector.VILLAGE, level=Level.GRASSROOTS, **kw
):
    code = code or f"T{next(_codes):05d}"
    return org_services.organisation_create(
        by=None, leading=leading, code=code, name=name or f"组织{code}", kind=kind, sector=sector, level=level, **kw
    )


def give_role(user, org, role=Role.SECRETARY, start=datetime.date(2020, 1, 1), end=None):
    return people_services.role_assign(by=None, user=user, organisation=org, role=role, start=start, end=end)


def make_office(scope, *, code=None, kind=OfficeKind.ORGANISATION_DEPARTMENT):
    code = code or f"OFF{next(_codes):05d}"
    return OversightOffice.objects.create(code=code, name=f"办公室{code}", kind=kind, scope=scope)


def join_office(user, office, role="officer", start=datetime.date(2020, 1, 1), end=None):
    return people_services.office_join(by=None, user=user, office=office, role=role, start=start, end=end)
