"""Issue 22, "the audit head on paper": what the product hands out carries the audit chain's end as it stood when
it was made, and the steps that fix a result (freezing and drawing a spot check, closing a count, publishing the
ratings) write that head into their own audit rows. A head copied from any of them catches a rewritten history."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from flows.models import AuditEntry, Organisation, Outcome, Satisfaction
from flows.models.audit import link_now
from flows.reports.annual import annual_report
from flows.reports.annual_pdf import annual_report_pdf
from flows.selectors.audit_head import audit_head
from flows.services import ballots as ballot_svc
from flows.services import publications as pub_svc
from tests import cycle_helpers as h
from tests import spotcheck_helpers as sc
from tests.ballot_helpers import issue_groups, mass_campaign, vote
from tests.test_audit__chain import rewrite_tail, verify
from tests.test_reports__annual import _pdf_text

pytestmark = pytest.mark.django_db

HEAD = re.compile(r"head=(\d+):([0-9a-f]{64})")


def _row(action, subject):
    return AuditEntry.objects.filter(action=action, subject_id=str(subject.pk)).order_by("-pk").first()


def _head_in(text: str) -> tuple[int, str]:
    m = HEAD.search(text)
    assert m, text
    return int(m[1]), m[2]


def test_freezing_and_drawing_write_the_head_into_their_own_rows(demo):
    link_now()
    before = audit_head()
    plan = sc.make_plan()
    sc.svc.plan_freeze(by=plan.created_by, plan=plan, source="督查室会议现场掷骰")
    freeze = _row("spotcheck.freeze", plan)
    assert _head_in(freeze.comment) == before  # the chain's end before the freeze's own transaction
    link_now()  # the freeze has committed; its row joins the chain
    after_freeze = audit_head()
    assert after_freeze[0] > before[0]
    sc.svc.plan_draw(by=plan.created_by, plan=plan, numbers=sc.NUMBERS, witnesses=sc.WITNESSES)
    assert _head_in(_row("spotcheck.draw", plan).comment) == after_freeze


def test_closing_writes_digest_totals_and_head_into_the_close_row(demo):
    c, _a, officer = mass_campaign(k=3)
    groups = issue_groups(c, officer, {"党员": 3})
    for code, answer in zip(
        groups["党员"], [Satisfaction.SATISFIED.value, Satisfaction.SATISFIED.value, Satisfaction.BASICALLY.value]
    ):
        vote(c, code, answer)
    link_now()
    head = audit_head()
    ballot_svc.campaign_close(by=officer, campaign=c)
    close = _row("campaign.close", c)
    seal = _row("campaign.seal", c)
    assert f"digest={seal.to_value}" in close.comment and "ballots=3" in close.comment
    assert "totals=" in close.comment and _head_in(close.comment) == head


@pytest.fixture
def rated(demo):
    cycle = h.open_cycle()
    a = h.through_to_review(cycle)
    h.review(a, fraction=Decimal("0.85"), outcome=Outcome.NONE)
    h.settle(cycle)
    return cycle


def test_the_publication_page_and_the_written_report_print_the_head_and_it_catches_a_rewrite(client, rated, tmp_path):
    link_now()
    seq, digest = audit_head()
    officer = h.county_officer()
    pub = pub_svc.publication_open(by=officer, cycle=rated, note="如有异议，请于公示期内反映。")
    client.force_login(officer)
    page = client.get(reverse("publication_detail", args=[pub.pk])).content.decode()
    assert f"{seq} · {digest}" in page
    assert _head_in(_row("publication.open", rated).comment) == (seq, digest)

    link_now()
    report = annual_report(cycle=rated, organisation=Organisation.objects.get(code="JC-QS"), subtree=True, by=officer)
    printed = re.sub(r"\s+", "", _pdf_text(annual_report_pdf(report), tmp_path))
    now_seq, now_hash = audit_head()
    assert f"审计链头序号{now_seq}，哈希{now_hash}" in printed  # beside the signature, as the report was made
    html = client.get(reverse("annual_report", args=[rated.pk]) + "?org=JC-QS&scope=subtree").content.decode()
    assert f"审计链头 序号 {now_seq}，哈希 {now_hash}" in html

    # a history rewritten after the 公示 (a row changed, everything after it re-hashed, the head moved) verifies on
    # its own, but not against the head printed on the 公示 page
    assert verify("--expect", f"{seq}:{digest}")[0] == 0
    rows = list(AuditEntry.objects.filter(seq__isnull=False).order_by("seq"))
    target = next(i for i, r in enumerate(rows) if r.seq == seq - 1)
    rewrite_tail(after=rows[target - 1], rows=rows[target:])
    assert connection.in_atomic_block
    assert verify()[0] == 0
    status, out = verify("--expect", f"{seq}:{digest}")
    assert status == 1 and "此前记录的链尾" in out
