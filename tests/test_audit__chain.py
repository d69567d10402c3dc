"""The audit log is append-only and hash-chained: `verify_audit` finds any change, deletion or cut, names the first
broken row, and exits 1; nothing changes or deletes a row through the ORM, the admin or (guarded) SQL.

Rows are written unlinked and linked after their transaction commits (tests/test_audit__linking.py); these tests
run inside one rolled-back transaction, so they link what they wrote with `link_now` before looking at the chain."""

import datetime
import hashlib
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from flows.audit import chain as audit_chain
from flows.audit import guard as audit_guard
from flows.models import AuditEntry, Organisation, User
from flows.models.audit import AppendOnlyError, AuditHead, link_now
from flows.services.audit import audit_record

pytestmark = pytest.mark.django_db


def verify(*args):
    """Run `manage.py verify_audit`: (exit status, output)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as e:  # what manage.py prints last, before exiting with the status
        status = e.returncode
        err.write(f"{e}\n")
    return status, out.getvalue() + err.getvalue()


def write(n, action="test.step"):
    """n rows, linked (inside the test's transaction: there is no commit to link them after)."""
    org = Organisation.objects.get(code="JC")
    actor = User.objects.get(username="zuzhibu")
    with transaction.atomic():
        rows = [
            audit_record(actor=actor, action=action, subject=org, from_value=i, to_value=i + 1, comment=f"第{i}步")
            for i in range(n)
        ]
    link_now()
    for row in rows:
        row.refresh_from_db()
    return rows


def tamper(sql, params=()):
    """Raw SQL past the database's guard (lifted only inside this test's transaction)."""
    audit_guard.lift(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rewrite_tail(*, after, rows):
    """What someone with the database can do: forge the first of `rows` (the rows after `after`, in order), re-hash
    every one after it and move the head, so that the chain verifies again on its own."""
    prev = after.hash
    for r in rows:
        to_value = "伪造" if r is rows[0] else r.to_value
        digest = audit_chain.row_hash(
            r.seq,
            r.at,
            r.actor_id,
            r.action,
            r.subject_type,
            r.subject_id,
            r.from_value,
            to_value,
            r.comment,
            prev_hash=prev,
        )
        tamper(
            "UPDATE flows_auditentry SET to_value = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [to_value, prev, digest, r.pk],
        )
        prev = digest
    tamper("UPDATE flows_audithead SET hash = %s", [prev])


def test_rows_chain_and_the_command_says_so_in_chinese(demo):
    rows = write(5)
    seqs = [r.seq for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    total = AuditEntry.objects.count()
    status, out = verify()
    assert status == 0
    assert f"已核验 {total} 条审计记录" in out and "审计链完整" in out
    assert f"序号 {rows[-1].seq}，哈希 {rows[-1].hash}" in out


def test_the_hash_is_the_documented_serialisation():
    """Anyone can recompute a row's hash from the row itself, with JSON and SHA-256."""
    row = write(1)[0]
    row.refresh_from_db()
    text = json.dumps(
        [
            "zrz-audit-v1",
            row.seq,
            row.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            row.actor_id,
            row.action,
            row.subject_type,
            row.subject_id,
            row.from_value,
            row.to_value,
            row.comment,
            row.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert hashlib.sha256(text.encode()).hexdigest() == row.hash
    assert row.comment == "第0步" and row.to_value == "1"
    assert AuditHead.objects.get().seq == row.seq and AuditHead.objects.get().hash == row.hash


def test_a_write_asks_nothing_of_the_chain_inside_its_transaction(demo):
    """The writer's transaction inserts its row and nothing else: no read, no lock of the chain head (on PostgreSQL
    the head was row-locked until the writer committed, so one long import held up every audited write). Linking
    is left to after the commit, once per transaction."""
    from django.test.utils import CaptureQueriesContext

    from flows.models.audit import _Linker

    org = Organisation.objects.get(code="JC")
    with transaction.atomic():
        audit_record(actor=None, action="warm", subject=org)
        with CaptureQueriesContext(connection) as queries:
            row = audit_record(actor=None, action="test.step", subject=org)
            AuditEntry.objects.bulk_create([AuditEntry(action="bulk", subject_type="x", subject_id="1")])
        linkers = [entry[1] for entry in connection.run_on_commit if isinstance(entry[1], _Linker)]
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2 and all(q.startswith("INSERT") for q in sql), sql
    assert not any("flows_audithead" in q for q in sql)
    assert (row.seq, row.prev_hash, row.hash) == (None, "", "")
    assert len(linkers) == 1 and len(linkers[0].ids) == 3  # one step, for the three rows


def test_bulk_writers_chain_their_rows(demo):
    first = write(1)[0]
    with transaction.atomic():
        made = AuditEntry.objects.bulk_create(
            [AuditEntry(action="bulk", subject_type="x", subject_id=str(i)) for i in range(30)], batch_size=7
        )
    assert all(m.seq is None for m in made)
    assert link_now(chunk=8) == 30  # several short chunks, each after the last
    made = list(AuditEntry.objects.filter(pk__in=[m.pk for m in made]).order_by("id"))
    assert [m.seq for m in made] == list(range(first.seq + 1, first.seq + 31))
    from flows.services.people import roster_import

    org = Organisation.objects.get(code="JC-QS-HT-01")
    with transaction.atomic():
        roster_import(
            by=User.objects.get(username="zuzhibu"),
            people=[{"username": f"chain{i}", "real_name": f"链{i}"} for i in range(3)],
            roles=[
                {"username": f"chain{i}", "organisation": org, "role": "member", "start": datetime.date(2026, 1, 1)}
                for i in range(3)
            ],
        )
    assert link_now() == 6
    assert AuditEntry.objects.filter(action__in=["person.create", "role.assign"], seq__gt=made[-1].seq).count() == 6
    assert verify()[0] == 0


def test_the_orm_refuses_to_change_or_delete(demo):
    row = write(1)[0]
    row.comment = "改过"
    with pytest.raises(AppendOnlyError, match="不能修改"):
        row.save()
    with pytest.raises(AppendOnlyError, match="不能删除"):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=row.pk).update(comment="改过")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=row.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.bulk_update([row], ["comment"])
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEntry.objects.update_or_create(pk=row.pk, defaults={"comment": "改过"})
    row.refresh_from_db()
    assert row.comment == "第0步"
    assert verify()[0] == 0


def test_the_database_refuses_update_delete_and_an_insert_off_the_chain(demo):
    row = write(1)[0]
    for sql in (
        "UPDATE flows_auditentry SET comment = 'x' WHERE id = %s",
        "UPDATE flows_auditentry SET seq = NULL, prev_hash = '', hash = '' WHERE id = %s",  # unlinking
        "DELETE FROM flows_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
            c.execute(sql, [row.pk])
    with pytest.raises(DatabaseError, match="inserted unlinked"), transaction.atomic(), connection.cursor() as c:
        c.execute(
            "INSERT INTO flows_auditentry (seq, at, action, subject_type, subject_id, from_value, to_value, comment,"
            " prev_hash, hash) VALUES (%s, %s, 'forged', 'x', '1', '', '', '', %s, %s)",
            [row.seq + 1, row.at, row.hash, "f" * 64],
        )
    assert AuditEntry.objects.filter(pk=row.pk, comment="第0步").exists()
    assert not AuditEntry.objects.filter(action="forged").exists()
    assert audit_guard.missing(connection) == []


def test_the_database_accepts_only_a_link_that_continues_the_head_and_keeps_the_content(demo):
    last = write(1)[0]
    org = Organisation.objects.get(code="JC")
    with transaction.atomic():
        row = audit_record(actor=None, action="test.step", subject=org, to_value="原值")
    link = "UPDATE flows_auditentry SET seq = %s, prev_hash = %s, hash = %s{more} WHERE id = %s"
    for more, seq, prev, match in (
        ("", last.seq + 2, last.hash, "continue the chain"),  # a gap
        ("", last.seq + 1, "e" * 64, "continue the chain"),  # not after the head's hash
        (", to_value = '改过'", last.seq + 1, last.hash, "append-only"),  # a link that changes the content
    ):
        with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as c:
            c.execute(link.format(more=more), [seq, prev, "d" * 64, row.pk])
    row.refresh_from_db()
    assert (row.seq, row.hash, row.to_value) == (None, "", "原值")
    assert link_now() == 1
    row.refresh_from_db()
    assert (row.seq, row.prev_hash) == (last.seq + 1, last.hash)
    assert AuditHead.objects.get().seq == row.seq and AuditHead.objects.get().hash == row.hash
    assert verify()[0] == 0


def test_the_admin_shows_the_log_read_only(demo, client):
    row = write(1)[0]
    client.force_login(User.objects.get(username="admin"))
    listing = client.get("/admin/flows/auditentry/")
    assert listing.status_code == 200 and "/admin/flows/auditentry/add/" not in listing.content.decode()
    page = client.get(f"/admin/flows/auditentry/{row.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body and "/delete/" not in body
    assert client.get("/admin/flows/auditentry/add/").status_code == 403
    assert client.post(f"/admin/flows/auditentry/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"/admin/flows/auditentry/{row.pk}/change/", {"comment": "改过"})
    row.refresh_from_db()
    assert row.comment == "第0步"


def test_a_changed_content_is_found_at_its_row(demo):
    rows = write(5)
    target = rows[2]
    tamper("UPDATE flows_auditentry SET comment = %s WHERE id = %s", ["无事发生", target.pk])
    status, out = verify()
    assert status == 1
    assert f"序号 {target.seq}，ID {target.pk}" in out and "test.step" in out
    assert "内容被改动" in out and "审计链已被破坏" in out


def test_a_changed_hash_is_found_at_its_row(demo):
    rows = write(5)
    target = rows[1]
    tamper("UPDATE flows_auditentry SET hash = %s WHERE id = %s", ["a" * 64, target.pk])
    status, out = verify()
    assert status == 1
    assert f"序号 {target.seq}，ID {target.pk}" in out and "哈希值被改动" in out


def test_a_row_rewritten_and_rehashed_breaks_the_next_link(demo):
    rows = write(5)
    target = rows[2]
    forged = audit_chain.row_hash(
        target.seq,
        target.at,
        target.actor_id,
        target.action,
        target.subject_type,
        target.subject_id,
        target.from_value,
        "伪造",
        target.comment,
        prev_hash=target.prev_hash,
    )
    tamper("UPDATE flows_auditentry SET to_value = %s, hash = %s WHERE id = %s", ["伪造", forged, target.pk])
    status, out = verify()
    assert status == 1
    assert f"序号 {rows[3].seq}，ID {rows[3].pk}" in out and "链接断开" in out


def test_a_deleted_middle_row_is_a_gap(demo):
    rows = write(5)
    tamper("DELETE FROM flows_auditentry WHERE id = %s", [rows[2].pk])
    status, out = verify()
    assert status == 1
    assert f"序号 {rows[3].seq}，ID {rows[3].pk}" in out
    assert "序号中断" in out and f"{rows[2].seq}–{rows[2].seq}" in out


def test_a_cut_tail_is_found_by_the_recorded_head(demo):
    rows = write(5)
    tamper("DELETE FROM flows_auditentry WHERE seq >= %s", [rows[3].seq])
    status, out = verify()
    assert status == 1
    assert "末尾记录被截去" in out and f"{rows[3].seq}–{rows[4].seq}" in out


def test_a_rewritten_history_shows_only_against_a_head_kept_elsewhere(demo):
    """The limit, honestly: rewrite a row, re-hash everything after it and move the head, and the chain verifies
    again; a head recorded earlier outside the database still catches it."""
    rows = write(4)
    kept = f"{rows[-1].seq}:{rows[-1].hash}"
    assert verify("--expect", kept)[0] == 0
    rewrite_tail(after=rows[0], rows=rows[1:])
    assert verify()[0] == 0
    status, out = verify("--expect", kept)
    assert status == 1 and f"序号 {rows[-1].seq}，ID {rows[-1].pk}" in out and "此前记录的链尾" in out


def test_a_bad_expect_is_a_usage_error():
    status, out = verify("--expect", "12:nothex")
    assert status == 2 and "SEQ:HASH" in out


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_writers_keep_one_gap_free_chain(demo):
    threads_n, each = 8, 15
    before = AuditEntry.objects.count()
    org = Organisation.objects.get(code="JC")
    barrier = threading.Barrier(threads_n)
    errors = []

    def worker(i):
        try:
            barrier.wait()
            for j in range(each):
                with transaction.atomic():
                    audit_record(actor=None, action="race", subject=org, to_value=f"{i}-{j}")
                    if j % 5 == 0:  # a bulk writer among them
                        AuditEntry.objects.bulk_create(
                            [
                                AuditEntry(action="race.bulk", subject_type="x", subject_id=f"{i}-{j}-{k}")
                                for k in range(3)
                            ]
                        )
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    written = threads_n * each + threads_n * 3 * 3
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == before + written
    assert seqs == list(range(1, len(seqs) + 1))
    status, out = verify()
    assert status == 0 and f"已核验 {len(seqs)} 条审计记录" in out


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_puts_the_guard_back(demo):
    write(2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0 and audit_guard.missing(connection) == []
    from flows.services.demo import demo_load

    demo_load()  # the chain starts again from its genesis
    assert AuditEntry.objects.order_by("seq").first().prev_hash == audit_chain.GENESIS
    assert AuditEntry.objects.order_by("seq").first().seq == 1
    assert verify()[0] == 0


def test_heads_printed_earlier_are_checked_from_a_file(demo, tmp_path):
    """Issue 22: the heads printed on results pages, notices and Excel sheets, collected in a file (either form),
    are all checked; a tail rewritten and re-hashed after any of them is caught."""
    rows = write(6)
    heads = tmp_path / "heads.txt"
    heads.write_text(
        f"审计链头 序号 {rows[1].seq}，哈希 {rows[1].hash}\n"
        f"{rows[2].seq} · {rows[2].hash}\n{rows[-1].seq}:{rows[-1].hash}\n",
        encoding="utf-8",
    )
    status, out = verify("--expect-file", str(heads))
    assert status == 0 and "2" in out
    rewrite_tail(after=rows[3], rows=rows[4:])
    assert verify()[0] == 0  # without a head kept elsewhere the rewrite does not show
    assert verify("--expect-file", str(heads))[0] == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("not a head\n", encoding="utf-8")
    assert verify("--expect-file", str(bad))[0] == 2
