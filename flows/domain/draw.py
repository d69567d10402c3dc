"""The 双随机 draw (random targets, random inspectors): a documented, seeded algorithm anyone can re-run.

Algorithm ``zrz-draw-1``. Everything below is a pure function of the recorded inputs, so a draw can be
repeated years later, by hand or by `manage.py verify_draw`, and must give the same result.

Inputs, frozen before the draw (the *snapshot*, stored as canonical JSON and hashed with SHA-256):

* ``population``: the organisations that can be drawn, each ``{"code", "path", "stratum"}``;
* ``pool``: the inspectors, each ``{"id", "name", "paths", "previous"}``: the tree paths of the
  organisations they hold a role in, and the codes of the organisations they checked last time;
* ``params``: ``{"rate": "5", "minimum": 1, "sizes": {stratum: n}, "per_target": 2}``.

The seed: 32 random bytes written as 64 hex digits. Before the draw only its commitment
``sha256(seed)`` is recorded; the seed is revealed with the result. If witnesses add public entropy at
the draw (dice thrown in the meeting, the day's lottery number), the seed used is ``seed + "|" + entropy``.

1. **Sample size per stratum**: ``sizes[stratum]`` when set, else ``max(minimum, ceil(N × rate / 100))``;
   never more than the stratum's N.
2. **Targets**: within each stratum, rank organisations by ``sha256(seed_used + "|target|" + code)``
   (hex, ascending) and take the first n. (Ranking by a keyed hash is the sampling method used in
   public election audits: each organisation's chance is equal and the order is fixed by the seed.)
3. **Inspectors**: take the targets in order of their rank hash. For each, the eligible inspectors are
   those without a conflict of interest: not the target itself nor any organisation in its subtree or
   its leading chain among the inspector's organisations, and not a target the inspector checked last
   time. Order them by (assignments so far, ``sha256(seed_used + "|inspector|" + code + "|" + id)``)
   and take the first ``per_target``. The load term spreads the work; the hash makes the choice random.

Feasibility does not depend on the seed: a target is coverable when it has at least ``per_target``
eligible inspectors; `uncoverable` lists the others, and a plan with any is refused before its seed exists.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal

ALGORITHM = "zrz-draw-1"


def canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def snapshot_hash(snapshot: dict) -> str:
    return hashlib.sha256(canonical(snapshot)).hexdigest()


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def seed_used(seed: str, entropy: str = "") -> str:
    entropy = (entropy or "").strip()
    return f"{seed}|{entropy}" if entropy else seed


def _rank(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def in_conflict(inspector: dict, target: dict) -> bool:
    if target["code"] in inspector["previous"]:
        return True
    t = target["path"]
    return any(t.startswith(p) or p.startswith(t) for p in inspector["paths"])


def eligible(pool: list, target: dict) -> list:
    return [i for i in pool if not in_conflict(i, target)]


def uncoverable(snapshot: dict) -> list[str]:
    """Codes of the organisations that fewer than ``per_target`` inspectors could check."""
    need = snapshot["params"]["per_target"]
    return [t["code"] for t in snapshot["population"] if len(eligible(snapshot["pool"], t)) < need]


def stratum_sizes(snapshot: dict) -> dict[str, tuple[int, int]]:
    """{stratum: (population N, sample n)}."""
    params = snapshot["params"]
    rate, minimum, fixed = Decimal(str(params["rate"])), int(params["minimum"]), params.get("sizes") or {}
    counts: dict[str, int] = {}
    for t in snapshot["population"]:
        counts[t["stratum"]] = counts.get(t["stratum"], 0) + 1
    sizes = {}
    for stratum, n_pop in sorted(counts.items()):
        if stratum in fixed:
            n = int(fixed[stratum])
        else:
            n = max(minimum, math.ceil(n_pop * rate / 100))
        sizes[stratum] = (n_pop, min(n, n_pop))
    return sizes


@dataclass(frozen=True)
class DrawResult:
    sample: list  # codes, in draw order
    assignments: dict  # code -> [inspector ids]

    def as_json(self) -> dict:
        return {"sample": self.sample, "assignments": self.assignments}


def draw(snapshot: dict, seed: str, entropy: str = "") -> DrawResult:
    s = seed_used(seed, entropy)
    sizes = stratum_sizes(snapshot)
    by_stratum: dict[str, list] = {}
    for t in snapshot["population"]:
        by_stratum.setdefault(t["stratum"], []).append(t)
    chosen = []
    for stratum, members in sorted(by_stratum.items()):
        ranked = sorted(members, key=lambda t: (_rank(s, "target", t["code"]), t["code"]))
        chosen.extend(ranked[: sizes[stratum][1]])
    chosen.sort(key=lambda t: (_rank(s, "target", t["code"]), t["code"]))

    per_target = snapshot["params"]["per_target"]
    load = {i["id"]: 0 for i in snapshot["pool"]}
    assignments = {}
    for t in chosen:
        candidates = sorted(
            eligible(snapshot["pool"], t), key=lambda i: (load[i["id"]], _rank(s, "inspector", t["code"], i["id"]))
        )
        picked = [i["id"] for i in candidates[:per_target]]
        if len(picked) < per_target:
            raise ValueError(f"{t['code']}: only {len(picked)} conflict-free inspectors")
        for pk in picked:
            load[pk] += 1
        assignments[t["code"]] = picked
    return DrawResult(sample=[t["code"] for t in chosen], assignments=assignments)
