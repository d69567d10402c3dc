"""Results an outsider can verify (issue 22, the ballots): a receipt binds the evaluation and the marks, the voter
sees their marks and their ballot's seal, closing seals the count (a digest of every ballot's line and the totals,
in the audit log, on the results page and in the Excel tally), the database refuses any change to a closed count,
a results file recounts with the standalone verifier (`python -m zerenzhi_verify tally`), and the order in which
the ballot tables are stored says nothing about the order of casting.

The seal and digest are recomputed here from the rules as the results page states them (hashlib only), not by
calling the application's own functions."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from openpyxl import load_workbook

from flows.audit import ballot_guard
from flows.models import AuditEntry, Ballot, BallotMark, Satisfaction
from flows.services import ballots as svc
from tests.ballot_helpers import issue_groups, mass_campaign, vote

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SAT, BAS, DIS = Satisfaction.SATISFIED.value, Satisfaction.BASICALLY.value, Satisfaction.DISSATISFIED.value


def stated_seal(evaluation: str, receipt: str, marks: list[tuple[int, str, str]]) -> str:
    text = ",".join(sorted(f"{s}:{d}:{a}" for s, d, a in marks))  # plain codes need no percent-encoding
    return hashlib.sha256(f"zerenzhi-ballot-2|{evaluation}|{receipt.replace('-', '')}|{text}".encode()).hexdigest()


def recount(tmp_path, client, campaign, *args):
    response = client.get(reverse("ballot_results_file", args=[campaign.public_id]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    path = tmp_path / f"results-{campaign.public_id}.json"
    path.write_bytes(response.content)
    done = subprocess.run(
        [sys.executable, "-m", "zerenzhi_verify", "tally", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_a_receipt_binds_the_marks_and_the_voter_sees_them(demo, client):
    c, _a, officer = mass_campaign(k=3)
    _batch, codes = svc.tokens_issue(by=officer, campaign=c, count=3, group="党员")
    subject = c.subjects.get()
    page = client.post(
        reverse("ballot_cast", args=[c.public_id]), {"code": codes[0], f"m_{subject.pk}_": BAS}
    ).content.decode()
    receipt = page.split('id="receipt">')[1].split("<")[0]
    seal = stated_seal(c.public_id, receipt, [(subject.pk, "", BAS)])
    assert Ballot.objects.get(campaign=c).seal == seal
    assert seal in page and subject.label in page and "基本满意" in page  # the voter sees their own marks
    # nothing of the count is published while voting is open
    assert client.get(reverse("ballot_results_file", args=[c.public_id])).status_code == 404


def test_closing_seals_the_count_and_anyone_can_recount_it(demo, client, tmp_path):
    c, _a, officer = mass_campaign(k=3)
    groups = issue_groups(c, officer, {"党员": 4, "群众代表": 3, "服务对象": 1})
    receipts = []
    for group, answers in (("党员", [SAT, SAT, BAS, SAT]), ("群众代表", [DIS, BAS, SAT]), ("服务对象", [SAT])):
        for code, answer in zip(groups[group], answers, strict=True):
            receipts.append(vote(c, code, answer))
    svc.campaign_close(by=officer, campaign=c)

    row = AuditEntry.objects.get(action="campaign.seal", subject_id=str(c.pk))
    lines = sorted(
        f"{b.seal} {','.join(f'{m.subject_id}::{m.value}' for m in b.marks.all())}\n" for b in c.ballots.all()
    )
    assert row.to_value == hashlib.sha256("".join(lines).encode()).hexdigest()
    assert json.loads(row.comment)["ballots"] == 8

    body = client.get(reverse("ballot_results", args=[c.public_id])).content.decode()
    assert row.to_value in body and 'data-seal-matches="yes"' in body and "zerenzhi-ballot-2" in body
    mine = client.post(reverse("ballot_results", args=[c.public_id]), {"receipt": receipts[4].lower()})
    assert "不满意" in mine.content.decode()  # the voter's own ballot with its marks as counted

    code, out = recount(tmp_path, client, c)
    assert code == 0, out
    assert row.to_value in out
    code, out = recount(tmp_path, client, c, "--receipt", receipts[4])
    assert code == 0 and "your receipt's ballot is in the count" in out and "dissatisfied" in out, out
    code, out = recount(tmp_path, client, c, "--receipt", "ABCDE-FGHJK")
    assert code == 1, out

    client.force_login(officer)
    xlsx = client.get(reverse("excel_export_tally", args=[c.pk]))
    values = [v for r in load_workbook(filename=_save(tmp_path, xlsx)).active.iter_rows(values_only=True) for v in r]
    assert row.to_value in values and "与封存一致" in values


def _save(tmp_path, response) -> str:
    path = tmp_path / "tally.xlsx"
    path.write_bytes(b"".join(response.streaming_content) if response.streaming else response.content)
    return str(path)


def test_the_database_refuses_any_change_to_a_closed_count_and_a_forced_one_shows(demo, client, tmp_path):
    c, _a, officer = mass_campaign(k=3)
    _batch, codes = svc.tokens_issue(by=officer, campaign=c, count=3, group="党员")
    for code in codes:
        vote(c, code, SAT)
    svc.campaign_close(by=officer, campaign=c)
    mark = BallotMark.objects.filter(ballot__campaign=c).first()
    ballot = Ballot.objects.filter(campaign=c).first()
    table_mark, table_ballot = BallotMark._meta.db_table, Ballot._meta.db_table
    for sql, params in (
        (f"UPDATE {table_mark} SET value = %s WHERE id = %s", [DIS, mark.pk.hex if _sqlite() else mark.pk]),
        (f"DELETE FROM {table_mark} WHERE id = %s", [mark.pk.hex if _sqlite() else mark.pk]),
        (f"UPDATE {table_ballot} SET seal = %s WHERE id = %s", ["0" * 64, ballot.pk.hex if _sqlite() else ballot.pk]),
        (f"DELETE FROM {table_ballot} WHERE id = %s", [ballot.pk.hex if _sqlite() else ballot.pk]),
    ):
        with pytest.raises(DatabaseError, match="sealed"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    assert BallotMark.objects.get(pk=mark.pk).value == SAT

    # someone with the database's owner rights drops the guard and changes a mark: the page and the recount say so
    with transaction.atomic():
        ballot_guard.lift(connection)
        BallotMark.objects.filter(pk=mark.pk).update(value=DIS)
        ballot_guard.install(connection)
    body = client.get(reverse("ballot_results", args=[c.public_id])).content.decode()
    assert 'data-seal-matches="no"' in body
    code, out = recount(tmp_path, client, c)
    assert code == 1 and "✗" in out, out


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def test_weighted_scores_recount_with_the_published_weights_and_small_groups_merged(demo, client, tmp_path):
    c, _a, officer = mass_campaign(open_=False, k=3)
    groups = issue_groups(c, officer, {"党员": 4, "群众代表": 4, "服务对象": 2, "网格员": 1})
    svc.campaign_weights_set(
        by=officer,
        campaign=c,
        weights={"党员": "2", "群众代表": "1", "服务对象": "1.5", "网格员": "3"},
        min_turnout_percent="",
    )
    svc.campaign_open(by=officer, campaign=c)
    for group, answer in (("党员", SAT), ("群众代表", BAS), ("服务对象", DIS), ("网格员", SAT)):
        for code in groups[group]:
            vote(c, code, answer)
    svc.campaign_close(by=officer, campaign=c)
    data = json.loads(client.get(reverse("ballot_results_file", args=[c.public_id])).content)
    by_group = data["scores"][0]["by_group"]
    assert len(by_group) == 3 and any("/" in g["weight"] for g in by_group)  # 服务对象 and 网格员 counted together
    code, out = recount(tmp_path, client, c)
    assert code == 0, out
    # a published score changed by one hundredth is caught
    data["scores"][0]["score"] = str(float(data["scores"][0]["score"]) + 0.01)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "zerenzhi_verify", "tally", str(forged)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1 and "≠" in done.stdout


def _casting_order_as_stored(campaign, cast_order: dict) -> tuple[list[int], list[int]]:
    """The casting position of each ballot and of each mark, read in physical order (rowid / ctid)."""
    physical = "rowid" if _sqlite() else "ctid"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT receipt_hash FROM {Ballot._meta.db_table} WHERE campaign_id = %s ORDER BY {physical}",
            [campaign.pk],
        )
        ballots = [cast_order[h] for (h,) in cur.fetchall()]
        cur.execute(
            f"SELECT b.receipt_hash FROM {BallotMark._meta.db_table} m JOIN {Ballot._meta.db_table} b "
            f"ON b.id = m.ballot_id WHERE b.campaign_id = %s ORDER BY m.{physical}",
            [campaign.pk],
        )
        return ballots, [cast_order[h] for (h,) in cur.fetchall()]


def _spearman(order: list[int]) -> float:
    """Rank correlation between storage position and casting order (both are permutations of 0..n-1)."""
    n = len(order)
    d2 = sum((pos - cast) ** 2 for pos, cast in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


@pytest.mark.django_db(transaction=True)
def test_the_storage_order_says_nothing_about_the_casting_order(demo):
    """Each cast commits on its own, as on a voting day (inside one test transaction PostgreSQL could not reclaim
    the space an update frees on its page, which no real vote would see)."""
    c, _a, officer = mass_campaign(k=3)
    n = 1000
    _batch, codes = svc.tokens_issue(by=officer, campaign=c, count=n, group="党员")
    cast_order, cast_receipts = {}, []
    for i, code in enumerate(codes):
        receipt = vote(c, code, [SAT, BAS, DIS][i % 3])
        cast_order[svc.receipt_hash(receipt)] = i
        cast_receipts.append(receipt)
    ballots, marks = _casting_order_as_stored(c, cast_order)
    assert len(ballots) == len(marks) == n
    rho = (_spearman(ballots), _spearman(marks))
    print(f"storage order vs casting order, Spearman rho: ballots {rho[0]:.3f}, marks {rho[1]:.3f}")
    assert abs(rho[0]) < 0.1 and abs(rho[1]) < 0.1, rho
    # the swaps kept each ballot's marks with it: every seal still matches its receipt and its marks
    receipts = {h: r for r, h in ((r, svc.receipt_hash(r)) for r in cast_receipts)}
    for b in c.ballots.prefetch_related("marks"):
        marks = [(m.subject_id, m.dimension, m.value) for m in b.marks.all()]
        assert b.seal == stated_seal(c.public_id, receipts[b.receipt_hash], marks)
    assert {v: c.ballots.filter(marks__value=v).count() for v in (SAT, BAS, DIS)} == {SAT: 334, BAS: 333, DIS: 333}


@pytest.mark.django_db(transaction=True)
def test_casts_stored_together_keep_the_storage_order_random_and_every_code_once(demo):
    """The same through ballots_cast_together, as the ballot door casts (on PostgreSQL: the batch statements): batches
    of 1 to 16 casts, each committed, some codes cast twice in a batch or again in a later one."""
    import random

    c, _a, officer = mass_campaign(k=3)
    n = 1000
    _batch, codes = svc.tokens_issue(by=officer, campaign=c, count=n, group="党员")
    subjects = list(c.subjects.all())
    cast_order, cast_receipts, refused, i = {}, [], 0, 0
    draw = random.Random(22)
    while i < n:
        size = draw.randint(1, 16)
        batch = [(k, codes[k]) for k in range(i, min(i + size, n))]
        batch += draw.sample(batch, min(2, len(batch)))  # the same code twice in a batch
        if i:
            batch.append((None, codes[draw.randrange(i)]))  # a code used in an earlier batch
        outcomes = svc.ballots_cast_together(
            casts=[
                {"campaign": c, "code": code, "marks": {(s.pk, ""): [SAT, BAS, DIS][(k or 0) % 3] for s in subjects}}
                for k, code in batch
            ]
        )
        seen = set()
        for (k, code), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, str):
                assert k is not None and code not in seen  # each code once
                cast_order[svc.receipt_hash(outcome)] = k
                cast_receipts.append(outcome)
                seen.add(code)
            else:
                assert isinstance(outcome, svc.BallotRefused)
                refused += 1
        i += size
    assert len(cast_order) == n and refused > n // 8  # every code voted exactly once
    ballots, marks = _casting_order_as_stored(c, cast_order)
    assert sorted(ballots) == sorted(marks) == list(range(n))
    rho = (_spearman(ballots), _spearman(marks))
    print(f"batches: storage order vs casting order, Spearman rho: ballots {rho[0]:.3f}, marks {rho[1]:.3f}")
    assert abs(rho[0]) < 0.1 and abs(rho[1]) < 0.1, rho
    receipts = {svc.receipt_hash(r): r for r in cast_receipts}
    for b in c.ballots.prefetch_related("marks"):
        marks = [(m.subject_id, m.dimension, m.value) for m in b.marks.all()]
        assert b.seal == stated_seal(c.public_id, receipts[b.receipt_hash], marks)
    assert c.tokens.filter(used=True).count() == n
