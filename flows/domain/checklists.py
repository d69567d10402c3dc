"""The inspectors' default checklist, from what the seeds ask spot checks to look at (000 §4.4, 001 §3.6, 003 §4.4).

Offices change it in the admin (per sector); `checklist_load_defaults` puts back any default item that is missing.
"""

DEFAULT_CHECKLIST = [
    ("C1", "三会一课", "支部党员大会、支部委员会、党小组会按期召开，按时上好党课；会议记录完整。"),
    ("C2", "组织生活", "组织生活会、民主评议党员、主题党日按要求开展，批评与自我批评有记录。"),
    ("C3", "党员教育管理", "党员学习培训、发展党员程序、党费收缴、流动党员管理规范。"),
    ("C4", "阵地建设", "党组织活动场所标识规范、功能完善、经常使用。"),
    ("C5", "经费保障", "党建工作经费落实到位，使用规范，账目清楚。"),
    ("C6", "台账资料", "党建工作台账齐全、真实、及时，与实际工作相符。"),
]


def checklist_load_defaults() -> int:
    """Create the default items that do not exist yet (safe to run again). Returns how many were created."""
    from flows.models import ChecklistItem

    created = 0
    for order, (code, title, guidance) in enumerate(DEFAULT_CHECKLIST, 1):
        _item, new = ChecklistItem.objects.get_or_create(
            sector="", code=code, defaults={"title": title, "guidance": guidance, "order": order}
        )
        created += new
    return created
