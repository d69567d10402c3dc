"""How a ballot's receipt binds its marks, and how closing seals the whole count — the rules printed on the results
page and in the results file, so that anyone can check them without this code (zerenzhi_verify/tally.py does, from
the stated rules only).

* A ballot's marks, as text: one `subject:dimension:answer` per mark (the subject's number in the results file, the
  dimension's code — empty for a single overall mark — and the answer's code, both percent-encoded as in a URL:
  every character but letters, digits and `-._~` as %XX of its UTF-8 bytes), sorted as strings and joined with
  commas. E.g. `12::satisfied` or `7:D1:good,7:D2:fairly_good`.
* Its seal: SHA-256 (lower-case hex) of the UTF-8 text `zerenzhi-ballot-2|<evaluation id>|<receipt>|<marks>`, where
  the evaluation id is the one in the voting link (/v/<id>/) and the receipt is the ten characters of the receipt
  code without its dash, in capitals. The voter, who alone knows the receipt, recomputes it and finds it in the
  published list with the same marks beside it.
* The count's digest, written when voting closes: SHA-256 of the UTF-8 text made of one line `<seal> <marks>\\n`
  per ballot, the lines sorted as strings. A mark changed after the close changes the digest.
"""

import hashlib
from urllib.parse import quote

FORM = "zerenzhi-ballot-2"


def marks_text(rows) -> str:
    """`rows`: (subject number, dimension code, answer code) per mark."""
    return ",".join(sorted(f"{int(s)}:{quote(d, safe='')}:{quote(a, safe='')}" for s, d, a in rows))


def seal(evaluation_id: str, receipt: str, marks: str) -> str:
    """`receipt`: the ten characters without the dash, in capitals (normalised as a voter's typing is)."""
    return hashlib.sha256(f"{FORM}|{evaluation_id}|{receipt}|{marks}".encode()).hexdigest()


def digest(lines) -> str:
    """`lines`: (seal, marks text) per ballot."""
    text = "".join(sorted(f"{s} {m}\n" for s, m in lines))
    return hashlib.sha256(text.encode()).hexdigest()
