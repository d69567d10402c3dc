"""Audit rows are written unlinked and linked into the chain by a short step of its own after their transaction
commits, so that no audited write waits on another transaction (issue 23): a long import holds nothing a claim,
an approval or a sweep needs. Rows are linked in commit order, none is left behind, the screens show rows not yet
linked, and `verify_audit` reports rows left unlinked too long."""

import datetime
import io
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from flows.audit import verify as audit_verify
from flows.models import AuditEntry, Organisation
from flows.models.audit import LINK_CHUNK, AuditHead, link_now, link_pending
from flows.services.audit import audit_link_pending, audit_record

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two writers at once: SQLite has one writer at a time (an IMMEDIATE transaction holds the database's "
    "write lock), so there writers wait on each other whatever the audit log does",
)


WAITING = (
    "%(n)s audit rows just written are waiting to be linked into the chain (they are linked moments after their "
    "transaction commits)."
)


def verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as e:
        status = e.returncode
        err.write(f"{e}\n")
    return status, out.getvalue() + err.getvalue()


def org():
    return Organisation.objects.get(code="JC")


def unlinked():
    return AuditEntry.objects.filter(seq__isnull=True)


@pytest.mark.django_db(transaction=True)
def test_a_row_is_linked_when_its_transaction_commits(demo):
    with transaction.atomic():
        row = audit_record(actor=None, action="test.step", subject=org())
        AuditEntry.objects.bulk_create([AuditEntry(action="bulk", subject_type="x", subject_id=str(i)) for i in (1, 2)])
        assert AuditEntry.objects.get(pk=row.pk).seq is None  # not inside the writer's transaction
    row.refresh_from_db()
    head = AuditHead.objects.get()
    assert not unlinked().exists()
    assert head.seq == AuditEntry.objects.count() and row.seq == head.seq - 2
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeps_link_rows_left_waiting(demo):
    """A process that dies between its commit and the link leaves its rows waiting: the sweep's step links them."""
    with connection.cursor() as c:  # committed, and nobody asked to link it
        c.execute(
            "INSERT INTO flows_auditentry (at, action, subject_type, subject_id, from_value, to_value, comment,"
            " prev_hash, hash) VALUES (%s, 'orphan', 'x', '1', '', '', '', '', '')",
            [timezone.now()],
        )
    assert unlinked().count() == 1
    status, out = verify()
    assert status == 0 and gettext(WAITING) % {"n": 1} in out
    assert audit_link_pending() == 1
    assert not unlinked().exists() and verify()[0] == 0
    assert audit_link_pending() == 0


def test_link_pending_inside_a_transaction_waits_for_its_commit(demo):
    with transaction.atomic():
        audit_record(actor=None, action="test.step", subject=org())
        assert link_pending() == 0
    assert unlinked().count() == 1  # the test's transaction never commits


def test_rows_not_yet_linked_show_on_the_history_screens_and_sort_last_by_seq(demo):
    from flows.selectors.assessments import assessment_history
    from tests import cycle_helpers as h

    cycle = h.open_cycle()
    a = h.assessment_of(cycle)
    h.do_self_assessment(a)
    assert unlinked().filter(subject_type="flows.assessment", subject_id=str(a.pk)).exists()
    actions = [row.action for row in assessment_history(a)]
    assert "assessment.submit_self" in actions
    newest = AuditEntry.objects.latest("id")
    assert newest.seq is None
    assert AuditEntry.objects.order_by("-seq").first() == newest  # on either database, whatever its NULL order
    assert AuditEntry.objects.order_by("seq").last() == newest
    assert AuditEntry.objects.order_by("seq").first().seq == 1


def test_verify_reports_rows_left_unlinked_past_the_grace(demo, monkeypatch):
    monkeypatch.setattr(audit_verify, "SETTLE", 0)
    with transaction.atomic():
        fresh = audit_record(actor=None, action="test.step", subject=org())
    status, out = verify()
    assert status == 0 and "审计链完整" in out and gettext(WAITING) % {"n": 1} in out
    old = AuditEntry(
        action="test.old", subject_type="x", subject_id="1", at=timezone.now() - datetime.timedelta(hours=1)
    )
    old.save()
    status, out = verify()
    assert status == 1
    assert f"ID {old.pk}" in out and "test.old" in out and "run_sweeps" in out
    assert gettext("rows left unlinked") in out and "审计链已被破坏" in out
    assert verify("--grace", "120")[0] == 0
    link_now()
    assert verify()[0] == 0
    fresh.refresh_from_db()
    assert fresh.seq is not None


def test_a_row_that_looks_old_but_is_linked_a_moment_later_is_not_reported(demo, monkeypatch):
    """A long transaction's rows carry the time they were written: when it commits they can look overdue for the
    moment before they are linked. The check looks again before it reports them."""
    old = AuditEntry(
        action="test.old", subject_type="x", subject_id="1", at=timezone.now() - datetime.timedelta(hours=1)
    )
    old.save()
    slept = []
    monkeypatch.setattr(audit_verify.time, "sleep", lambda s: (slept.append(s), link_now()))
    report = audit_verify.verify_chain(grace=datetime.timedelta(minutes=10), settle=60)
    assert report.ok, report.broken
    assert slept and 0 < slept[0] <= 60


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_while_another_transaction_with_audit_rows_is_open(demo):
    """PostgreSQL, two connections: one transaction writes many audit rows (as a long import does) and stays open;
    meanwhile another writes its own row and commits at once, and its row is linked at once. The long one's rows
    are linked when it commits, after the other's (commit order), though their ids are lower."""
    wrote, release, errors = threading.Event(), threading.Event(), []
    subject = org()

    def long_import():
        try:
            with transaction.atomic():
                AuditEntry.objects.bulk_create(
                    [AuditEntry(action="import.row", subject_type="x", subject_id=str(i)) for i in range(500)]
                )
                wrote.set()
                release.wait(30)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            connection.close()

    thread = threading.Thread(target=long_import)
    thread.start()
    try:
        assert wrote.wait(30)
        started = time.perf_counter()
        with transaction.atomic():
            row = audit_record(actor=None, action="test.claim", subject=subject)
        took = time.perf_counter() - started
        row.refresh_from_db()
        assert took < 2 and row.seq is not None, took
        assert thread.is_alive()  # the import is still open
    finally:
        release.set()
        thread.join(30)
    assert errors == []
    imported = AuditEntry.objects.filter(action="import.row")
    assert imported.count() == 500 and not imported.filter(seq__isnull=True).exists()
    assert max(imported.values_list("id", flat=True)) < row.pk
    assert min(imported.values_list("seq", flat=True)) == row.seq + 1
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_writers_linking_step_links_its_own_rows_and_the_sweep_the_rest(demo):
    """A writer's step links the rows its transaction wrote, not a big import's that committed just before (their
    own step links those); rows whose writer's step never ran wait for the sweep, or for a writer that inserts by
    COPY (its step links every committed row, not knowing its rows' ids). A big write is linked a chunk per short
    transaction."""
    with connection.cursor() as c:  # committed rows whose linking step never ran
        c.executemany(
            "INSERT INTO flows_auditentry (at, action, subject_type, subject_id, from_value, to_value, comment,"
            " prev_hash, hash) VALUES (%s, 'import.row', 'x', %s, '', '', '', '', '')",
            [(timezone.now(), str(i)) for i in range(LINK_CHUNK + 150)],
        )
    with transaction.atomic():
        claim = audit_record(actor=None, action="test.claim", subject=org())
    claim.refresh_from_db()
    assert claim.seq == AuditHead.objects.get().seq  # linked at once, after its own commit
    assert unlinked().count() == LINK_CHUNK + 150
    assert audit_link_pending() == LINK_CHUNK + 150
    assert verify()[0] == 0

    with transaction.atomic():
        big = AuditEntry.objects.bulk_create(
            [AuditEntry(action="import.big", subject_type="x", subject_id=str(i)) for i in range(2 * LINK_CHUNK + 5)]
        )
    assert not unlinked().exists()
    seqs = list(AuditEntry.objects.filter(pk__in=[b.pk for b in big]).order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(seqs[0], seqs[0] + len(big)))

    from flows.models.audit import link

    with connection.cursor() as c:
        c.execute(
            "INSERT INTO flows_auditentry (at, action, subject_type, subject_id, from_value, to_value, comment,"
            " prev_hash, hash) VALUES (%s, 'orphan', 'x', '1', '', '', '', '', '')",
            [timezone.now()],
        )
    with transaction.atomic():  # a COPY-style writer: rows from `link`, inserted by the writer itself
        [row] = link([(timezone.now(), None, "copied", "x", "2", "", "", "")])
        with connection.cursor() as c:
            c.execute(
                "INSERT INTO flows_auditentry (at, actor_id, action, subject_type, subject_id, from_value, to_value,"
                " comment, seq, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                row,
            )
    assert not unlinked().exists()
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_a_link_that_fails_after_commit_is_logged_and_the_step_stands(demo, monkeypatch, caplog):
    """Found by the deadline-day load test: on SQLite under load the link after commit can meet "database is
    locked". The step has committed, so the writer must not fail (the user was shown a 500 for a saved step, because
    Django's log line for the failed hook could not name it): the failure is logged and the sweep links the row."""
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("flows.models.audit.link_rows", locked)
    with caplog.at_level("ERROR", logger="django.db.backends.base"):
        with transaction.atomic():
            row = audit_record(actor=None, action="test.step", subject=org())
    assert AuditEntry.objects.filter(pk=row.pk).exists()  # committed
    assert "link_after_commit" in caplog.text and "database is locked" in caplog.text
    assert unlinked().filter(pk=row.pk).exists()
    monkeypatch.undo()
    assert audit_link_pending() >= 1 and not unlinked().exists()
