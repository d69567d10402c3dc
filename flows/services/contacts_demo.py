"""The demo city's contact points and visits (issue 20): leaders of 河塘镇, 青山县 and 龙山乡 keep contact points,
weak branches included, and visited some of them this year; 马家沟村 (weak and lax) has a contact leader but no
visit yet, 西岭村 was visited but no leader keeps it as a contact point. Idempotent: a second load adds nothing."""

import datetime

from flows.models import Organisation, User
from flows.models.contacts import ContactPoint
from flows.models.people import today
from flows.services import contacts as services

POINTS = [  # (leader, organisation code, note)
    ("dingxuejun", "JC-QS-HT-01", ""),
    ("dingxuejun", "JC-QS-HT-05", "基础较弱，重点帮扶"),
    ("fangting", "JC-QS-HT-03", ""),
    ("xianshuji", "JC-QS-HT", ""),
    ("xianshuji", "JC-QS-KFQ", "非公企业联合党支部"),
    ("huxinmin", "JC-BH-LS-02", "软弱涣散党组织，书记联系"),
    ("luyu", "JC-BH-LS-03", "软弱涣散党组织"),
]
VISITS = [  # (leaders, organisation code, days ago, kind, seen, problems)
    (
        ["dingxuejun"],
        "JC-QS-HT-01",
        200,
        "supervision",
        "查阅“三会一课”记录和党员发展材料，召开党员座谈会；支部活动阵地整洁，制度上墙。",
        "党员积分管理台账更新不及时",
    ),
    (
        ["xianshuji", "dingxuejun"],
        "JC-QS-HT-05",
        120,
        "observation",
        "观摩北山村党群服务中心建设和“书记项目”推进情况。",
        "支部班子分工不明确\n主题党日活动形式单一",
    ),
    (["dingxuejun"], "JC-QS-HT-02", 60, "research", "调研西岭村换届后班子运行情况，与新任书记谈话。", ""),
    (
        ["huxinmin"],
        "JC-BH-LS-02",
        90,
        "supervision",
        "督导杨家坪村整顿方案落实：班子调整到位，组织生活逐步恢复。",
        "村级集体经济薄弱，缺少增收项目",
    ),
    (["xianshuji"], "JC-QS-KFQ", 30, "observation", "观摩开发区非公企业联合党支部“党建+生产”做法。", ""),
]


def _day(days_ago: int) -> datetime.date:
    """A date this year, `days_ago` before today (never before 1 January)."""
    now = today()
    return max(now - datetime.timedelta(days=days_ago), datetime.date(now.year, 1, 1))


def demo_contacts() -> int:
    """Add the demo's contact points and visits of this year unless they are there; returns how many were added."""
    year = today().year
    people = {u.username: u for u in User.objects.filter(username__in={p[0] for p in POINTS} | {"xianshuji"})}
    people |= {u.username: u for u in User.objects.filter(username__in={n for v in VISITS for n in v[0]})}
    if "dingxuejun" not in people or ContactPoint.objects.filter(leader=people["dingxuejun"], year=year).exists():
        return 0
    orgs = {o.code: o for o in Organisation.objects.filter(code__in={p[1] for p in POINTS} | {v[1] for v in VISITS})}
    added = 0
    for username, code, note in POINTS:
        leader = people[username]
        services.contact_point_add(by=leader, leader=leader, organisation=orgs[code], year=year, note=note)
        added += 1
    for usernames, code, days_ago, kind, seen, problems in VISITS:
        leaders = [people[u] for u in usernames]
        services.visit_record(
            by=leaders[0],
            organisation=orgs[code],
            date=_day(days_ago),
            kind=kind,
            leaders=leaders,
            seen=seen,
            problems=problems,
        )
        added += 1
    return added
