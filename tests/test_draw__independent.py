"""Issue 22: the draw can be re-done by someone who has only the certificate.

`redo` below is written from the rules the certificate states (its "rules" list, shown on the page, the Excel
sheet and the PDF), with the standard library only: it imports neither flows/domain/draw.py nor zerenzhi_verify.
If the stated rules and the code ever part, this test fails."""

import hashlib
import json
import math
from fractions import Fraction

import pytest
from django.urls import reverse

from tests import spotcheck_helpers as h

pytestmark = pytest.mark.django_db


def h256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redo(cert: dict) -> dict:
    """The ten stated steps, one by one."""
    S = cert["snapshot"]  # step 1
    D = h256(json.dumps(S, ensure_ascii=False, sort_keys=True, separators=(",", ":")))  # step 2
    seed = cert["seed"]
    C = h256("zrz-draw-2|commit|" + seed + "|" + D)  # step 3
    W = cert["draw"]["numbers"]  # step 4 (recorded in its normal form)
    K = h256("zrz-draw-2|key|" + seed + "|" + D + "|" + W)  # step 5

    params = S["params"]
    strata: dict = {}
    for org in S["population"]:
        strata.setdefault(org["stratum"], []).append(org)
    taken = []
    for stratum, orgs in strata.items():  # step 6
        N = len(orgs)
        if stratum in params["sizes"]:
            n = params["sizes"][stratum]
        else:
            n = max(params["minimum"], math.ceil(N * Fraction(params["rate"]) / 100))
        n = min(n, N)

        def target_key(o):
            return (h256(K + "|target|" + o["code"]), o["code"])

        taken += sorted(orgs, key=target_key)[:n]  # step 7
    taken.sort(key=lambda o: (h256(K + "|target|" + o["code"]), o["code"]))

    def conflict(i, o):  # step 8
        return (
            o["code"] in i["previous"]
            or any(o["path"].startswith(p) for p in i["paths"])
            or any(p.startswith(o["path"]) for p in i["paths"])
        )

    load = {i["id"]: 0 for i in S["pool"]}
    assignments = {}
    for o in taken:  # step 9
        free = [i for i in S["pool"] if not conflict(i, o)]
        free.sort(key=lambda i: (load[i["id"]], h256(K + "|inspector|" + o["code"] + "|" + str(i["id"]))))
        chosen = [i["id"] for i in free[: params["per_target"]]]
        for pk in chosen:
            load[pk] += 1
        assignments[o["code"]] = chosen
    return {"D": D, "C": C, "sample": [o["code"] for o in taken], "assignments": assignments}  # step 10


def certificate(client, plan) -> dict:
    client.force_login(plan.created_by)
    response = client.get(reverse("spotcheck_certificate_json", args=[plan.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


@pytest.mark.parametrize("fields", [{}, {"rate_percent": 100, "inspectors_per_target": 1}])
def test_an_independent_reimplementation_from_the_stated_rules_reproduces_the_draw(client, demo, fields):
    plan = h.drawn_plan(**fields)
    cert = certificate(client, plan)
    assert cert["algorithm"] == "zrz-draw-2" and len(cert["rules"]) == 10
    again = redo(cert)
    assert again["D"] == cert["frozen"]["population_digest"] == plan.snapshot_hash
    assert again["C"] == cert["frozen"]["commitment"] == plan.seed_commitment
    assert again["sample"] == cert["result"]["sample"] == plan.result["sample"]
    assert again["assignments"] == cert["result"]["assignments"]
    assert {
        i.organisation.code: [s.inspector_id for s in i.seats.order_by("position")] for i in plan.inspections.all()
    } == {code: ids for code, ids in again["assignments"].items()}


def test_the_certificate_states_the_exact_hash_forms_and_encodings(client, demo):
    plan = h.drawn_plan()
    rules = " ".join(certificate(client, plan)["rules"])
    for exact in (
        "json.dumps(S, ensure_ascii=False, sort_keys=True, separators=(',', ':'))",
        'C = SHA-256("zrz-draw-2|commit|" + seed + "|" + D)',
        'K = SHA-256("zrz-draw-2|key|" + seed + "|" + D + "|" + W)',
        'SHA-256(K + "|target|" + code)',
        'SHA-256(K + "|inspector|" + code + "|" + id)',
        "n = max(minimum, ceil(N * rate / 100))",
        "UTF-8",
        "python -m zerenzhi_verify draw CERTIFICATE.json",
    ):
        assert exact in rules, exact
    page = client.get(reverse("spotcheck_certificate", args=[plan.pk])).content.decode()
    assert "<code>zrz-draw-2|commit|</code>" not in page  # whole formulas are shown, not fragments
    assert "<code>C = SHA-256(&quot;zrz-draw-2|commit|&quot; + seed + &quot;|&quot; + D)</code>" in page
    assert "data-draw-rules" in page and "data-cancelled-plans" in page


def test_a_different_witnessed_number_gives_a_different_draw(demo):
    from flows.domain import draw

    plan = h.drawn_plan(rate_percent=30)
    other = draw.draw_witnessed(plan.snapshot, plan.seed, "3,6,1,5,2,5").as_json()
    assert other != plan.result
