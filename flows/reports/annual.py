"""The annual written report to the superior (书面报告, seed 001 §4): what it says, as plain data.

One selector builds the content for an organisation or for the subtree it leads, and both outputs (PDF and
Excel) render that same structure, so they cannot disagree. The queries are a fixed set whatever the size of
the subtree: the assessments come as one list of plain values, the counts as grouped aggregates.

The report is an official document: its text is Chinese whatever language the screen speaks."""

import datetime

from django.db.models import Count, FloatField, Q
from django.db.models.functions import Cast
from django.utils import timezone, translation

from flows.domain import scoring
from flows.models import (
    AccountabilityMeasure,
    Assessment,
    Commendation,
    Decision,
    Finding,
    ItemScore,
    ItemState,
    MeetingReporter,
    MeetingState,
    Outcome,
    Rating,
    RectificationItem,
    Role,
    RoleAssignment,
    Sector,
    Stage,
)
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.models.state_groups import Phase, phase_of
from flows.selectors import results
from flows.selectors.audit_head import audit_head_text
from flows.selectors.dashboards import rectification_counts

SCORE_FIELDS = ("self_score", "mass_score", "superior_score", "combined_score")
RANKING_SIZE = 20  # the ranking table lists the best organisations; the full table lists every one


def _labels(choices) -> dict:
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in choices.choices}


def _num(value):
    return float(value) if value is not None else None


def _date(value: datetime.date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def report_title(organisation, cycle) -> str:
    return f"{organisation.name} {cycle.year}年度基层党建工作责任制落实情况书面报告"


def _secretary(organisation, year: int) -> str:
    """The secretary of the reported year (the last to hold the post in it), not today's: the report speaks for
    that year."""
    row = (
        RoleAssignment.objects.filter(organisation=organisation, role=Role.SECRETARY)
        .filter(start__lte=datetime.date(year, 12, 31))
        .exclude(end__lt=datetime.date(year, 1, 1))
        .select_related("user")
        .order_by("-start")
        .first()
    )
    if row is None:
        return ""
    return f"{row.user}（{row.role_label()}）" if row.acting else str(row.user)


def _head(*, cycle, organisation, subtree: bool, by) -> dict:
    stamp = timezone.localtime()  # Asia/Shanghai (settings.TIME_ZONE)
    return {
        "kind": "subtree" if subtree else "organisation",
        "title": report_title(organisation, cycle),
        "subtitle": "（含所属各级党组织）" if subtree else "",
        "organisation": {
            "name": organisation.name,
            "code": organisation.code,
            "secretary": _secretary(organisation, cycle.year),
        },
        "cycle": {
            "name": cycle.name,
            "year": cycle.year,
            "office": cycle.office.name,
            "period": f"{_date(datetime.date(cycle.year, 1, 1))}至{_date(datetime.date(cycle.year, 12, 31))}",
            "deadlines": [
                ("自我评估", _date(cycle.self_due)),
                ("群众评议", _date(cycle.mass_due)),
                ("上级考评", _date(cycle.review_due)),
                ("整改", _date(cycle.rectification_due)),
            ],
            "weights": (
                f"自评 {cycle.weight_self:g}%，群众评议 {cycle.weight_mass:g}%，上级考评 {cycle.weight_superior:g}%"
                + (f"，社会评价 {cycle.weight_social:g}%" if cycle.weight_social else "")
            ),
            "thresholds": f"好 ≥ {cycle.good_min:g}，较好 ≥ {cycle.fairly_good_min:g}，一般 ≥ {cycle.average_min:g}",
        },
        "generated_by": str(by) if by is not None else "",
        "generated_at": stamp.strftime("%Y年%m月%d日 %H:%M"),
        "generated_on": _date(stamp.date()),
        # the audit chain's end as the report was made, printed beside the signature so that a head kept on paper
        # can later be checked with `verify_audit --expect` (issue 22)
        "audit_head": audit_head_text(),
    }


def annual_report(*, cycle, organisation, subtree: bool = False, by=None) -> dict | None:
    """The report's content, or None when the cycle assesses nothing there (no report to write)."""
    head = _head(cycle=cycle, organisation=organisation, subtree=subtree, by=by)
    if subtree:
        body = _subtree_body(cycle, organisation)
        if body is None:
            return None
        report = head | {"subtree": body, "single": None}
    else:
        assessment = (
            Assessment.objects.filter(cycle=cycle, organisation=organisation).select_related("template").first()
        )
        if assessment is None:
            return None
        report = head | {"single": _single_body(assessment), "subtree": None}
    report["meetings"] = meetings_section(cycle, organisation, subtree=subtree)
    return report | {"text": _sentences(report)}


def cell_text(value) -> str:
    """A table cell as printed: "—" for no score, 92.6 not 92.60, whole numbers without a point."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _sentences(report) -> dict:
    """The report's running text, written once for every format."""
    c, name = report["cycle"], report["organisation"]["name"]
    text = {
        "intro": "根据《关于建立健全地方党委、部门党组（党委）抓基层党建工作责任制的意见》关于每年向上级党组织"
        f"书面报告抓基层党建工作情况的要求，现将{name}{c['year']}年度基层党建工作责任制落实情况报告如下。",
        "signed_by": f"{name}（盖章）",
        "generated": f"本报告由 {report['generated_by'] or '系统'} 于 {report['generated_at']}（北京时间）生成。"
        + (f"生成时{report['audit_head']}。" if report.get("audit_head") else ""),
        "meetings": meetings_text(report.get("meetings") or []),
    }
    if report["single"]:
        r = report["single"]["rectification"]
        text["rectification"] = (
            f"整改事项共 {r['total']} 项，已验收 {r['verified']} 项，未完成 {r['open']} 项，"
            f"其中逾期 {r['overdue']} 项。"
        )
        return text
    t = report["subtree"]
    cap, r, a, h = t["good_cap"], t["rectification"], t["accountability"], t["commendations"]
    text["overview"] = (
        f"本年度参加考核的党组织共 {t['total']} 个，已评定等次 {t['rated']} 个，其中一票否决 {t['vetoes']} 个。"
    )
    if cap["cap"] is None:
        text["good_cap"] = f"本周期未设“好”等次比例上限；“好”等次 {cap['good']} 个，占 {cap['share']}%。"
    else:
        verdict = "超过上限" if cap["exceeds"] else "符合比例要求"
        text["good_cap"] = (
            f"“好”等次比例上限 {cell_text(cap['cap'])}%，实际 {cap['good']} 个，占 {cap['share']}%，{verdict}。"
        )
    text["good_cap"] += cap["settlement"]
    text["rectification"] = (
        f"整改事项共 {r['total']} 项：整改中 {r['open']} 项，已报告待验收 {r['reported']} 项，"
        f"已验收 {r['verified']} 项；逾期未完成 {r['overdue']} 项。"
    )
    text["honours"] = (
        f"推荐表彰 {h['proposed']} 项，批准 {h['approved']} 项；处理结果为追究责任的党组织 {a['decided']} 个，"
        f"仍在问责程序中 {a['assessments']} 个；提出问责措施 {a['proposed']} 项，批准 {a['approved']} 项。"
    )
    f = t["findings"]
    by_severity = "，".join(f"{label} {n} 个" for label, n in f["by_severity"])
    text["findings"] = f"随机抽查发现问题 {f['total']} 个（{by_severity}）。" if f["total"] else ""
    return text


# ---- one organisation ------------------------------------------------------------------------------------


def _single_body(a: Assessment) -> dict:
    ratings, outcomes, stages = _labels(Rating), _labels(Outcome), _labels(Stage)
    states, decisions = _labels(ItemState), _labels(Decision)
    on = today()
    scores = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=a)}
    indicators = []
    for ind in a.template.indicators.select_related("dimension").order_by("dimension__order", "order", "code"):
        s = scores.get(ind.pk)
        indicators.append(
            {
                "dimension": ind.dimension.name,
                "code": ind.code,
                "name": ind.name,
                "max": _num(ind.max_points),
                "veto": ind.veto,
                "self": _num(s.self_points) if s else None,
                "superior": _num(s.superior_points) if s else None,
                "veto_hit": bool(s and s.veto_hit),
            }
        )
    items = []
    for it in RectificationItem.objects.filter(assessment=a).select_related("owner").order_by("due", "pk"):
        done = phase_of(RectificationItem, it.state) == Phase.DONE  # a state in no phase raises
        items.append(
            {
                "problem": it.problem,
                "requirement": it.requirement,
                "owner": str(it.owner),
                "due": _date(it.due),
                "state": states.get(it.state, ""),
                "verified": done,
                "overdue": not done and it.due < on,
            }
        )
    with translation.override("zh-hans"):
        commendations = [
            {
                "kind": c.get_kind_display(),
                "nominee": str(c.nominee) if c.nominee else "",
                "reason": c.reason,
                "decision": decisions.get(c.decision, "待审批"),
            }
            for c in Commendation.objects.filter(assessment=a).select_related("nominee").order_by("pk")
        ]
        measures = [
            {
                "kind": m.get_kind_display(),
                "persons": "、".join(str(p) for p in m.persons.all()),
                "reason": m.reason,
                "decision": decisions.get(m.decision, "待审批"),
            }
            for m in AccountabilityMeasure.objects.filter(assessment=a).prefetch_related("persons").order_by("pk")
        ]
        findings = [
            {
                "plan": f.inspection.plan.name,
                "severity": f.get_severity_display(),
                "description": f.description,
                "decision": f.get_decision_display() if f.decision else "待审核",
                "rectification": states.get(f.rectification_item.state, "") if f.rectification_item_id else "",
            }
            for f in Finding.objects.filter(_plans_of(a.cycle), inspection__organisation_id=a.organisation_id)
            .select_related("inspection__plan", "rectification_item")
            .order_by("pk")
        ]
    return {
        "scores": [
            ("自评得分", _num(a.self_score)),
            ("群众评议得分", _num(a.mass_score)),
            ("上级考评得分", _num(a.superior_score)),
            *([("社会评价得分", _num(a.social_score))] if a.social_score is not None else []),
            ("综合得分", _num(a.combined_score)),
        ],
        "rating": ratings.get(a.rating, ""),
        "veto": a.veto,
        "outcome": outcomes.get(a.outcome, ""),
        "stage": stages.get(a.state, ""),
        "review_comment": a.review_comment,
        "indicators": indicators,
        "rectification": {
            "items": items,
            "total": len(items),
            "verified": sum(1 for i in items if i["verified"]),
            "open": sum(1 for i in items if not i["verified"]),
            "overdue": sum(1 for i in items if i["overdue"]),
        },
        "commendations": commendations,
        "accountability": measures,
        "findings": findings,
    }


# ---- a subtree ---------------------------------------------------------------------------------------------


def _subtree_body(cycle, root) -> dict | None:
    ratings, outcomes, stages, sectors = _labels(Rating), _labels(Outcome), _labels(Stage), _labels(Sector)
    in_tree = subtree_q(root.path, prefix="organisation__")
    floats = {f"_{f}": Cast(f, FloatField()) for f in SCORE_FIELDS}
    values = (
        Assessment.objects.filter(in_tree, cycle=cycle)
        .order_by("organisation__path")
        .annotate(**floats)
        .values_list(
            "organisation__name",
            "organisation__code",
            "organisation__sector",
            *floats,
            "rating",
            "veto",
            "outcome",
            "state",
        )
    )
    rows = []
    for n, (name, code, sector, s_self, s_mass, s_sup, s_comb, rating, veto, outcome, state) in enumerate(
        values,
        1,  # every row is kept for the table anyway: one fetch, no server-side cursor
    ):
        if not results.counts_as_result(state, rating):  # not yet a result: no rating, no combined score
            s_sup, s_comb, rating, veto = None, None, "", False
        rows.append(
            {
                "n": n,
                "name": name,
                "code": code,
                "sector": sectors.get(sector, ""),
                "self": s_self,
                "mass": s_mass,
                "superior": s_sup,
                "combined": s_comb,
                "rating_value": rating,
                "rating": ratings.get(rating, ""),
                "veto": veto,
                "outcome_value": outcome,
                "outcome": outcomes.get(outcome, ""),
                "stage_value": state,
                "stage": stages.get(state, ""),
            }
        )
    if not rows:
        return None
    by_stage: dict = {}
    by_rating: dict = {}
    for r in rows:
        by_stage[r["stage_value"]] = by_stage.get(r["stage_value"], 0) + 1
        if r["rating_value"]:
            by_rating[r["rating_value"]] = by_rating.get(r["rating_value"], 0) + 1
    rated = sum(by_rating.values())
    good = by_rating.get(Rating.GOOD, 0)
    ranked = sorted((r for r in rows if r["combined"] is not None), key=lambda r: (-r["combined"], r["n"]))
    ranking, previous, rank = [], None, 0
    for i, r in enumerate(ranked, 1):
        if r["combined"] != previous:
            rank, previous = i, r["combined"]
        ranking.append({"rank": rank, "name": r["name"], "combined": r["combined"], "rating": r["rating"]})
    return {
        "total": len(rows),
        "stages": [(stages[s], by_stage.get(s, 0)) for s in Stage.values],
        "rated": rated,
        "ratings": [
            (ratings[v], by_rating.get(v, 0), round(by_rating.get(v, 0) * 100 / rated, 1) if rated else 0.0)
            for v in Rating.values
        ],
        "good_cap": {
            "cap": _num(cycle.good_cap_percent),
            "good": good,
            "rated": rated,
            "share": round(good * 100 / rated, 1) if rated else 0.0,
            "exceeds": scoring.good_count_exceeds_cap(cycle, good=good, rated=rated),
            "settlement": settlement_text(cycle),
        },
        "vetoes": sum(1 for r in rows if r["veto"]),
        "ranking": ranking[:RANKING_SIZE],
        "rectification": _rectification_counts(cycle, root),
        "commendations": _decided_counts(Commendation, cycle, root, _labels_of("commendation")),
        "accountability": _decided_counts(AccountabilityMeasure, cycle, root, _labels_of("measure"))
        | {"assessments": by_stage.get(Stage.ACCOUNTABILITY, 0), "decided": _count_outcome(rows, outcomes)},
        "findings": _finding_counts(cycle, root),
        "rows": rows,
    }


def settlement_text(cycle) -> str:
    """The settling of the ratings (等次审定) as the report states it: when and by whom, the ratings lowered, and
    an override of the cap with its reason."""
    from flows.models import RatingChange, RatingSettlement, RatingSource, SettlementState

    s = RatingSettlement.objects.filter(cycle=cycle).select_related("settled_by").first()
    if s is None or s.state != SettlementState.SETTLED:
        return "等次尚未审定。"
    lowered = RatingChange.objects.filter(assessment__cycle=cycle, source=RatingSource.SETTLEMENT).count()
    when = timezone.localtime(s.settled_at).date().isoformat()
    who = getattr(s.settled_by, "real_name", "") or str(s.settled_by or "")
    text = f"等次已于 {when} 由{who}审定，审定中调低等次 {lowered} 个"
    if s.over_cap:
        return text + f"；“好”等次超过比例上限，经审定保留，理由：{s.override_reason}。"
    return text + "。"


def _count_outcome(rows, _outcomes) -> int:
    return sum(1 for r in rows if r["outcome_value"] == Outcome.ACCOUNTABILITY)


def _labels_of(which: str) -> dict:
    from flows.models import CommendationKind, MeasureKind

    return _labels(CommendationKind if which == "commendation" else MeasureKind)


def _plans_of(cycle) -> Q:
    """Spot checks of this cycle, and those tied to no cycle that were due in the cycle's year."""
    return Q(inspection__plan__cycle=cycle) | Q(
        inspection__plan__cycle__isnull=True, inspection__plan__due__year=cycle.year
    )


def _rectification_counts(cycle, root) -> dict:
    """整改中 / 已报告待验收 / 已验收 are the item phases, counted as the dashboard counts them."""
    counts = rectification_counts(
        RectificationItem.objects.filter(
            subtree_q(root.path, prefix="assessment__organisation__"), assessment__cycle=cycle
        ),
        on=today(),
    )
    return {"total": counts["open"] + counts["reported"] + counts["verified"]} | counts


def _decided_counts(model, cycle, root, kinds: dict) -> dict:
    """Per kind: proposed, approved, rejected, pending (one grouped query)."""
    grouped = (
        model.objects.filter(subtree_q(root.path, prefix="assessment__organisation__"), assessment__cycle=cycle)
        .values_list("kind")
        .annotate(
            n=Count("pk"),
            approved=Count("pk", filter=Q(decision=Decision.APPROVED)),
            rejected=Count("pk", filter=Q(decision=Decision.REJECTED)),
        )
        .order_by("kind")
    )
    by_kind = [
        {"kind": kinds.get(kind, kind), "proposed": n, "approved": ok, "rejected": no, "pending": n - ok - no}
        for kind, n, ok, no in grouped
    ]
    return {
        "by_kind": by_kind,
        "proposed": sum(k["proposed"] for k in by_kind),
        "approved": sum(k["approved"] for k in by_kind),
    }


def _finding_counts(cycle, root) -> dict:
    from flows.models import Severity

    severities = _labels(Severity)
    grouped = dict(
        Finding.objects.filter(subtree_q(root.path, prefix="inspection__organisation__"), _plans_of(cycle))
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by("severity")
    )
    return {
        "total": sum(grouped.values()),
        "by_severity": [(severities[v], grouped.get(v, 0)) for v in Severity.values],
    }


# ---- 述职评议考核: the report-and-review meetings and the secretaries' results ------------------------------------

NUMERALS = "一二三四五六七八九十"


def section_number(n: int) -> str:
    """一、二、… for the report's numbered sections (up to 十)."""
    return NUMERALS[n - 1] if 1 <= n <= len(NUMERALS) else str(n)


def meetings_heading(report) -> str:
    """The 述职评议考核 section comes last: after 六 (or 七 when one organisation's report lists spot-check
    findings)."""
    last = 7 if report["single"] and report["single"]["findings"] else 6
    return f"{section_number(last + 1)}、述职评议考核"


def meetings_section(cycle, organisation, *, subtree: bool) -> list[dict]:
    """The cycle's confirmed report-and-review meetings within the report's scope, each with its reporters' results:
    a meeting held by an organisation in scope with all its reporters; a meeting held above it with the reporters
    from the organisations in scope only. One query, whatever the size of the subtree."""
    if subtree:
        in_scope = subtree_q(organisation.path, prefix="meeting__holder__") | subtree_q(
            organisation.path, prefix="organisation__"
        )
    else:
        in_scope = Q(meeting__holder=organisation) | Q(organisation=organisation)
    ratings = _labels(Rating)
    reporters = (
        MeetingReporter.objects.filter(in_scope, meeting__cycle=cycle, meeting__state=MeetingState.CONFIRMED)
        .select_related("meeting__holder", "person", "organisation", "result")
        .order_by("meeting__date", "meeting__pk", "order", "pk")
    )
    meetings: dict = {}
    for r in reporters:
        m = r.meeting
        entry = meetings.get(m.pk)
        if entry is None:
            entry = meetings[m.pk] = {
                "title": m.title,
                "holder": m.holder.name,
                "date": _date(m.date),
                "place": m.place,
                "attendance": m.attendance,
                "reporters": [],
            }
        result = getattr(r, "result", None)
        entry["reporters"].append(
            {
                "order": r.order,
                "name": str(r.person),
                "post": r.title,
                "organisation": r.organisation.name,
                "appraisal": _num(r.appraisal_score),
                "appraisal_text": cell_text(_num(r.appraisal_score)) if r.appraisal_score is not None else "未计入",
                "comment_rating": ratings.get(r.comment_rating, ""),
                "score": _num(result.score) if result else None,
                "rating": ratings.get(result.rating, "") if result else "",
            }
        )
    return list(meetings.values())


def meetings_text(meetings: list[dict]) -> str:
    if not meetings:
        return "本考核周期内没有已确认结果的述职评议会。"
    reporters = [r for m in meetings for r in m["reporters"]]
    by_rating = {label: 0 for label in _labels(Rating).values()}
    for r in reporters:
        if r["rating"]:
            by_rating[r["rating"]] = by_rating.get(r["rating"], 0) + 1
    spread = "，".join(f"{label} {n} 名" for label, n in by_rating.items())
    return (
        f"本考核周期召开述职评议会 {len(meetings)} 次，{len(reporters)} 名党组织书记述职述党建、接受现场测评和"
        f"领导点评。考核结果：{spread}。"
    )


def meeting_facts(m: dict) -> str:
    """召开单位, date, place and attendance of one meeting, as one line."""
    attendance = f"{m['attendance']} 人" if m["attendance"] is not None else "未登记"
    return f"召开单位：{m['holder']}；时间：{m['date']}；地点：{m['place']}；参会人数：{attendance}"


MEETING_HEADER = ["述职顺序", "姓名", "职务", "单位", "现场测评", "领导点评", "综合得分", "等次"]


def meeting_rows(m: dict, *, numbers: bool = False) -> list[list]:
    """One row per reporter under MEETING_HEADER; with `numbers` the appraisal stays a number (a workbook's cell)
    where there is one."""
    return [
        [
            r["order"],
            r["name"],
            r["post"],
            r["organisation"],
            r["appraisal"] if numbers and r["appraisal"] is not None else r["appraisal_text"],
            r["comment_rating"] or "—",
            r["score"],
            r["rating"] or "—",
        ]
        for r in m["reporters"]
    ]
