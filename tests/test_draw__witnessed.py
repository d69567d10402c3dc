"""Issue 22: randomness the office cannot choose, a public notice before it is taken, cancelled plans on the record,
and the standalone verifier (`python -m zerenzhi_verify draw FILE`) that needs only the certificate's data file."""

import hashlib
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from flows.models import AuditEntry, PlanState, SpotCheckPlan
from flows.reports import draw_certificate as cert
from flows.services import spotchecks as svc
from tests import spotcheck_helpers as h
from tests.test_spotchecks__draw import snapshots

pytestmark = pytest.mark.django_db


def run_verifier(tmp_path, document, name="certificate.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "zerenzhi_verify", "draw", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},  # no Django settings: it must not need them
    )
    return done.returncode, done.stdout + done.stderr


def test_the_standalone_verifier_accepts_an_untouched_certificate(demo, tmp_path):
    plan = h.drawn_plan()
    status, out = run_verifier(tmp_path, cert.certificate_document(plan))
    assert status == 0, out
    assert "抽签结果与证书所载输入和规则完全一致" in out
    assert plan.seed_commitment in out and "王建华" in out


def test_removing_an_undrawn_organisation_from_the_population_fails_the_verifier(demo, tmp_path):
    plan = h.drawn_plan()
    document = cert.certificate_document(plan)
    undrawn = next(t for t in document["snapshot"]["population"] if t["code"] not in plan.result["sample"])
    document["snapshot"]["population"].remove(undrawn)
    status, out = run_verifier(tmp_path, document)
    assert status == 1, out
    assert "冻结输入被改动" in out
    # rewriting the digest too: the seed no longer opens the published commitment, and the draw comes out otherwise
    document["frozen"]["population_digest"] = hashlib.sha256(
        json.dumps(document["snapshot"], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    status, out = run_verifier(tmp_path, document)
    assert status == 1 and "与冻结时公布的承诺不一致" in out, out


def test_a_changed_witnessed_number_fails_the_verifier(demo, tmp_path):
    plan = h.drawn_plan()
    document = cert.certificate_document(plan)
    document["draw"]["numbers"] = document["draw"]["numbers"][:-1] + (
        "5" if document["draw"]["numbers"][-1] != "5" else "6"
    )
    status, out = run_verifier(tmp_path, document)
    assert status == 1, out
    assert "重新抽签" in out


def test_a_certificate_with_one_witness_or_an_unreadable_file_fails(demo, tmp_path):
    plan = h.drawn_plan()
    document = cert.certificate_document(plan)
    document["draw"]["witnesses"] = document["draw"]["witnesses"][:1]
    assert run_verifier(tmp_path, document)[0] == 1
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "zerenzhi_verify", "draw", str(tmp_path / "broken.json")],
        cwd=settings.BASE_DIR,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2


def test_the_draw_needs_enough_witnessed_digits_and_two_named_witnesses(demo):
    plan = h.make_plan()
    svc.plan_freeze(by=plan.created_by, plan=plan)
    with pytest.raises(ValidationError) as exc:
        svc.plan_draw(by=plan.created_by, plan=plan, numbers="3 6", witnesses=["王建华", " 王建华 "])
    assert set(exc.value.message_dict) == {"numbers", "witnesses"}
    plan.refresh_from_db()
    assert plan.state == PlanState.FROZEN and not plan.result
    svc.plan_draw(
        by=plan.created_by, plan=plan, numbers="第一位见证人：３ 6；第二位：1 5 2", witnesses=["王建华", "李秀英"]
    )
    plan.refresh_from_db()
    assert plan.witnessed_numbers == "3,6,1,5,2" and plan.witnesses == ["王建华", "李秀英"]
    entry = AuditEntry.objects.get(action="spotcheck.draw", subject_id=str(plan.pk))
    assert "numbers=3,6,1,5,2" in entry.comment and "王建华、李秀英" in entry.comment


def test_a_cancelled_frozen_plan_is_listed_with_its_reason_on_the_next_plans_certificate(client, demo):
    first = h.make_plan(name="第一次方案")
    svc.plan_freeze(by=first.created_by, plan=first)
    svc.plan_cancel(by=first.created_by, plan=first, reason="结果不理想")
    draft_only = h.make_plan(name="未冻结即取消")
    svc.plan_cancel(by=draft_only.created_by, plan=draft_only, reason="草稿作废")
    first.refresh_from_db()
    later = h.drawn_plan(name="第二次方案")
    document = cert.certificate_document(later)
    assert [c["plan"] for c in document["cancelled_before"]] == [first.pk]  # a draft never committed to anything
    listed = document["cancelled_before"][0]
    assert listed["reason"] == "结果不理想" and listed["commitment"] == first.seed_commitment
    client.force_login(later.created_by)
    page = client.get(reverse("spotcheck_certificate", args=[later.pk])).content.decode()
    assert f'data-cancelled-plan="{first.pk}"' in page and "结果不理想" in page and first.seed_commitment in page
    pdf = client.get(reverse("spotcheck_certificate_pdf", args=[later.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse("spotcheck_certificate_xlsx", args=[later.pk])).content))
    cells = [str(c) for row in wb["此前取消的方案"].iter_rows(values_only=True) for c in row if c is not None]
    assert "结果不理想" in cells and first.seed_commitment in cells
    rules = [str(c) for row in wb["抽签规则"].iter_rows(values_only=True) for c in row if c is not None]
    assert any("zrz-draw-2|key|" in r for r in rules)


def test_the_public_notice_shows_commitment_and_population_without_login(client, demo):
    plan = h.make_plan()
    assert plan.public_token is None
    svc.plan_freeze(by=plan.created_by, plan=plan, source="2026年某期福利彩票3D开奖号码")
    plan.refresh_from_db()
    url = reverse("spotcheck_notice", args=[plan.public_token])
    response = client.get(url)  # no login
    assert response.status_code == 200
    body = response.content.decode()
    assert plan.seed_commitment in body and plan.snapshot_hash in body and plan.seed not in body
    for t in plan.snapshot["population"]:
        assert t["code"] in body
    assert "福利彩票3D" in body and response["Referrer-Policy"] == "no-referrer"
    assert plan.frozen_head_seq is None or str(plan.frozen_head_seq) in body
    pdf = client.get(reverse("spotcheck_notice_pdf", args=[plan.public_token]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("spotcheck_notice_certificate_json", args=[plan.public_token])).status_code == 404
    assert client.get(reverse("spotcheck_notice", args=["x" * 32])).status_code == 404
    svc.plan_draw(by=plan.created_by, plan=plan, numbers=h.NUMBERS, witnesses=h.WITNESSES)
    document = json.loads(client.get(reverse("spotcheck_notice_certificate_json", args=[plan.public_token])).content)
    assert document["result"]["sample"] == SpotCheckPlan.objects.get(pk=plan.pk).result["sample"]


def test_an_old_plan_without_witnessed_numbers_keeps_its_old_rule_and_says_so(client, demo, tmp_path):
    plan = h.make_plan()
    svc.plan_freeze(by=plan.created_by, plan=plan)
    plan.refresh_from_db()
    # as a plan frozen before issue 22 was stored: zrz-draw-1, commitment sha256(seed), no notice
    from flows.domain import draw

    snapshot = plan.snapshot | {"algorithm": "zrz-draw-1"}
    SpotCheckPlan.objects.filter(pk=plan.pk).update(
        algorithm="zrz-draw-1",
        snapshot=snapshot,
        snapshot_hash=draw.snapshot_hash(snapshot),
        seed_commitment=hashlib.sha256(plan.seed.encode()).hexdigest(),
        public_token=None,
    )
    plan.refresh_from_db()
    svc.plan_draw(by=plan.created_by, plan=plan, entropy="骰子 3 5 2")
    plan.refresh_from_db()
    assert plan.public_entropy == "骰子 3 5 2" and not plan.witnessed_numbers
    # (the audit row of this simulated freeze holds the new hashes: every other check passes)
    failed = [line for line in svc.verify_plan(plan).lines if line.startswith("✗")]
    assert len(failed) == 1 and "审计" in failed[0]
    document = cert.certificate_document(plan)
    assert document["algorithm"] == "zrz-draw-1" and len(document["rules"]) == 1
    status, out = run_verifier(tmp_path, document)
    assert status == 0, out
    assert "旧算法 zrz-draw-1" in out


@settings_(max_examples=100, deadline=None)
@given(
    snapshots(),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.text(alphabet="0123456789 ,", max_size=20),
)
def test_the_standalone_verifier_draws_exactly_as_the_server_for_any_inputs(snap, seed, typed):
    from flows.domain import draw
    from zerenzhi_verify import draw as standalone

    numbers = draw.normalise_numbers(typed)
    key = standalone.sha256_hex(f"zrz-draw-2|key|{seed}|{draw.snapshot_hash(snap)}|{numbers}")
    assert standalone.run_draw(snap, key) == draw.draw_witnessed(snap, seed, numbers).as_json()


def test_the_standalone_verifier_imports_only_the_standard_library():
    probe = (
        "import sys, zerenzhi_verify.__main__, zerenzhi_verify.draw; "
        "ours = {'zerenzhi_verify', '__main__'}; "
        "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names) - ours))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
