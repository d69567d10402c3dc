"""Recount an evaluation from its published results file alone (the JSON download on its results page), with
nothing but Python's standard library, following the rules the file states:

* each ballot's marks text is well formed and names only the file's subjects and answers;
* the digest of every ballot's line equals the digest sealed when voting closed, and the totals per subject,
  dimension and answer and the number of ballots equal the sealed ones;
* each shown subject's counts per voter group add up to its totals, and its score is the weighted mean of the
  answers' points (exact fractions, rounded half up to two places);
* with --receipt, the voter's own ballot: the line whose seal is SHA-256 of
  "zerenzhi-ballot-2|<evaluation>|<receipt>|<marks>", with its marks.

Exit code 0 only when everything matches; 1 with the first differences listed otherwise; 2 on an unreadable file.

    python -m zerenzhi_verify tally results-XXXX.json [--receipt ABCDE-FGHIJ]
"""

import argparse
import hashlib
import json
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from urllib.parse import unquote

FORMAT = "zerenzhi-results-1"
SEAL_FORM = "zerenzhi-ballot-2"


def _digest(ballots) -> str:
    text = "".join(sorted(f"{b['hash']} {b['marks']}\n" for b in ballots))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse_marks(text: str) -> list[tuple[int, str, str]]:
    out = []
    for mark in text.split(",") if text else []:
        subject, dimension, answer = mark.split(":")
        out.append((int(subject), unquote(dimension), unquote(answer)))
    return out


def _normalise_receipt(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def _round2(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check(data: dict, receipt: str | None = None) -> tuple[list[str], list[str]]:
    """(what was checked, the differences found) for a results file's content."""
    checked, wrong = [], []
    if data.get("format") != FORMAT:
        return checked, [f"unknown file format {data.get('format')!r} (expected {FORMAT})"]
    subjects = {s["number"]: s["label"] for s in data["subjects"]}
    points = {answer: Fraction(p) for answer, p in data["points"].items()}
    totals, per_subject = Counter(), Counter()
    for b in data["ballots"]:
        try:
            marks = _parse_marks(b["marks"])
        except ValueError:
            wrong.append(f"ballot {b['hash'][:12]}…: marks text not well formed: {b['marks']!r}")
            continue
        for subject, dimension, answer in marks:
            if subject not in subjects or answer not in points:
                wrong.append(f"ballot {b['hash'][:12]}…: unknown subject or answer in {b['marks']!r}")
            totals[f"{subject}:{dimension}:{answer}"] += 1
            per_subject[(subject, answer)] += 1
    checked.append(f"{len(data['ballots'])} ballots read")

    sealed = data.get("sealed")
    if sealed is None:
        wrong.append("the file has no sealed count (the evaluation closed before counts were sealed)")
    else:
        digest = _digest(data["ballots"])
        if digest == sealed["digest"]:
            checked.append(f"digest of every ballot's line = the sealed digest {digest}")
        else:
            wrong.append(f"digest of the ballots {digest} ≠ sealed digest {sealed['digest']}")
        if sealed["ballots"] != len(data["ballots"]):
            wrong.append(f"{len(data['ballots'])} ballots in the file, {sealed['ballots']} sealed")
        recounted = dict(totals)
        sealed_totals = _totals_keys(sealed["totals"])
        if recounted == sealed_totals:
            checked.append(f"totals per subject, dimension and answer = the sealed totals ({len(recounted)} lines)")
        else:
            wrong.append("totals recounted from the ballots differ from the sealed totals")

    k = data["k"]
    for row in data["scores"]:
        label = subjects.get(row["subject"], row["subject"])
        if row["score"] is None:
            if row.get("by_group"):
                wrong.append(f"{label}: counts per group published for a subject without a score")
            continue
        groups = row.get("by_group") or []
        summed = Counter()
        num = den = Fraction(0)
        for g in groups:
            weight = Fraction(g["weight"])
            for answer, count in g["counts"].items():
                summed[answer] += count
                num += weight * points[answer] * count
                den += weight * count
        mine = Counter({a: c for (s, a), c in per_subject.items() if s == row["subject"]})
        if summed != mine:
            wrong.append(f"{label}: counts per voter group {dict(summed)} ≠ counts from the ballots {dict(mine)}")
        if den == 0:
            wrong.append(f"{label}: a score without marks")
            continue
        score = _round2(num / den)
        ballots_for_subject = sum(1 for b in data["ballots"] if any(m[0] == row["subject"] for m in _safe(b)))
        if ballots_for_subject < k:
            wrong.append(f"{label}: a score shown from {ballots_for_subject} ballots, fewer than k = {k}")
        if str(score) == row["score"]:
            checked.append(f"{label}: score {score} recomputed")
        else:
            wrong.append(f"{label}: published score {row['score']} ≠ recomputed {score}")

    if receipt:
        code = _normalise_receipt(receipt)
        found = [
            b
            for b in data["ballots"]
            if b.get("sealed")
            and hashlib.sha256(f"{SEAL_FORM}|{data['evaluation']}|{code}|{b['marks']}".encode()).hexdigest()
            == b["hash"]
        ]
        if found:
            marks = "; ".join(f"{subjects.get(s, s)} {d} {a}".replace("  ", " ") for s, d, a in _safe(found[0]))
            checked.append(f"your receipt's ballot is in the count: {found[0]['hash']} with {marks}")
        else:
            wrong.append("no ballot in the file is sealed with this receipt")
    return checked, wrong


def _safe(ballot) -> list[tuple[int, str, str]]:
    try:
        return _parse_marks(ballot["marks"])
    except ValueError:
        return []


def _totals_keys(totals: dict) -> dict:
    """The sealed totals use the marks text's own form (codes percent-encoded); compare them decoded."""
    out = {}
    for key, n in totals.items():
        subject, dimension, answer = key.split(":")
        out[f"{int(subject)}:{unquote(dimension)}:{unquote(answer)}"] = n
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zerenzhi_verify tally", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="the results file (JSON) downloaded from the evaluation's results page")
    parser.add_argument("--receipt", help="your receipt code, to find your own ballot")
    args = parser.parse_args(argv)
    try:
        with open(args.results, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.results}: {exc}", file=sys.stderr)
        return 2
    try:
        checked, wrong = check(data, args.receipt)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        print(f"the file is not a well-formed results file: {exc!r}", file=sys.stderr)
        return 2
    for line in checked:
        print(f"✓ {line}")
    for line in wrong:
        print(f"✗ {line}")
    print("MATCH: the published count is what the ballots give" if not wrong else "MISMATCH")
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
