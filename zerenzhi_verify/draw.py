"""Verify a spot-check draw certificate (随机抽查抽签证书, the JSON download) with nothing but this file.

    python -m zerenzhi_verify draw CERTIFICATE.json

Written from the rules the certificate states (its "rules" list), standard library only: it needs no Django and
no database. It checks, and says in plain words:

1. the population digest D is the SHA-256 of the frozen inputs written as canonical JSON;
2. the seed matches the commitment C published before the draw (C binds D too);
3. the witnessed numbers are in their recorded form, long enough, and named at least two witnesses, and were
   recorded after the plan was frozen;
4. re-running the draw from the frozen inputs, the seed and the witnessed numbers gives exactly the sample and
   the inspectors on the certificate.

Exit status: 0 only when every check passes; 1 when one fails; 2 when the file cannot be read.

What a file cannot prove by itself is that C and D are the ones published before the draw: the verifier prints
them, with the audit-chain head of the notice, for you to compare with the notice you saw or printed.
"""

import datetime
import hashlib
import json
import math
import re
import sys
from decimal import Decimal, InvalidOperation

WITNESSED = "zrz-draw-2"
OLD = "zrz-draw-1"
MIN_DIGITS = 5
MIN_WITNESSES = 2
HEX64 = re.compile(r"[0-9a-f]{64}")
NUMBERS = re.compile(r"[0-9]+(,[0-9]+)*")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def conflicted(inspector: dict, target: dict) -> bool:
    if target["code"] in inspector["previous"]:
        return True
    return any(target["path"].startswith(p) or p.startswith(target["path"]) for p in inspector["paths"])


def sample_sizes(snapshot: dict) -> dict:
    params = snapshot["params"]
    rate, minimum, fixed = Decimal(str(params["rate"])), int(params["minimum"]), params.get("sizes") or {}
    counts: dict = {}
    for t in snapshot["population"]:
        counts[t["stratum"]] = counts.get(t["stratum"], 0) + 1
    out = {}
    for stratum, n_pop in counts.items():
        n = int(fixed[stratum]) if stratum in fixed else max(minimum, math.ceil(n_pop * rate / 100))
        out[stratum] = min(n, n_pop)
    return out


def run_draw(snapshot: dict, key: str) -> dict:
    """The stated steps: targets ranked within each stratum by SHA-256(K|target|code), then inspectors by (load,
    SHA-256(K|inspector|code|id)) among those without a conflict."""
    sizes = sample_sizes(snapshot)
    by_stratum: dict = {}
    for t in snapshot["population"]:
        by_stratum.setdefault(t["stratum"], []).append(t)

    def target_rank(t):
        return (sha256_hex(f"{key}|target|{t['code']}"), t["code"])

    chosen = []
    for stratum, members in by_stratum.items():
        chosen.extend(sorted(members, key=target_rank)[: sizes[stratum]])
    chosen.sort(key=target_rank)
    per_target = int(snapshot["params"]["per_target"])
    load = {i["id"]: 0 for i in snapshot["pool"]}
    assignments = {}
    for t in chosen:
        free = [i for i in snapshot["pool"] if not conflicted(i, t)]
        free.sort(key=lambda i: (load[i["id"]], sha256_hex(f"{key}|inspector|{t['code']}|{i['id']}")))
        picked = [i["id"] for i in free[:per_target]]
        if len(picked) < per_target:
            raise ValueError(f"{t['code']}：无利益冲突的督查员不足 {per_target} 名")
        for pk in picked:
            load[pk] += 1
        assignments[t["code"]] = picked
    return {"sample": [t["code"] for t in chosen], "assignments": assignments}


def _time(text):
    try:
        return datetime.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


class Report:
    def __init__(self, out):
        self.out, self.ok = out, True

    def say(self, text=""):
        print(text, file=self.out)

    def check(self, passed: bool, good: str, bad: str) -> bool:
        self.say(("✓ " if passed else "✗ ") + (good if passed else bad))
        self.ok = self.ok and passed
        return passed


def verify(cert: dict, out=sys.stdout) -> bool:
    r = Report(out)
    plan = cert.get("plan") or {}
    frozen = cert.get("frozen") or {}
    drawn = cert.get("draw") or {}
    snapshot, seed, recorded = cert.get("snapshot"), cert.get("seed") or "", cert.get("result")
    algorithm = cert.get("algorithm")
    r.say(
        f"抽签证书：{plan.get('name', '?')}（方案 {plan.get('id', '?')}，{plan.get('office', '?')}），算法 {algorithm}"
    )
    if not isinstance(snapshot, dict) or not isinstance(recorded, dict):
        r.check(False, "", "证书中没有冻结输入或抽签结果：该方案尚未抽签，无从复核。")
        return False
    population, pool = snapshot.get("population") or [], snapshot.get("pool") or []
    r.say(
        f"冻结的抽查对象 {len(population)} 个，督查员库 {len(pool)} 人，抽中 {len(recorded.get('sample') or [])} 个。"
    )

    digest = sha256_hex(canonical_json(snapshot))
    r.check(
        digest == frozen.get("population_digest"),
        f"冻结输入（抽查对象、督查员库、参数）的规范 JSON 的 SHA-256 为 {digest}，与证书记载一致。",
        f"冻结输入被改动：其 SHA-256 为 {digest}，证书记载为 {frozen.get('population_digest')}。",
    )
    r.check(
        snapshot.get("plan") == plan.get("id") and snapshot.get("algorithm") == algorithm,
        "冻结输入中的方案编号和算法与证书一致。",
        "冻结输入中的方案编号或算法与证书不一致。",
    )
    if not r.check(bool(HEX64.fullmatch(seed)), "种子为 64 位小写十六进制数。", "种子不是 64 位小写十六进制数。"):
        return False

    if algorithm == WITNESSED:
        commitment = sha256_hex(f"{WITNESSED}|commit|{seed}|{digest}")
        r.check(
            commitment == frozen.get("commitment"),
            f"公开的种子与冻结时公布的承诺一致：SHA-256(“zrz-draw-2|commit|种子|D”) = {commitment}。",
            f"公开的种子与冻结时公布的承诺不一致：算得 {commitment}，证书记载 {frozen.get('commitment')}。",
        )
        numbers = drawn.get("numbers") or ""
        witnesses = [w for w in drawn.get("witnesses") or [] if str(w).strip()]
        r.check(
            bool(NUMBERS.fullmatch(numbers)) and sum(c.isdigit() for c in numbers) >= MIN_DIGITS,
            f"见证人现场读出的数字为 {numbers}（共 {sum(c.isdigit() for c in numbers)} 位数字）。",
            f"见证数字“{numbers}”不是规定的形式（以逗号分隔的数字，至少 {MIN_DIGITS} 位）。",
        )
        r.check(
            len(set(witnesses)) >= MIN_WITNESSES,
            f"见证人 {len(set(witnesses))} 名：{'、'.join(witnesses)}。",
            f"见证人不足 {MIN_WITNESSES} 名。",
        )
        frozen_at, drawn_at = _time(frozen.get("at")), _time(drawn.get("at"))
        r.check(
            bool(frozen_at and drawn_at and drawn_at > frozen_at),
            f"见证数字在冻结（{frozen.get('at')}）之后取得（{drawn.get('at')}）。",
            "见证数字的取得时间不在冻结之后，或时间缺失。",
        )
        key = sha256_hex(f"{WITNESSED}|key|{seed}|{digest}|{numbers}")
        r.say(f"抽签密钥 K = SHA-256(“zrz-draw-2|key|种子|D|见证数字”) = {key}")
    elif algorithm == OLD:
        r.say("注意：这是旧算法 zrz-draw-1 的抽签，没有见证人读出的随机数，服务器在抽签前即可算出结果；")
        r.say("      此处只能复核结果是否由记录的输入得出，不能证明结果未被预知。")
        r.check(
            sha256_hex(seed) == frozen.get("commitment"),
            "公开的种子与抽签前的承诺 SHA-256(种子的十六进制文本) 一致。",
            "公开的种子与抽签前的承诺不一致。",
        )
        entropy = (drawn.get("entropy") or "").strip()
        key = f"{seed}|{entropy}" if entropy else seed
    else:
        r.check(False, "", f"不认识的算法“{algorithm}”。")
        return False

    try:
        again = run_draw(snapshot, key)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        r.check(False, "", f"无法按规则重新抽签：{exc}")
        return False
    r.check(
        again["sample"] == recorded.get("sample"),
        f"按规则重新抽签，抽中的 {len(again['sample'])} 个组织及其顺序与证书完全一致。",
        f"按规则重新抽签得到的组织与证书不一致：重算为 {again['sample']}，证书为 {recorded.get('sample')}。",
    )
    r.check(
        again["assignments"] == {k: list(v) for k, v in (recorded.get("assignments") or {}).items()},
        "每个组织分派的督查员（及组长）与证书完全一致。",
        "重新抽签得到的督查员分派与证书不一致。",
    )

    cancelled = cert.get("cancelled_before") or []
    if cancelled:
        r.say(f"本单位此前冻结后又取消的方案 {len(cancelled)} 个（证书如实列出）：")
        for c in cancelled:
            r.say(
                f"  · 方案 {c.get('plan')}“{c.get('name')}”，冻结于 {c.get('frozen_at')}，承诺 {c.get('commitment')}，"
                f"取消原因：{c.get('reason') or '（未记载）'}"
            )
    else:
        r.say("本单位在本次抽签前没有冻结后又取消的方案。")
    head = frozen.get("audit_head") or {}
    r.say("请与冻结时公布的抽签公告核对以下三项（文件本身无法证明它们就是事先公布的）：")
    r.say(f"  承诺 C = {frozen.get('commitment')}")
    r.say(f"  对象摘要 D = {digest}（抽查对象 {len(population)} 个）")
    r.say(f"  公告时的审计链头：序号 {head.get('seq', '—')}，哈希 {head.get('hash', '—')}；冻结时间 {frozen.get('at')}")
    r.say("结论：抽签结果与证书所载输入和规则完全一致。" if r.ok else "结论：复核未通过，抽签结果与证书不一致。")
    return r.ok


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("用法 usage: python -m zerenzhi_verify draw CERTIFICATE.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            cert = json.load(f)
    except (OSError, ValueError) as exc:
        print(f"无法读取证书文件：{exc}", file=sys.stderr)
        return 2
    if not isinstance(cert, dict):
        print("证书文件不是一个 JSON 对象。", file=sys.stderr)
        return 2
    return 0 if verify(cert) else 1


if __name__ == "__main__":
    sys.exit(main())
