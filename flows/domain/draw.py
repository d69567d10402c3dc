"""The 双随机 draw (random targets, random inspectors): a documented, seeded algorithm anyone can re-run.

Two algorithms. ``zrz-draw-2`` (every plan frozen since issue 22) is stated step by step, with its exact hash forms,
in `RULES` below, which the draw certificate prints (page, Excel, PDF, JSON) and `zerenzhi_verify` re-implements
without Django; its randomness is numbers read aloud by witnesses after the plan is frozen and published, mixed
with the committed seed and the population digest. ``zrz-draw-1`` (plans frozen before) is kept so that their
certificates still verify; it is described here:

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
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

ALGORITHM_V1 = "zrz-draw-1"
ALGORITHM = "zrz-draw-2"  # the algorithm of every plan frozen now
MIN_WITNESSED_DIGITS = 5
MIN_WITNESSES = 2


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
    """``zrz-draw-1``: the key is the seed (with the optional entropy appended)."""
    return _draw_with_key(snapshot, seed_used(seed, entropy))


def _draw_with_key(snapshot: dict, s: str) -> DrawResult:
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


# ---- zrz-draw-2: witnessed randomness, the population digest in the commitment and in the key ----------------


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_v2(seed: str, digest: str) -> str:
    """C = SHA-256 of the text ``zrz-draw-2|commit|<seed>|<D>``, published when the plan is frozen."""
    return sha256_hex(f"{ALGORITHM}|commit|{seed}|{digest}")


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_numbers(text: str) -> str:
    """The witnessed numbers as recorded: each run of digits, in the order read, joined by commas ("3 6 1 / 07"
    gives "3,6,1,07"); leading zeros are kept, anything that is not a digit only separates."""
    return ",".join(re.findall(r"[0-9]+", (text or "").translate(_FULL_WIDTH_DIGITS)))


def digit_count(numbers: str) -> int:
    return sum(ch.isdigit() for ch in numbers)


def draw_key(seed: str, digest: str, numbers: str) -> str:
    """K = SHA-256 of the text ``zrz-draw-2|key|<seed>|<D>|<W>``."""
    return sha256_hex(f"{ALGORITHM}|key|{seed}|{digest}|{numbers}")


def draw_witnessed(snapshot: dict, seed: str, numbers: str) -> DrawResult:
    """``zrz-draw-2``: the steps of `RULES`, keyed by K instead of the bare seed."""
    return _draw_with_key(snapshot, draw_key(seed, snapshot_hash(snapshot), numbers))


# What the certificate states, step by step: enough to write the draw again in any language. The texts inside
# backticks are exact (field names, hash inputs, formulas) and are not translated; pages show them as code.
RULES = (
    _(
        "Frozen inputs `S`: the JSON object with the keys `algorithm`, `plan`, `params`, `population` and `pool`, "
        "given in full with this certificate. `population`: the organisations, each `{code, path, stratum}`; "
        "`pool`: the inspectors, each `{id, name, paths, previous}`; `params`: `{rate, minimum, sizes, per_target}`."
    ),
    _(
        "Population digest `D`: the `SHA-256` of the `UTF-8` bytes of `S` written as canonical JSON: object keys "
        "sorted by code point, no spaces, non-ASCII characters written as themselves, i.e. "
        "`json.dumps(S, ensure_ascii=False, sort_keys=True, separators=(',', ':'))`; written as 64 lowercase hex "
        "digits. Removing or adding any organisation changes `D`."
    ),
    _(
        "Seed: 64 lowercase hex digits (32 random bytes) made by the server when the plan is frozen and kept secret "
        'until the draw. Commitment `C = SHA-256("zrz-draw-2|commit|" + seed + "|" + D)`. `C`, `D` and the '
        "whole of `S` are published on the plan's public notice at freezing, before any randomness is taken."
    ),
    _(
        "Witnessed numbers `W`: after the notice is published, at least two named witnesses read numbers aloud (a "
        "public lottery result drawn after the freeze, or dice thrown in front of them). `W` is the runs of the "
        "digits `0-9` in the order read, joined by commas (e.g. `3,6,1,07`; leading zeros kept); at least 5 digits."
    ),
    _(
        'Draw key `K = SHA-256("zrz-draw-2|key|" + seed + "|" + D + "|" + W)`. Every hash here is the '
        "`SHA-256` of the `UTF-8` text, written as 64 lowercase hex digits and compared as text."
    ),
    _(
        "Sample size of each stratum (the organisations' `stratum` field): `n = sizes[stratum]` when `sizes` has "
        "the stratum, otherwise `n = max(minimum, ceil(N * rate / 100))`, computed exactly (`rate` is a decimal "
        "number written as text); never more than `N`, the stratum's number of organisations."
    ),
    _(
        'Targets: in each stratum, sort the organisations by `(SHA-256(K + "|target|" + code), code)` ascending '
        "and take the first `n`. Then sort all the organisations taken, from every stratum, the same way: that is "
        "the draw order of the sample."
    ),
    _(
        "Conflict of interest: an inspector may not check an organisation whose `code` is in the inspector's "
        "`previous` (checked last time), nor one whose `path` starts with one of the inspector's `paths` (their "
        "own organisation and those under it), nor one whose `path` is the start of one of the inspector's "
        "`paths` (the organisations leading theirs). Paths are compared as plain text."
    ),
    _(
        "Inspectors: go through the sample in draw order. For each organisation, sort the inspectors without a "
        'conflict by `(load, SHA-256(K + "|inspector|" + code + "|" + id))` ascending, where `load` is the '
        "number of organisations already given to the inspector in this draw (starting at 0) and `id` is written "
        "in decimal; take the first `per_target`. The first one leads the team."
    ),
    _(
        "The result is the sample in draw order and, for each organisation, its inspectors' ids in that order; it "
        "must equal the result on this certificate. The standalone verifier "
        "`python -m zerenzhi_verify draw CERTIFICATE.json` checks `D`, `C`, `W` and the result from the "
        "certificate's data file alone."
    ),
)


def rule_parts(text: str) -> list[tuple[str, bool]]:
    """A stated rule as (text, is_code) pieces: the parts inside backticks are exact and shown as code."""
    return [(part, n % 2 == 1) for n, part in enumerate(str(text).split("`")) if part]
