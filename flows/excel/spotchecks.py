"""Spot-check workbooks (openpyxl write-only): the draw certificate and the results of a plan."""

import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from flows.excel.cells import safe


def _title(ws, text, size=14):
    cell = WriteOnlyCell(ws, value=safe(text))
    cell.font = Font(bold=True, size=size)
    return cell


def _header(ws, labels):
    row = []
    for text in labels:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        row.append(cell)
    return row


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def draw_certificate(*, plan, rows, strata, verification) -> bytes:
    """抽查抽签证书: the inputs, hashes, seed, sample and assignments, as printed and filed."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("抽签结果")
    for col, width in zip("ABCDE", (6, 34, 18, 40, 20), strict=True):
        ws.column_dimensions[col].width = width
    ws.append([_title(ws, f"{plan.name} 随机抽查抽签证书")])
    ws.append([safe(f"组织单位：{plan.office.name}　抽签时间：{plan.drawn_at:%Y-%m-%d %H:%M}　算法：{plan.algorithm}")])
    ws.append([])
    facts = [
        ("抽查对象快照哈希 (SHA-256)", plan.snapshot_hash),
        ("抽签前公布的种子承诺 sha256(种子)", plan.seed_commitment),
        ("抽签后公开的种子", plan.seed),
        ("现场公开随机数", plan.public_entropy or "（无）"),
        ("抽样比例 / 每层至少", f"{plan.rate_percent}% / {plan.minimum_per_stratum}"),
        ("每个对象督查员人数", plan.inspectors_per_target),
        ("复核结果", "一致" if verification.ok else "不一致"),
    ]
    for label, value in facts:
        ws.append([None, safe(label), safe(str(value))])
    ws.append([])
    ws.append(_header(ws, ["序号", "被抽查组织", "组织代码", "督查员", "分层"]))
    stratum_of = {t["code"]: t["stratum"] for t in plan.snapshot["population"]}
    for r in rows:
        names = "、".join(str(u) for u in r["inspectors"])
        ws.append(
            [
                r["n"],
                safe(r["org"].name if r["org"] else r["code"]),
                safe(r["code"]),
                safe(names),
                stratum_of[r["code"]],
            ]
        )

    ws2 = wb.create_sheet("分层")
    ws2.append(_header(ws2, ["分层（领域/层级）", "总数", "应抽", "实抽"]))
    for s in strata:
        ws2.append([safe(f"{s['label']}（{s['stratum']}）"), s["population"], s["sample"], s["drawn"] or 0])

    ws3 = wb.create_sheet("冻结输入")
    ws3.append(["以下为抽签输入的规范 JSON，其 SHA-256 即上方快照哈希；任何人可据此与种子复算抽签结果。"])
    text = json.dumps(plan.snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for start in range(0, len(text), 30000):  # a cell holds at most 32,767 characters
        ws3.append([safe(text[start : start + 30000])])
    return _save(wb)


def plan_results(plan, results) -> bytes:
    """抽查结果台账: each organisation checked, its findings by severity and their rectification."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("抽查结果")
    for col, width in zip("ABCDEFGHIJ", (6, 30, 14, 20, 10, 8, 8, 8, 40, 16), strict=True):
        ws.column_dimensions[col].width = width
    ws.append([_title(ws, f"{plan.name} 抽查结果")])
    ws.append(
        [
            safe(
                f"已办结 {results['checked']} / {results['total']}；问题：一般 {results['severity']['minor']}，"
                f"较重 {results['severity']['major']}，严重 {results['severity']['serious']}"
            )
        ]
    )
    ws.append(
        _header(ws, ["序号", "组织", "代码", "督查员", "状态", "一般", "较重", "严重", "问题及整改", "降低评定等次"])
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
        ws.append(
            [
                n,
                safe(insp.organisation.name),
                safe(insp.organisation.code),
                safe("、".join(str(s.inspector) for s in insp.seats.all())),
                str(insp.get_state_display()),
                r["severity"]["minor"],
                r["severity"]["major"],
                r["severity"]["serious"],
                safe("\n".join(lines)),
                str(insp.get_rating_lowered_to_display()) if insp.rating_lowered_to else "",
            ]
        )
    return _save(wb)
