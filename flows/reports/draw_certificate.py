"""The draw certificate (抽签证书) and the public notice (抽签公告) of a spot check, as data (the JSON an outsider
verifies with `python -m zerenzhi_verify draw`) and as printable PDF. The page and the Excel sheet show the same
facts and the same stated rules (`flows.domain.draw.RULES`)."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from flows.domain import draw
from flows.models import Organisation, User
from flows.reports.printing import FONT
from flows.selectors.spotchecks import plan_strata
from flows.services import spotchecks as svc

FORMAT = "zerenzhi-draw-certificate/1"


def rules(plan) -> list[str]:
    """The rules the certificate states: zrz-draw-2 step by step; a zrz-draw-1 plan says what it was."""
    if plan.witnessed:
        return [str(r) for r in draw.RULES]
    return [
        _(
            "This plan was frozen before witnessed numbers were required (algorithm `zrz-draw-1`): the commitment "
            "is `SHA-256(seed)` of the seed's 64 hex characters as `UTF-8` text; the key is the seed, or "
            '`seed + "|" + entropy` when a public entropy was recorded; targets and inspectors are then ranked as '
            "in `zrz-draw-2` (steps 6 to 10 of the current rules, with this key in place of `K`). The server knew "
            "this draw in advance."
        )
    ]


def _iso(value):
    return value.isoformat() if value else None


def cancelled_rows(plan) -> list[dict]:
    return [
        {
            "plan": c.pk,
            "name": c.name,
            "frozen_at": _iso(c.frozen_at),
            "cancelled_at": _iso(c.cancelled_at),
            "commitment": c.seed_commitment,
            "population_digest": c.snapshot_hash,
            "reason": c.cancel_reason,
        }
        for c in svc.cancelled_before(plan)
    ]


def names(plan) -> tuple[dict, dict]:
    snap = plan.snapshot or {}
    codes = [t["code"] for t in snap.get("population", [])]
    orgs = dict(Organisation.objects.filter(code__in=codes).values_list("code", "name"))
    people = {i["id"]: i["name"] for i in snap.get("pool", [])}
    return orgs, people


def certificate_document(plan) -> dict:
    """Everything `zerenzhi_verify draw` needs, and nothing it would have to look up."""
    orgs, people = names(plan)
    drawn = plan.seed_revealed and plan.result
    return {
        "format": FORMAT,
        "algorithm": plan.algorithm,
        "witnessed": plan.witnessed,
        "plan": {"id": plan.pk, "name": plan.name, "office": plan.office.name},
        "rules": rules(plan),
        "frozen": {
            "at": _iso(plan.frozen_at),
            "population_digest": plan.snapshot_hash,
            "commitment": plan.seed_commitment,
            "population_size": len((plan.snapshot or {}).get("population", [])),
            "audit_head": {"seq": plan.frozen_head_seq, "hash": plan.frozen_head_hash}
            if plan.frozen_head_seq
            else None,
            "randomness_source": plan.randomness_source,
        },
        "snapshot": plan.snapshot,
        "seed": plan.seed if drawn else None,
        "draw": {
            "at": _iso(plan.drawn_at),
            "by": str(plan.drawn_by) if plan.drawn_by_id else None,
            "numbers": plan.witnessed_numbers,
            "witnesses": list(plan.witnesses or ()),
            "entropy": plan.public_entropy,
        }
        if drawn
        else None,
        "result": plan.result if drawn else None,
        "names": {"organisations": orgs, "inspectors": {str(k): v for k, v in people.items()}},
        "cancelled_before": cancelled_rows(plan),
    }


def certificate_context(plan) -> dict:
    orgs, people = names(plan)
    users = {}
    if plan.result:
        ids = {pk for ids in plan.result["assignments"].values() for pk in ids}
        users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    rows = [
        {
            "n": n,
            "code": code,
            "name": orgs.get(code, code),
            "inspectors": [str(users.get(pk) or people.get(pk, pk)) for pk in plan.result["assignments"][code]],
        }
        for n, code in enumerate((plan.result or {}).get("sample", []), 1)
    ]
    return {
        "plan": plan,
        "rows": rows,
        "strata": plan_strata(plan),
        "verification": svc.verify_plan(plan),
        "rules": rules(plan),
        "rule_parts": [draw.rule_parts(r) for r in rules(plan)],
        "cancelled": cancelled_rows(plan),
    }


def notice_context(plan) -> dict:
    orgs, _people = names(plan)
    population = [
        {"n": n, "code": t["code"], "name": orgs.get(t["code"], t["code"]), "stratum": t["stratum"]}
        for n, t in enumerate(plan.snapshot["population"], 1)
    ]
    head = svc.audit_head()
    return {
        "plan": plan,
        "population": population,
        "pool": plan.snapshot["pool"],
        "strata": plan_strata(plan),
        "rules": rules(plan),
        "rule_parts": [draw.rule_parts(r) for r in rules(plan)],
        "cancelled": cancelled_rows(plan),
        "printed_at": timezone.localtime(),
        "head_now": {"seq": head[0], "hash": head[1]} if head else None,
    }


# ---- PDF -----------------------------------------------------------------------------------------------------


def _styles():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("t", **base, fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=3 * mm),
        "h": ParagraphStyle("h", **base, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm),
        "p": ParagraphStyle("p", **base, fontSize=9.5, leading=14),
        "cell": ParagraphStyle("c", **base, fontSize=8, leading=10),
    }


def _p(text, style):
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _table(header, rows, widths, st):
    if not rows:
        return _p("无。", st["p"])
    data = [[_p(h, st["cell"]) for h in header], *[[_p(c, st["cell"]) for c in row] for row in rows]]
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    return LongTable(data, colWidths=widths, repeatRows=1, style=style)


def _pdf(title, story_parts) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=title)
    doc.build(story_parts)
    return out.getvalue()


def _rules_story(rule_texts, st):
    story = [_p("抽签规则（可据此独立复算）", st["h"])]
    story += [_p(f"{n}. {text}", st["p"]) for n, text in enumerate(rule_texts, 1)]
    return story


def _cancelled_story(cancelled, st):
    story = [_p("本单位此前冻结后取消的方案", st["h"])]
    rows = [[c["plan"], c["name"], c["frozen_at"] or "", c["commitment"], c["reason"] or "—"] for c in cancelled]
    story.append(
        _table(
            ["编号", "方案", "冻结时间", "承诺 C", "取消原因"], rows, [12 * mm, 40 * mm, 30 * mm, 60 * mm, 38 * mm], st
        )
    )
    return story


def certificate_pdf(ctx) -> bytes:
    plan, st = ctx["plan"], _styles()
    story = [_p(f"{plan.name}\n随机抽查抽签证书", st["title"])]
    facts = [
        ("组织单位", plan.office.name),
        ("算法", plan.algorithm),
        ("冻结时间", f"{timezone.localtime(plan.frozen_at):%Y-%m-%d %H:%M:%S}" if plan.frozen_at else "—"),
        (
            "抽签时间",
            f"{timezone.localtime(plan.drawn_at):%Y-%m-%d %H:%M:%S}（{plan.drawn_by}）" if plan.drawn_at else "—",
        ),
        ("对象摘要 D（冻结输入的 SHA-256）", plan.snapshot_hash),
        ("种子承诺 C", plan.seed_commitment),
        ("公开的种子", plan.seed),
    ]
    if plan.witnessed:
        facts += [
            ("见证数字 W", plan.witnessed_numbers),
            ("见证人", "、".join(plan.witnesses or ())),
            ("见证数字来源（冻结时公布）", plan.randomness_source or "—"),
            (
                "公告时审计链头",
                f"序号 {plan.frozen_head_seq}，哈希 {plan.frozen_head_hash}" if plan.frozen_head_seq else "—",
            ),
        ]
    else:
        facts.append(("现场公开随机数（旧算法）", plan.public_entropy or "（无）"))
    facts.append(("复核结果", "一致" if ctx["verification"].ok else "不一致"))
    story += [_p(f"{label}：{value}", st["p"]) for label, value in facts]
    story.append(_p("抽中的组织及督查员", st["h"]))
    rows = [[r["n"], r["name"], r["code"], "、".join(r["inspectors"])] for r in ctx["rows"]]
    story.append(
        _table(["序号", "组织", "代码", "督查员（首位为组长）"], rows, [12 * mm, 70 * mm, 38 * mm, 60 * mm], st)
    )
    story += _rules_story(ctx["rules"], st)
    story += _cancelled_story(ctx["cancelled"], st)
    story += [
        Spacer(1, 4 * mm),
        _p(f"独立复核：下载 JSON 证书后运行 python -m zerenzhi_verify draw 证书.json（方案 {plan.pk}）。", st["p"]),
    ]
    return _pdf(f"{plan.name} 抽签证书", story)


def notice_pdf(ctx) -> bytes:
    plan, st = ctx["plan"], _styles()
    story = [_p(f"{plan.name}\n随机抽查抽签公告", st["title"])]
    head = ctx["head_now"]
    facts = [
        ("组织单位", plan.office.name),
        ("冻结（公告）时间", f"{timezone.localtime(plan.frozen_at):%Y-%m-%d %H:%M:%S}"),
        ("打印时间", f"{ctx['printed_at']:%Y-%m-%d %H:%M:%S}"),
        ("算法", plan.algorithm),
        ("对象摘要 D", plan.snapshot_hash),
        ("种子承诺 C", plan.seed_commitment),
        (
            "冻结时审计链头",
            f"序号 {plan.frozen_head_seq}，哈希 {plan.frozen_head_hash}" if plan.frozen_head_seq else "—",
        ),
        ("打印时审计链头", f"序号 {head['seq']}，哈希 {head['hash']}" if head else "—"),
        ("见证数字来源", plan.randomness_source or "—"),
        ("抽查对象数", len(ctx["population"])),
    ]
    story += [_p(f"{label}：{value}", st["p"]) for label, value in facts]
    story.append(_p("冻结的抽查对象（全部）", st["h"]))
    rows = [[p["n"], p["name"], p["code"], p["stratum"]] for p in ctx["population"]]
    story.append(_table(["序号", "组织", "代码", "分层"], rows, [12 * mm, 80 * mm, 45 * mm, 43 * mm], st))
    story.append(_p("督查员库", st["h"]))
    story.append(_p("、".join(i["name"] for i in ctx["pool"]), st["p"]))
    story += _rules_story(ctx["rules"], st)
    story += _cancelled_story(ctx["cancelled"], st)
    return _pdf(f"{plan.name} 抽签公告", story)
