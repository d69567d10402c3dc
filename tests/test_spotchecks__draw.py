"""The 双随机 draw as a pure function (flows/domain/draw.py): properties that must hold for any inputs and any seed."""

import math
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.domain import draw

SECTORS = ["village", "community", "school"]
LEVELS = ["grassroots", "township"]


@st.composite
def snapshots(draw_, feasible=True):
    """A random tree of organisations (paths of 4-character steps), strata, and a pool of inspectors."""
    n = draw_(st.integers(min_value=1, max_value=60))
    population, paths = [], []
    for i in range(n):
        parent = draw_(st.sampled_from(paths)) if paths and draw_(st.booleans()) else "0001"
        path = f"{parent}{i:04d}"
        paths.append(path)
        stratum = f"{draw_(st.sampled_from(SECTORS))}/{draw_(st.sampled_from(LEVELS))}"
        population.append({"code": f"ORG{i:03d}", "path": path, "stratum": stratum})
    codes = [t["code"] for t in population]
    pool = []
    for k in range(draw_(st.integers(min_value=1, max_value=12))):
        own = draw_(st.lists(st.sampled_from(paths), max_size=2, unique=True))
        previous = draw_(st.lists(st.sampled_from(codes), max_size=3, unique=True))
        pool.append({"id": 100 + k, "name": f"督查员{k}", "paths": sorted(own), "previous": sorted(previous)})
    params = {
        "rate": str(draw_(st.sampled_from(["0", "5", "12.5", "33", "100"]))),
        "minimum": draw_(st.integers(min_value=0, max_value=3)),
        "sizes": {},
        "per_target": draw_(st.integers(min_value=1, max_value=3)),
    }
    if draw_(st.booleans()):
        stratum = draw_(st.sampled_from(sorted({t["stratum"] for t in population})))
        params["sizes"] = {stratum: draw_(st.integers(min_value=0, max_value=5))}
    snap = {"algorithm": draw.ALGORITHM, "plan": 1, "params": params, "population": population, "pool": pool}
    if feasible:
        # drop the organisations that could not be covered, as freezing a real plan would refuse them
        missing = set(draw.uncoverable(snap))
        snap["population"] = [t for t in population if t["code"] not in missing]
    return snap


seeds = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@settings(max_examples=150, deadline=None)
@given(snapshots(), seeds, st.text(max_size=12))
def test_the_same_inputs_always_give_the_same_sample_and_assignment(snap, seed, entropy):
    first = draw.draw(snap, seed, entropy)
    again = draw.draw(snap, seed, entropy)
    assert first == again
    # the order in which the population or the pool was listed does not matter
    shuffled = snap | {"population": list(reversed(snap["population"])), "pool": list(reversed(snap["pool"]))}
    assert draw.draw(shuffled, seed, entropy) == first


@settings(max_examples=150, deadline=None)
@given(snapshots(), seeds)
def test_no_inspector_ever_checks_a_conflicted_organisation(snap, seed):
    result = draw.draw(snap, seed)
    by_code = {t["code"]: t for t in snap["population"]}
    by_id = {i["id"]: i for i in snap["pool"]}
    for code, inspectors in result.assignments.items():
        target = by_code[code]
        assert len(inspectors) == len(set(inspectors)) == snap["params"]["per_target"]
        for pk in inspectors:
            inspector = by_id[pk]
            assert code not in inspector["previous"]
            for own in inspector["paths"]:
                assert target["path"] != own
                assert not target["path"].startswith(own), "in the inspector's own subtree"
                assert not own.startswith(target["path"]), "in the inspector's leading chain"


@settings(max_examples=150, deadline=None)
@given(snapshots(), seeds)
def test_every_stratum_gets_its_rate_and_at_least_the_minimum(snap, seed):
    result = draw.draw(snap, seed)
    params = snap["params"]
    population = Counter(t["stratum"] for t in snap["population"])
    stratum_of = {t["code"]: t["stratum"] for t in snap["population"]}
    drawn = Counter(stratum_of[c] for c in result.sample)
    for stratum, n_pop in population.items():
        if stratum in params["sizes"]:
            expected = min(params["sizes"][stratum], n_pop)
        else:
            from decimal import Decimal

            expected = min(n_pop, max(params["minimum"], math.ceil(n_pop * Decimal(params["rate"]) / 100)))
        assert drawn[stratum] == expected
        if stratum not in params["sizes"] and params["minimum"] >= 1:
            assert drawn[stratum] >= 1
    assert len(result.sample) == len(set(result.sample))
    assert set(result.assignments) == set(result.sample)


@settings(max_examples=100, deadline=None)
@given(snapshots(feasible=False))
def test_uncoverable_names_exactly_the_organisations_without_enough_free_inspectors(snap):
    need = snap["params"]["per_target"]
    for target in snap["population"]:
        free = [i for i in snap["pool"] if not draw.in_conflict(i, target)]
        assert (target["code"] in draw.uncoverable(snap)) == (len(free) < need)


def test_a_different_seed_gives_a_different_sample_of_a_large_population():
    population = [{"code": f"ORG{i:04d}", "path": f"0001{i:04d}", "stratum": "village/grassroots"} for i in range(500)]
    pool = [{"id": k, "name": str(k), "paths": [], "previous": []} for k in range(10)]
    snap = {"params": {"rate": "5", "minimum": 1, "sizes": {}, "per_target": 2}, "population": population, "pool": pool}
    a, b = draw.draw(snap, "a" * 64), draw.draw(snap, "b" * 64)
    assert len(a.sample) == len(b.sample) == 25
    assert set(a.sample) != set(b.sample)
    # the load term spreads the work: 50 seats over 10 inspectors, 5 each
    assert Counter(pk for ids in a.assignments.values() for pk in ids) == {k: 5 for k in range(10)}


def test_public_entropy_changes_the_draw_and_the_commitment_is_sha256_of_the_seed():
    import hashlib

    seed = "0f" * 32
    assert draw.commitment(seed) == hashlib.sha256(seed.encode()).hexdigest()
    population = [{"code": f"ORG{i:04d}", "path": f"0001{i:04d}", "stratum": "s"} for i in range(200)]
    snap = {
        "params": {"rate": "5", "minimum": 1, "sizes": {}, "per_target": 1},
        "population": population,
        "pool": [{"id": 1, "name": "甲", "paths": [], "previous": []}],
    }
    assert draw.draw(snap, seed, "3 5 6").sample != draw.draw(snap, seed).sample
