"""Fill-in templates that import back: the same sheets and headers the importers read, pre-filled with what
exists (so a second import of an untouched template changes nothing), drop-downs on choice columns, an
instructions sheet, and for scores and rectification a hidden row key and locked non-input columns."""

from flows.excel import choices, writing
from flows.excel.cells import safe
from flows.excel.importers import indicators as ind_imp
from flows.excel.importers import organisations as org_imp
from flows.excel.importers import scores as score_imp
from flows.models import ItemScore, Kind, Level, Organisation, Regime, Role, RoleAssignment, Sector

DROP_ROWS = 2000  # drop-downs reach this many rows below the header in the organisation sheets
YES_NO = ["是", "否"]


def _labels(columns):
    return [c.label for c in columns]


def _required(columns):
    return {c.label for c in columns if c.required}


def organisations_template(orgs, roles=None) -> bytes:
    """The organisation tree (and current roles) of `orgs`, a queryset within the user's office scope."""
    wb = writing.new_workbook()
    writing.instructions(
        wb,
        [
            "1. “组织”表每行一个党组织：组织编码唯一，不要修改已有组织的编码；新组织填写新编码。",
            "2. “上级党组织编码”填写领导该组织的党组织编码，只能填一个；根组织留空。",
            "3. 组织类别、领域、层级、管理体制请从下拉列表中选择；软弱涣散填“是”或“否”。",
            "4. “任职”表每行一人一个角色：用户名为登录账号；日期可写 2026-03-01 或 2026年3月1日。"
            "修改“职务”即更新该人员的职务（留空表示不修改）；姓名须与账号一致。",
            "5. 带 * 的列必须填写。导入前系统会预览新增、修改和未变的行，确认后才写入；任何一行有误则整份不导入。",
        ],
    )
    ws = writing.printed_sheet(wb, "组织", columns=[16, 40, 16, 16, 14, 14, 16, 16, 10], header_rows=1, freeze="C2")
    writing.header_row(ws, _labels(org_imp.ORG_COLUMNS), required=_required(org_imp.ORG_COLUMNS))
    orgs = list(orgs.order_by("path"))
    code_by_path = {o.path: o.code for o in orgs}
    missing = {o.path[: -o.steplen] for o in orgs if o.depth > 1} - set(code_by_path)
    code_by_path.update(dict(Organisation.objects.filter(path__in=missing).values_list("path", "code")))
    for o in orgs:
        ws.append(
            [
                safe(o.code),
                safe(o.name),
                safe(o.short_name),
                choices.zh_label(Kind, o.kind),
                choices.zh_label(Sector, o.sector),
                choices.zh_label(Level, o.level),
                code_by_path.get(o.path[: -o.steplen], "") if o.depth > 1 else "",
                choices.zh_label(Regime, o.regime),
                "是" if o.weak_and_lax else "否",
            ]
        )
    last = len(orgs) + DROP_ROWS
    for col, ch in ((4, Kind), (5, Sector), (6, Level), (8, Regime)):
        writing.drop_down(ws, choices.zh_labels(ch), col, 2, last)
    writing.drop_down(ws, YES_NO, 9, 2, last)

    rs = writing.printed_sheet(wb, "任职", columns=[16, 12, 24, 16, 22, 14, 14], header_rows=1)
    writing.header_row(rs, _labels(org_imp.ROLE_COLUMNS), required=_required(org_imp.ROLE_COLUMNS))
    roles = roles if roles is not None else RoleAssignment.objects.none()
    n = 0
    for ra in roles.select_related("user", "organisation").order_by("organisation__path", "role", "start"):
        rs.append(
            [
                safe(ra.user.username),
                safe(ra.user.real_name),
                safe(ra.user.title),
                safe(ra.organisation.code),
                choices.zh_label(Role, ra.role),
                ra.start.isoformat(),
                ra.end.isoformat() if ra.end else "",
            ]
        )
        n += 1
    writing.drop_down(rs, choices.zh_labels(Role), 5, 2, n + DROP_ROWS)
    return writing.to_bytes(wb)


def indicators_template(template=None) -> bytes:
    """An indicator template's items (or an empty sheet to start a new template)."""
    wb = writing.new_workbook()
    writing.instructions(
        wb,
        [
            "1. 每行一个考核指标；同一模板编码的行组成一个指标体系。版本留空表示最新版本（没有则新建第 1 版）。",
            "2. 分值最多一位小数；一票否决项分值填 0。需佐证材料、一票否决填“是”或“否”。",
            "3. 已被开启的考核周期使用的指标体系不能修改，请先在系统中生成新版本。",
            "4. 指标类型：常规项、加分项或扣分项。常规项（一票否决项除外）分值合计应为 100 分；"
            "加分项、扣分项的分值为该项最多加（扣）的分数，合计不超过本指标体系的加分上限、扣分上限。",
            "5. 层级、加分上限、扣分上限、折算为百分制属于整个指标体系，同一模板编码的每一行填写相同的值；"
            "层级留空表示适用于各层级。常规项合计不是 100 分时，须在“折算为百分制”填“是”，得分按百分制折算。",
        ],
    )
    ws = writing.printed_sheet(
        wb, "指标", columns=[14, 8, 36, 12, 12, 10, 16, 10, 40, 8, 60, 12, 10, 10, 10, 10, 12], header_rows=1
    )
    writing.header_row(ws, _labels(ind_imp.COLUMNS), required=_required(ind_imp.COLUMNS))
    n = 0
    if template is not None:
        for i in template.indicators.select_related("dimension").order_by("order"):
            ws.append(
                [
                    safe(template.code),
                    template.version,
                    safe(template.name),
                    choices.zh_label(Sector, template.sector),
                    choices.zh_label(Level, template.level),
                    safe(i.dimension.code),
                    safe(i.dimension.name),
                    safe(i.code),
                    safe(i.name),
                    float(i.max_points),
                    safe(i.guidance),
                    "是" if i.evidence_required else "否",
                    "是" if i.veto else "否",
                    ind_imp.kind_label(i.kind),
                    float(template.bonus_cap),
                    float(template.deduction_cap),
                    "是" if template.normalise else "否",
                ]
            )
            n += 1
    writing.drop_down(ws, choices.zh_labels(Sector), 4, 2, n + DROP_ROWS)
    writing.drop_down(ws, choices.zh_labels(Level), 5, 2, n + DROP_ROWS)
    for col in (12, 13, 17):
        writing.drop_down(ws, YES_NO, col, 2, n + DROP_ROWS)
    writing.drop_down(ws, list(ind_imp.KIND_LABELS.values()), 14, 2, n + DROP_ROWS)
    return writing.to_bytes(wb)


def scores_template(assessments) -> bytes:
    """Score sheets of `assessments` (those the user may score now): one row per item, input cells unlocked."""
    wb = writing.new_workbook()
    writing.instructions(
        wb,
        [
            "1. 只填写黄色单元格：自评阶段填写“自评得分”“自评说明”，上级考核阶段填写“考核得分”“考核意见”。",
            "2. 第一列“考核编号”为隐藏的行标识，请勿修改或删除；不要增删行。",
            "3. 分数在 0 至该项分值之间，最多一位小数。一票否决项在系统中认定。",
            "4. 导入后系统显示将变更的得分，确认后保存为草稿（与网页填写相同），仍需在系统中提交。",
            "5. 本表只含下载时等待您评分的考核；未修改的行导入时记为未变，分数留空不会清除已保存的分数。",
        ]
        + ([] if assessments.exists() else ["当前没有等待您评分的考核。"]),
    )
    ws = writing.printed_sheet(wb, "评分", columns=[10, 30, 10, 40, 8, 10, 30, 10, 30], header_rows=1, freeze="C2")
    ws.column_dimensions["A"].hidden = True
    writing.header_row(ws, _labels(score_imp.COLUMNS))
    writing.protect(ws)
    row, by_max = 1, {}
    for a in assessments.select_related("organisation", "template"):
        scores = {s.indicator_id: s for s in ItemScore.objects.filter(assessment=a)}
        editable = score_imp.STEP_COLUMNS.get(a.state, ())
        for ind in a.template.indicators.order_by("order"):
            row += 1
            s = scores.get(ind.pk)
            values = {
                "self_points": float(s.self_points) if s and s.self_points is not None else None,
                "self_note": s.self_note if s else "",
                "superior_points": float(s.superior_points) if s and s.superior_points is not None else None,
                "superior_note": s.superior_note if s else "",
            }
            cells = [a.pk, safe(a.organisation.name), safe(ind.code), safe(ind.name), float(ind.max_points)]
            for key in ("self_points", "self_note", "superior_points", "superior_note"):
                if key in editable and not ind.veto:
                    cells.append(writing.input_cell(ws, values[key]))
                else:
                    cells.append(safe(values[key]))
            if not ind.veto and editable:
                by_max.setdefault(float(ind.max_points), []).append(row)
            ws.append(cells)
    writing.decimal_range(ws, 6, by_max)
    writing.decimal_range(ws, 8, by_max)
    return writing.to_bytes(wb)


def rectification_ledger(items, *, title="整改台账", subtitle="") -> bytes:
    """The rectification ledger (整改台账), also the fill-in template: owners write 整改情况 and import it."""
    from flows.models import ItemState, RectificationItem
    from flows.models.state_groups import Phase, phase_of

    labels = ["整改编号", "序号", "组织名称", "存在问题", "整改要求", "责任人", "完成时限", "状态", "整改情况"]
    wb = writing.new_workbook()
    writing.instructions(
        wb,
        [
            "1. 责任人在“整改情况”列填写整改落实情况，导入后即向审核人报送（与网页报送相同）。",
            "2. 第一列“整改编号”为隐藏的行标识，请勿修改；只能报送本人负责、尚在整改中的事项。",
        ],
    )
    columns = [8, 6, 30, 36, 30, 10, 12, 14, 40]  # long problems and reports wrap (wrapped_row) rather than widen
    ws = writing.printed_sheet(wb, "整改", columns=columns, header_rows=3, freeze="C4")
    ws.column_dimensions["A"].hidden = True
    writing.title_rows(ws, title, subtitle, len(labels))
    writing.header_row(ws, labels)
    writing.protect(ws)
    for n, it in enumerate(items.select_related("assessment__organisation", "owner").order_by("due", "pk"), 1):
        writing.wrapped_row(
            ws,
            n + 3,
            [
                it.pk,
                n,
                safe(it.assessment.organisation.name),
                safe(it.problem),
                safe(it.requirement),
                safe(str(it.owner)),
                it.due.isoformat(),
                choices.zh_label(ItemState, it.state),
                writing.input_cell(ws, it.report)
                if phase_of(RectificationItem, it.state) == Phase.UNDER_WAY  # the owner reports only then
                else safe(it.report),
            ],
            columns,
        )
    return writing.to_bytes(wb)
