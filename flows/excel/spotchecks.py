"""Spot-check workbooks (openpyxl write-only): the draw certificate and the results of a plan, printed on A4 as
offices print them (flows/excel/writing.py sets the page before any row is written)."""

import json

from flows.excel import writing
from flows.excel.cells import FORMULA_STARTS, safe

JSON_LINE = 70  # characters of the frozen input per row: printable, and the rows joined give the JSON back


def draw_certificate(*, plan, rows, strata, verification, rules=(), cancelled=(), **_shown) -> bytes:
    """抽查抽签证书: the inputs, hashes, seed, sample and assignments, as printed and filed."""
    wb = writing.new_workbook()
    # a document more than a table: portrait, no pane (the sample's header sits below the facts)
    ws = writing.printed_sheet(wb, "抽签结果", columns=[6, 34, 18, 40, 20], freeze=None, landscape=False)
    writing.title_rows(
        ws,
        f"{plan.name} 随机抽查抽签证书",
        f"组织单位：{plan.office.name}　抽签时间：{plan.drawn_at:%Y-%m-%d %H:%M}　算法：{plan.algorithm}",
        5,
    )
    ws.append([])
    facts = [
        ("对象摘要 D：冻结输入的 SHA-256", plan.snapshot_hash),
        (
            "抽签前公布的种子承诺 C" + ("：SHA-256(zrz-draw-2|commit|种子|D)" if plan.witnessed else "：sha256(种子)"),
            plan.seed_commitment,
        ),
        ("抽签后公开的种子", plan.seed),
    ]
    if plan.witnessed:
        facts += [
            ("见证数字 W", plan.witnessed_numbers),
            ("见证人", "、".join(plan.witnesses or ())),
            ("见证数字来源（冻结时公布）", plan.randomness_source or "—"),
            (
                "公告时审计链头（序号 哈希）",
                f"{plan.frozen_head_seq} {plan.frozen_head_hash}" if plan.frozen_head_seq else "—",
            ),
        ]
    else:
        facts.append(("现场公开随机数（旧算法 zrz-draw-1，无见证数字）", plan.public_entropy or "（无）"))
    facts += [
        ("抽样比例 / 每层至少", f"{plan.rate_percent}% / {plan.minimum_per_stratum}"),
        ("每个对象督查员人数", plan.inspectors_per_target),
        ("复核结果", "一致" if verification.ok else "不一致"),
    ]
    for label, value in facts:
        ws.append([None, safe(label), safe(str(value))])
    ws.append([])
    writing.header_row(ws, ["序号", "被抽查组织", "组织代码", "督查员", "分层"])
    stratum_of = {t["code"]: t["stratum"] for t in plan.snapshot["population"]}
    for r in rows:
        names = "、".join(str(u) for u in r["inspectors"])
        ws.append(
            [
                r["n"],
                safe(r["name"]),
                safe(r["code"]),
                safe(names),
                stratum_of[r["code"]],
            ]
        )

    ws2 = writing.printed_sheet(wb, "分层", columns=[40, 10, 10, 10], header_rows=1, landscape=False)
    writing.header_row(ws2, ["分层（领域/层级）", "总数", "应抽", "实抽"])
    for s in strata:
        ws2.append([safe(f"{s['label']}（{s['stratum']}）"), s["population"], s["sample"], s["drawn"] or 0])

    ws_rules = writing.printed_sheet(wb, "抽签规则", columns=[6, 100], header_rows=1, freeze=None, landscape=False)
    writing.header_row(ws_rules, ["步骤", "规则（可据此独立复算；反引号内为原文，不翻译）"])
    for n, text in enumerate(rules, 1):
        writing.wrapped_row(ws_rules, n + 1, [n, safe(str(text))], [6, 100])
    ws_c = writing.printed_sheet(wb, "此前取消的方案", columns=[8, 30, 22, 66, 40], header_rows=1, landscape=False)
    writing.header_row(ws_c, ["编号", "方案", "冻结时间", "承诺 C", "取消原因"])
    for c in cancelled:
        ws_c.append([c["plan"], safe(c["name"]), safe(c["frozen_at"] or ""), c["commitment"], safe(c["reason"] or "—")])

    ws3 = writing.printed_sheet(wb, "冻结输入", columns=[JSON_LINE + 5], freeze=None, landscape=False)
    note = "以下为抽签输入的规范 JSON（各行依次首尾相接），其 SHA-256 即上方快照哈希；任何人可据此与种子复算抽签结果。"
    writing.wrapped_row(ws3, 1, [note], [JSON_LINE + 5])
    text = json.dumps(plan.snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for line in _json_lines(text):
        ws3.append([safe(line)])
    return writing.to_bytes(wb)


def _json_lines(text):
    """The JSON in pieces of at most JSON_LINE column-width units (a Chinese character takes two). No piece starts
    with a character a spreadsheet would take for a formula (= + - @ …): `safe` would put a quote before it, and the
    pieces would no longer join to the hashed JSON; such a break moves back a character or more."""
    start, width = 0, 0
    i = 0
    while i < len(text):
        w = writing.text_width(text[i])
        if width + w > JSON_LINE:
            cut = i
            while cut > start + 1 and text[cut].startswith(FORMULA_STARTS):
                cut -= 1
            yield text[start:cut]
            start, width, i = cut, 0, cut
            continue
        width += w
        i += 1
    if start < len(text):
        yield text[start:]


def plan_results(plan, results) -> bytes:
    """抽查结果台账: each organisation checked, its findings by severity and their rectification."""
    wb = writing.new_workbook()
    columns = [6, 40, 16, 20, 14, 8, 8, 8, 40, 16]
    ws = writing.printed_sheet(wb, "抽查结果", columns=columns, header_rows=3, freeze="C4")
    writing.title_rows(
        ws,
        f"{plan.name} 抽查结果",
        f"已办结 {results['checked']} / {results['total']}；问题：一般 {results['severity']['minor']}，"
        f"较重 {results['severity']['major']}，严重 {results['severity']['serious']}",
        len(columns),
    )
    writing.header_row(
        ws, ["序号", "组织", "代码", "督查员", "状态", "一般", "较重", "严重", "问题及整改", "降低评定等次"]
    )
    for n, r in enumerate(results["rows"], 1):
        insp = r["inspection"]
        lines = []
        for f in r["findings"]:
            line = f"[{f.get_severity_display()}] {f.description}"
            if f.decision:
                line += f"（{f.get_decision_display()}）"
            if f.rectification_item_id:
                item = f.rectification_item
                line += f" 整改：{item.get_state_display()}，期限 {item.due:%Y-%m-%d}"
            lines.append(line)
        values = [
            n,
            insp.organisation.name,
            insp.organisation.code,
            "、".join(str(s.inspector) for s in insp.seats.all()),
            str(insp.get_state_display()),
            r["severity"]["minor"],
            r["severity"]["major"],
            r["severity"]["serious"],
            "\n".join(lines),
            str(insp.get_rating_lowered_to_display()) if insp.rating_lowered_to else "",
        ]
        writing.wrapped_row(ws, n + 3, values, columns)  # the findings wrap: the row grows to hold them
    return writing.to_bytes(wb)
