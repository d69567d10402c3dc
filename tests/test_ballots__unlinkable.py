"""Nothing can link a ballot to a voter or a code: the tables themselves have nowhere to keep such a link."""

import uuid

import pytest
from django.db import models

from flows.admin import admin
from flows.models import AuditEntry, Ballot, BallotMark, VoterToken
from flows.services import ballots as svc
from tests.ballot_helpers import mass_campaign, vote

LINKING = (
    "user",
    "voter",
    "token",
    "code",
    "time",
    "date",
    "at",
    "created",
    "updated",
    "ip",
    "address",
    "addr",
    "session",
    "agent",
    "owner",
    "author",
    "seq",
    "sequence",
    "order",
    "rowid",
    "by",
    "cast",
    "voted",
)


@pytest.mark.parametrize("model", [Ballot, BallotMark])
def test_ballot_tables_have_no_linking_column(model):
    fields = model._meta.get_fields()
    for f in fields:
        words = f.name.lower().split("_")
        assert not any(word in words for word in LINKING), f"{model.__name__}.{f.name} could link a ballot"
        if isinstance(f, (models.DateField, models.DateTimeField, models.TimeField, models.GenericIPAddressField)):
            pytest.fail(f"{model.__name__}.{f.name} records when or where")
        if f.is_relation and f.related_model is not None:
            assert f.related_model.__name__ not in ("User", "VoterToken", "Session"), f.name
    pk = model._meta.pk
    assert isinstance(pk, models.UUIDField) and pk.default is uuid.uuid4  # random, never sequential


def test_tokens_do_not_point_at_ballots():
    for f in VoterToken._meta.get_fields():
        assert not (f.is_relation and f.related_model in (Ballot, BallotMark)), f.name


def test_ballots_and_tokens_are_not_in_the_admin():
    assert Ballot not in admin.site._registry and BallotMark not in admin.site._registry
    assert VoterToken not in admin.site._registry


@pytest.mark.django_db
def test_casting_writes_no_audit_row_and_no_code_anywhere(demo, caplog):
    c, _a, officer = mass_campaign()
    _n, [code] = svc.tokens_issue(by=officer, campaign=c, count=1, group="党员")
    before = AuditEntry.objects.count()
    receipt = vote(c, code)
    assert AuditEntry.objects.count() == before
    assert code not in caplog.text and code.replace("-", "") not in caplog.text and receipt not in caplog.text
