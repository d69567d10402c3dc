"""Ledgers (台账) as offices print them: the cycle results ledger, the cadres' results (干部抓党建工作考核结果) and
the ballot tallies (write-only)."""

from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from flows.excel import choices, writing
from flows.excel.cells import safe
from flows.models import Assessment, Level, Outcome, Rating, Role, Sector, Stage

RESULT_GROUPS = [  # (group header or None, [column headers]): the 得分 group is a merged header over four columns
    (None, ["序号"]),
    (None, ["组织名称"]),
    (None, ["组织编码"]),
    (None, ["领域"]),
    ("得分", ["自评", "群众评议", "上级考核", "综合得分"]),
    (None, ["等次"]),
    (None, ["一票否决"]),
    (None, ["处理结果"]),
    (None, ["当前阶段"]),
]
RESULT_FIELDS = (
    "organisation__name",
    "organisation__code",
    "organisation__sector",
    "self_score",
    "mass_score",
    "superior_score",
    "combined_score",
    "rating",
    "veto",
    "outcome",
    "state",
)


def _two_row_header(ws, groups, top_row: int):
    """Group headers merged across their columns above, single headers merged down over both rows."""
    top, bottom, col = [], [], 1
    for group, labels in groups:
        for i, text in enumerate(labels):
            upper = WriteOnlyCell(ws, value=group if (group and i == 0) else (None if group else text))
            lower = WriteOnlyCell(ws, value=text if group else None)
            for cell in (upper, lower):
                cell.font, cell.fill, cell.border = Font(bold=True), writing.HEAD_FILL, writing.BOX
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            top.append(upper)
            bottom.append(lower)
        first, last = get_column_letter(col), get_column_letter(col + len(labels) - 1)
        if group:
            ws.merged_cells.add(f"{first}{top_row}:{last}{top_row}")
        else:
            ws.merged_cells.add(f"{first}{top_row}:{first}{top_row + 1}")
        col += len(labels)
    ws.append(top)
    ws.append(bottom)


def _bold(ws, text):
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    return cell


def _num(value):
    return float(value) if value is not None else None


def results_ledger(cycle, assessments=None, *, progress=None) -> bytes:
    """The cycle results ledger (考核结果台账): every assessment with its scores, rating and outcome."""
    qs = assessments if assessments is not None else Assessment.objects.filter(cycle=cycle)
    wb = writing.new_workbook()
    width = sum(len(labels) for _g, labels in RESULT_GROUPS)
    # two title rows and the two-row header above the table; the names stay in view when scrolling right
    ws = writing.printed_sheet(
        wb, "考核结果", columns=[6, 40, 16, 12, 8, 10, 10, 10, 8, 10, 20, 12], header_rows=4, freeze="C5"
    )
    stamp = timezone.localtime().strftime("%Y年%m月%d日")
    tops = writing.title_rows(ws, f"{cycle.name}结果台账", f"{cycle.office.name}　制表日期：{stamp}", width)
    _two_row_header(ws, RESULT_GROUPS, tops + 1)
    sectors = {v: choices.zh_label(Sector, v) for v in Sector.values}
    ratings = {v: choices.zh_label(Rating, v) for v in Rating.values}
    outcomes = {v: choices.zh_label(Outcome, v) for v in Outcome.values}
    stages = {v: choices.zh_label(Stage, v) for v in Stage.values}
    # scores as floats straight from the database: no Decimal per cell on the way to a float cell
    scores = {f"_{f}": Cast(f, FloatField()) for f in ("self_score", "mass_score", "superior_score", "combined_score")}
    fields = [f"_{f}" if f"_{f}" in scores else f for f in RESULT_FIELDS]
    rows = qs.order_by("organisation__path").annotate(**scores).values_list(*fields)
    append = ws.append
    for n, (name, code, sector, s_self, s_mass, s_sup, s_comb, rating, veto, outcome, state) in enumerate(
        rows.iterator(chunk_size=5000), 1
    ):
        append(
            [
                n,
                safe(name),
                safe(code),
                sectors.get(sector, ""),
                s_self,
                s_mass,
                s_sup,
                s_comb,
                ratings.get(rating, ""),
                "是" if veto else "",
                outcomes.get(outcome, ""),
                stages.get(state, ""),
            ]
        )
        if progress and n % 5000 == 0:
            progress(n)
    return writing.to_bytes(wb)


CADRE_HEADER = [
    "序号",
    "姓名",
    "职务",
    "单位",
    "层级",
    "职责",
    "现场测评",
    "领导点评",
    "组织考核得分",
    "综合得分",
    "等次",
    "依据",
    "确认日期",
]
CADRE_COLUMNS = [6, 10, 24, 36, 12, 10, 10, 10, 12, 10, 8, 48, 12]
DUTIES = {Role.SECRETARY: "书记", Role.DEPUTY: "分管领导"}


def cadre_ledger(cycle, results, *, level: str = "", progress=None) -> bytes:
    """干部抓党建工作考核结果: each person's result of the cycle (a secretary's from the report-and-review meeting,
    the person in direct charge's from the organisation's assessment), as an organisation department hands it to
    its cadre section; `level` names the organisations' level it was cut to (all levels when empty)."""
    wb = writing.new_workbook()
    # two title rows and the header repeated on every page; the names stay in view when scrolling right
    ws = writing.printed_sheet(wb, "干部考核结果", columns=CADRE_COLUMNS, header_rows=3, freeze="C4")
    level_label = choices.zh_label(Level, level) if level else "全部层级"
    stamp = timezone.localtime().strftime("%Y年%m月%d日")
    tops = writing.title_rows(
        ws,
        f"{cycle.year}年度干部抓党建工作考核结果（{level_label}）",
        f"{cycle.name}　{cycle.office.name}　制表日期：{stamp}",
        len(CADRE_HEADER),
    )
    writing.header_row(ws, CADRE_HEADER)
    levels = {v: choices.zh_label(Level, v) for v in Level.values}
    ratings = {v: choices.zh_label(Rating, v) for v in Rating.values}
    rows = results.select_related("person", "organisation").order_by("organisation__path", "-duty", "person__pk")
    for n, r in enumerate(rows.iterator(chunk_size=2000), 1):
        confirmed = WriteOnlyCell(ws, value=timezone.localtime(r.confirmed_at).date())
        confirmed.number_format = "yyyy-mm-dd"
        writing.wrapped_row(
            ws,
            tops + 1 + n,
            [
                n,
                r.person.real_name or r.person.username,
                r.title,
                r.organisation.name,
                levels.get(r.organisation.level, ""),
                DUTIES.get(r.duty, r.duty),
                _num(r.appraisal_score),
                ratings.get(r.comment_rating, ""),
                _num(r.organisation_score),
                _num(r.score),
                ratings.get(r.rating, ""),
                r.basis,
                confirmed,
            ],
            CADRE_COLUMNS,
        )
        if progress and n % 2000 == 0:
            progress(n)
    return writing.to_bytes(wb)


def ballot_tally(campaign, tally=None, sealed=None) -> bytes:
    """An evaluation's tally: per subject the ballots, the score and the count per answer. Counts below the
    campaign's threshold stay hidden, as on the screen; before the voting closes there is no tally at all (a
    running count could reveal how the last voter voted)."""
    from flows.services.ballots import answers_for

    with translation.override("zh-hans"):
        answers = [(v, str(label)) for v, label in answers_for(campaign)]
    wb = writing.new_workbook()
    labels = ["序号", "测评对象", "有效票数", "得分"] + [label for _v, label in answers]
    columns = [6, 40, 10, 10] + [10] * len(answers)
    if tally is None:
        ws = writing.printed_sheet(wb, "计票结果", columns=columns)
        writing.title_rows(ws, f"{campaign.title}计票结果", "投票尚未结束：结果在投票结束后导出。", len(labels))
        return writing.to_bytes(wb)
    # two title rows and the header repeated on every page; the subjects stay in view when scrolling right
    ws = writing.printed_sheet(wb, "计票结果", columns=columns, header_rows=3, freeze="C4")
    writing.title_rows(
        ws,
        f"{campaign.title}计票结果",
        f"发放 {tally.issued} 张，收回 {tally.ballots if tally.total_shown else '—'} 张；"
        f"少于 {campaign.k_threshold} 票的不公布",
        len(labels),
    )
    writing.header_row(ws, labels)
    for n, s in enumerate(tally.subjects, 1):
        overall = {}
        for counter in s["counts"].values():
            for value, count in counter.items():
                overall[value] = overall.get(value, 0) + count
        ws.append(
            [
                n,
                safe(str(s["subject"])),
                s["n"] if s["shown"] else "—",
                (_num(s["score"]) if s.get("mass_score", s["score"]) is not None else "不计入") if s["shown"] else "—",
            ]
            + [overall.get(v, 0) if s["shown"] else "—" for v, _label in answers]
        )
    ws.append([])
    ws.append([None, _bold(ws, "分组"), _bold(ws, "票数")])  # in the wide name column, not the narrow 序号
    for g in tally.groups:
        ws.append([None, safe(g["group"] or "—"), g["n"] if g["shown"] else "—"])
    if tally.weights:
        ws.append([])
        ws.append([None, _bold(ws, "参评群体"), _bold(ws, "发放测评码"), _bold(ws, "权重")])
        for w in tally.weights:
            ws.append([None, safe(w["group"] or "—"), w["issued"], _num(w["weight"])])
    if tally.turnout and tally.turnout.get("note"):
        ws.append([None, safe(str(tally.turnout["note"]))])
    if sealed:
        ws.append([])
        ws.append([None, _bold(ws, "计票封存摘要（SHA-256）"), sealed["digest"]])
        ws.append([None, "封存票数", sealed["ballots"]])
        changed = "与封存不一致：投票结束后计票数据被改动，请报告监督机构"
        ws.append([None, "核验", "与封存一致" if sealed["matches"] else changed])
        ws.append([None, "核验方法", "在结果页下载结果文件（JSON），运行 python -m zerenzhi_verify tally 结果文件"])
    return writing.to_bytes(wb)
