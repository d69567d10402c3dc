"""Loading the demo organisation tree and people from fixtures/demo, idempotently, through the services."""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from flows.models import OfficeMembership, Organisation, OversightOffice, RoleAssignment, User
from flows.services import organisations as org_services
from flows.services import people as people_services

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "organisations.json"
DEMO_ADMIN = "admin"
DEMO_LOGIN_COUNT = 7  # the first people in the demo file are the documented demo logins, one per role
ORG_FIELDS = ("name", "short_name", "kind", "sector", "level", "regime", "classification", "weak_and_lax")


@dataclass
class LoadReport:
    created: dict = field(
        default_factory=lambda: {"organisations": 0, "offices": 0, "people": 0, "roles": 0, "cycles": 0}
    )

    @property
    def total_created(self):
        return sum(self.created.values())


def _walk(node, leading_code=None):
    yield node, leading_code
    for child in node.get("children", []):
        yield from _walk(child, node["code"])


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


@transaction.atomic
def demo_load(*, by=None, path: Path = DEMO_FILE) -> LoadReport:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    report = LoadReport()
    roles_before = RoleAssignment.objects.count()
    nodes = [n for root in data["organisations"] for n in _walk(root)]
    orgs: dict[str, Organisation] = {
        o.code: o for o in Organisation.objects.filter(code__in=[n["code"] for n, _ in nodes])
    }
    for node, leading_code in nodes:
        if node["code"] in orgs:
            continue
        fields = {f: node.get(f, "") for f in ORG_FIELDS}
        fields["weak_and_lax"] = bool(node.get("weak_and_lax"))
        leading = orgs[leading_code] if leading_code else None
        orgs[node["code"]] = org_services.organisation_create(by=by, leading=leading, code=node["code"], **fields)
        report.created["organisations"] += 1

    offices = {}
    for o in data["offices"]:
        office, created = OversightOffice.objects.get_or_create(
            code=o["code"], defaults={"name": o["name"], "kind": o["kind"], "scope": orgs[o["scope"]]}
        )
        offices[o["code"]] = office
        report.created["offices"] += int(created)

    for node, _leading in nodes:
        org = orgs[node["code"]]
        if node.get("review_office") and org.review_office_id is None:
            org = org_services.organisation_update(
                by=by, organisation=org, review_office=offices[node["review_office"]]
            )
        for guide_code in node.get("guides", []):
            org_services.guidance_add(by=by, organisation=org, guide=orgs[guide_code])

    password_hash = make_password(settings.DEMO_PASSWORD)  # hashed once: 245 hashes would take a minute
    existing = {u.username: u for u in User.objects.filter(username__in=[p["username"] for p in data["people"]])}
    for p in data["people"]:
        user = existing.get(p["username"])
        if user is None:
            user = User(username=p["username"], real_name=p["real_name"], title=p.get("title", ""))
            user.password = password_hash
            user.save()
            report.created["people"] += 1
        for r in p.get("roles", []):
            people_services.role_assign(
                by=by,
                user=user,
                organisation=orgs[r["org"]],
                role=r["role"],
                start=_date(r["start"]),
                end=_date(r.get("end")),
                acting=bool(r.get("acting")),
                reason=r.get("reason", ""),
            )
        for m in p.get("offices", []):
            people_services.office_join(
                by=by,
                user=user,
                office=offices[m["office"]],
                role=m["role"],
                start=_date(m["start"]),
                end=_date(m.get("end")),
            )
    if not User.objects.filter(username=DEMO_ADMIN).exists():
        User.objects.create(
            username=DEMO_ADMIN, real_name="系统管理员", password=password_hash, is_staff=True, is_superuser=True
        )
        report.created["people"] += 1
    report.created["roles"] = RoleAssignment.objects.count() - roles_before
    report.created["cycles"] = len(demo_past_cycles()) + int(demo_cycle(path=path) is not None)
    from flows.services.contacts_demo import demo_contacts  # issue 20: 联系点, 走访

    demo_contacts()
    from flows.services.consolidation_demo import demo_consolidation  # issue 20: 整顿

    demo_consolidation()
    from flows.services.rectification_demo import demo_rectification  # issue 20: 整改方案, 延期, 回头看

    demo_rectification()
    return report


# Printed logins with something to look at besides their 待办: the township office that held the demo's finished
# 述职评议会 (the meetings: `_demo_meetings`)
DEMO_LOGIN_NOTES = {
    "lvminghui": "河塘镇述职评议会已开完、结果已确认：菜单“述职评议”",
}


def demo_logins(path: Path = DEMO_FILE) -> list[tuple[User, list[str]]]:
    """The demo accounts worth trying, each with what it holds today (and, for some, what to look at)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    names = [DEMO_ADMIN] + [p["username"] for p in data["people"][:DEMO_LOGIN_COUNT]]
    village = RoleAssignment.objects.current().filter(user__username=names[1]).select_related("organisation").first()
    if village:  # whoever reviews the demo secretary's village (its township's secretary)
        from flows.policy import access

        names += [u.username for u in access.reviewers_of(village.organisation)]
    names += [name for name in DEMO_LOGIN_NOTES if name not in names]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    out = []
    for name in names:
        user = users.get(name)
        if user is None:
            continue
        held = [
            f"{r.get_role_display()} · {r.organisation.short_name or r.organisation.name}"
            for r in RoleAssignment.objects.current().filter(user=user).select_related("organisation")
        ]
        held += [
            f"{m.get_role_display()} · {m.office.name}"
            for m in OfficeMembership.objects.current().filter(user=user).select_related("office")
        ]
        if user.is_superuser:
            held.append("superuser / 系统管理员")
        if name in DEMO_LOGIN_NOTES:
            held.append(DEMO_LOGIN_NOTES[name])
        out.append((user, held))
    return out


DEMO_CYCLE_YEAR = 2026
DEMO_PROGRESS = {  # a few villages further along, so every role finds work waiting
    "JC-QS-HT-02": "self_approval",
    "JC-QS-HT-03": "mass_evaluation",
    "JC-QS-HT-04": "superior_review",  # in the township secretary's inbox (dingxuejun, a printed login)
    "JC-QS-SQ-02": "superior_review",
}
# A walk through one village's year with the printed logins, printed with them (东坪村 waits at its self-assessment)
DEMO_WALKTHROUGH = [
    ("fenguan", "填写东坪村的自评、上传佐证材料并提交"),
    ("shuji", "审核自评"),
    ("zuzhibu", "在“待认领”中认领并结束群众评议"),
    ("dingxuejun", "上级考评：评分、定等次，需要时列出整改事项和期限"),
    ("zuzhibu", "等次审定：四个机关支部的“好”超过 30% 上限，调低或说明理由后审定，再到考核周期页面公示"),
    ("lvminghui", "菜单“述职评议”→ 河塘镇12月1日的述职评议会：五位村（社区）书记的述职报告、测评票数、点评和结果"),
    ("shuji", "本人的结果：点页面右上角的姓名，个人页面列出历年结果、述职报告和领导点评"),
    ("dingxuejun", "提交述职报告：县委12月18日召开乡镇党委书记述职评议会，石桥镇的已提交、河塘镇的待提交"),
]


def demo_cycle(*, path: Path = DEMO_FILE):
    """The city's 2026 cycle, opened by the organisation department, with a few villages under way."""
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from flows.models import ReviewCycle, Role
    from flows.services import assessments as svc
    from flows.services import cycles as cycle_svc
    from flows.services.indicators import templates_load_defaults

    office = OversightOffice.objects.get(code="JC-ZZB")
    existing = ReviewCycle.objects.filter(office=office, year=DEMO_CYCLE_YEAR).first()
    if existing is not None:  # a city loaded before the meetings were in the demo gets them (else nothing is added):
        cycle_svc.cycle_launch(cycle=existing)  # 北山村, added to the demo since, gets its assessment
        _demo_meetings(existing)
        return None
    templates_load_defaults()
    officer = User.objects.get(username="zuzhibu")
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=DEMO_CYCLE_YEAR,
        name=f"{DEMO_CYCLE_YEAR}年度江川市基层党建工作责任制考核",
        good_cap_percent=Decimal(30),
        **cycle_svc.due_dates_for_year(DEMO_CYCLE_YEAR),
    )
    cycle_svc.cycle_open(by=officer, cycle=cycle)
    cycle_svc.cycle_launch(cycle=cycle)
    for code, stage in DEMO_PROGRESS.items():
        a = cycle.assessments.get(organisation__code=code)
        holder = {r.role: r.user for r in RoleAssignment.objects.current().filter(organisation=a.organisation)}
        deputy, secretary = holder[Role.DEPUTY], holder[Role.SECRETARY]
        indicators = list(a.template.indicators.filter(veto=False))
        for ind in indicators:
            if ind.evidence_required:
                upload = ContentFile(b"%PDF-1.4\n% demo evidence\n", name=f"{ind.code}台账.pdf")
                svc.evidence_add(assessment=a, by=deputy, upload=upload, content_type="application/pdf", indicator=ind)
        scores = {
            i.pk: (str((i.max_points * Decimal("0.9")).quantize(Decimal("0.1"))), "已按要求落实") for i in indicators
        }
        svc.self_assessment_save(
            assessment=a, by=deputy, scores=scores, report="一年来，村党支部认真落实党建工作责任制……"
        )
        svc.self_assessment_submit(assessment=a, by=deputy)
        if stage == "self_approval":
            continue
        svc.self_assessment_decide(assessment=a, by=secretary, approve=True)
        if stage == "mass_evaluation":
            continue
        svc.mass_evaluation_close(assessment=a, by=officer, mass_score="86")
    _demo_mass_evaluation(cycle, officer)
    _demo_results(cycle, officer)
    _demo_spot_check()
    _demo_staffing(cycle, officer)
    _demo_meetings(cycle)
    from flows.services.duties import demo_duties  # issue 20: 责任清单

    demo_duties(cycle)
    return cycle


# Organisations staffed the way real ones are (besides 西岭村's change of secretary in April, in the fixture):
# 桃园村 and 梨树湾村 (白河县) have only a secretary; 城南社区's secretary was transferred and its deputy acts as
# secretary (代理); 马家沟村's leader in charge hands over to a successor with the draft in flight; the organisation
# department passes 南坳村's mass evaluation to the county's officer (转办).
DEMO_STAFFING_LOGINS = [
    ("sunjie", "桃园村党支部只有书记：书记自评并提交即完成审核"),
    ("xionghongxia", "城南社区书记调离，副书记代理书记（主持工作）"),
    ("wangxinyu", "马家沟村年中交接：接任分管领导，未完成的自评随之转来"),
    ("houhongmei", "市委组织部把南坳村的结束群众评议转办给县委组织部"),
]


def _demo_staffing(cycle, officer):
    from viewflow.workflow.models import Task

    from flows.models import Role
    from flows.models.people import today
    from flows.selectors.holders import OPEN_STATUSES
    from flows.services.reassignment import task_pass_on
    from flows.services.tasks import tasks_claim

    deputy = RoleAssignment.objects.current().get(organisation__code="JC-BH-LS-03", role=Role.DEPUTY)
    people_services.role_handover(
        by=officer,
        assignment=deputy,
        successor=User.objects.get(username="wangxinyu"),
        on=today(),
        reason="曾丽调任乡民政办，分管党建工作交由王欣雨",
    )
    a = cycle.assessments.get(organisation__code="JC-QS-HT-03")
    task = Task.objects.get(process=a.process, status__in=OPEN_STATUSES, flow_task_type="HUMAN")
    tasks_claim(by=officer, task_ids=[task.pk])
    task_pass_on(
        by=officer,
        task=Task.objects.get(pk=task.pk),
        to=User.objects.get(username="houhongmei"),
        reason="河塘镇的群众评议由县委组织部侯红梅跟进",
    )


# 述职评议会 (issue 19). 河塘镇's office (党建办: 吕明辉 and a clerk) held its meeting of the village (and community)
# secretaries on 1 December: written reports, the appraisal on phones (one code per attendee covers every reporter)
# with one reporter's paper count typed and confirmed by the two officers, the township secretary's comments, the
# appraisal closed and every reporter's result confirmed. The county's meeting of its township secretaries is coming
# up on 18 December: 石桥镇's report is in, 河塘镇's secretary (dingxuejun, a printed login) still has it to submit,
# and 开发区's joint branch secretary is excused (请假, away on county business).
DEMO_MEETING_DONE = {
    "holder": "JC-QS-HT",
    "office": "HT-DJB",
    "officers": ("lvminghui", "songjiaqi"),
    "title": f"河塘镇{DEMO_CYCLE_YEAR}年度村（社区）党组织书记抓基层党建工作述职评议会",
    "date": datetime.date(DEMO_CYCLE_YEAR, 12, 1),
    "place": "河塘镇政府三楼会议室",
    "attendees": "镇党委委员，镇机关党员代表，各村（社区）党员代表和群众代表",
    "commenter": "dingxuejun",
    # speaking order: (organisation, written report, the leader's rating, comment, problems pointed out)
    "reporters": [
        (
            "JC-QS-HT-01",
            "2026年，东坪村党支部以“三会一课”为抓手，全年召开支部党员大会4次、支委会12次，书记讲党课3次。"
            "党支部领办蔬菜专业合作社，发展高山蔬菜360亩，带动48户农户增收，村集体经营性收入达到23万元。"
            "发展党员1名，培养入党积极分子2名。不足是党员教育方式还比较单一，流动党员管理有待加强。",
            "good",
            "刘建国同志抓党建思路清晰，支部领办合作社带动群众增收成效明显。希望在流动党员管理上再下功夫，"
            "把党员教育做实做细。",
            "",
        ),
        (
            "JC-QS-HT-02",
            "我于今年4月接任西岭村党支部书记。接任后先理清班子分工，逐户走访全村63名党员和困难群众，建立问题清单"
            "17项，已办结14项。落实“四议两公开”，村级重大事项全部经党员大会讨论。完成3个村民小组道路硬化。"
            "不足在于接任时间短，产业发展思路还不够清晰，明年将重点谋划茶叶产业。",
            "fairly_good",
            "赵芳同志接任以来工作积极主动，班子团结，群众认可。要尽快明确产业发展方向，把支部的组织优势转化为"
            "发展优势。",
            "",
        ),
        (
            "JC-QS-HT-03",
            "南坳村党支部坚持“支部+合作社+农户”模式，发展油茶1200亩，村集体经济收入突破40万元。深化党员积分"
            "管理，设岗定责，32名党员全部认领岗位。年内调处矛盾纠纷11起，做到小事不出村。下一步将加强后备干部"
            "培养，选好配强村“两委”班子接班人。",
            "good",
            "南坳村党支部战斗堡垒作用发挥充分，集体经济发展走在全镇前列。要注重后备力量培养，防止出现断层。",
            "",
        ),
        (
            "JC-QS-HT-05",
            "北山村党支部全年召开支部党员大会4次，组织党员参加义务植树、防汛值守等活动。争取项目资金修缮村级"
            "活动场所，改善了党员活动条件。对照要求，支部“三会一课”记录不够规范，连续两年没有发展党员，村集体"
            "经济仍以土地租金为主、收入不足10万元，这些都是我作为书记的责任。",
            "average",
            "郑海涛同志述职实事求是，对问题认识比较清醒，但支部基础工作薄弱，抓党建的办法不多。要对照指出的问题"
            "逐项整改，限期到位。",
            "“三会一课”记录不规范，部分支委会没有会议记录\n连续两年未发展党员，后备力量培养不足",
        ),
        (
            "JC-QS-HT-04",
            "河塘社区党支部推行网格化管理，划分8个网格、配备网格长8名，党员亮身份、进网格，全年为居民办实事56件。"
            "联合镇直单位开展“双报到”，21家单位党组织、136名在职党员到社区报到服务。存在的问题是老旧小区物业"
            "矛盾较多，居民议事协商机制还不健全。",
            "fairly_good",
            "江德明同志网格化管理抓得实，“双报到”有成效。要针对老旧小区物业矛盾，健全居民议事协商机制。",
            "",
        ),
    ],
    # one string per ballot, a letter per reporter in speaking order: 好 G, 较好 F, 一般 A, 差 P
    "ballots": {
        "镇党委委员": (7, ["GFGAF", "GFGAF", "FFGAA", "GGGAF", "GFGFF", "FGGAF", "GFGAA"]),
        "党员和群众代表": (8, ["GFGAF", "FFGPA", "GGGAF", "GFFAA", "GFGFF", "FAGAF", "GFGPA"]),  # one did not vote
    },
    "paper": ("JC-QS-HT-01", {"good": "2", "fairly_good": "1", "average": "0", "poor": "0"}),  # 3 paper ballots
    "attendance": "18",
}
DEMO_MEETING_COMING = {
    "holder": "JC-QS",
    "office": "QS-ZZB",
    "officers": ("shaoning",),
    "title": f"青山县{DEMO_CYCLE_YEAR}年度乡镇党委和县直属基层党组织书记抓基层党建工作述职评议会",
    "date": datetime.date(DEMO_CYCLE_YEAR, 12, 18),
    "place": "青山县委二楼大会议室",
    "attendees": "县委常委，县直有关部门主要负责同志，乡镇党员代表和群众代表",
    "commenter": "xianshuji",
    "reporters": [
        ("JC-QS-HT", "", "", "", ""),  # 丁学军's written report is still due: 提交述职报告 waits in his 我的待办
        (
            "JC-QS-SQ",
            "2026年，石桥镇党委认真履行抓基层党建第一责任，召开党建工作专题会议6次，书记带头联系柳湾村、新华社区。"
            "全面推行村党组织书记“擂台比武”，整顿提升软弱涣散村党组织1个；统筹资金280万元扶持村级集体经济，"
            "各村集体经营性收入均超过10万元。不足是非公企业党建覆盖仍有空白，党建引领基层治理的办法还不多。",
            "",
            "",
            "",
        ),
        # 开发区's joint branch secretary (王丽) is away on county business: the office excused her, with the reason
        ("JC-QS-KFQ", "", "", "", "", "受县委派赴外省开展招商引资工作，经县委组织部同意请假"),
    ],
}
_MARKS = {"G": "good", "F": "fairly_good", "A": "average", "P": "poor"}


def _demo_meetings(cycle):
    """The two report-and-review meetings above, through the services (each skipped when it exists)."""
    from flows.models import ReportMeeting

    for spec in (DEMO_MEETING_DONE, DEMO_MEETING_COMING):
        if not ReportMeeting.objects.filter(cycle=cycle, holder__code=spec["holder"]).exists():
            _demo_meeting(cycle, spec)


def _demo_meeting(cycle, spec):
    from viewflow.workflow.models import Task

    from flows.models import Role
    from flows.models.people import today
    from flows.selectors.holders import OPEN_STATUSES
    from flows.services import ballots, meetings
    from flows.services.tasks import tasks_claim

    holders = {
        (r.organisation.code, r.role): r.user
        for r in RoleAssignment.objects.current(spec["date"])
        .filter(organisation__code__in=[spec["holder"]] + [row[0] for row in spec["reporters"]], role=Role.SECRETARY)
        .select_related("organisation", "user")
    }
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=[row[0] for row in spec["reporters"]])}
    commenter = User.objects.get(username=spec["commenter"])
    officers = [User.objects.get(username=u) for u in spec["officers"]]
    office = OversightOffice.objects.get(code=spec["office"])
    meeting = meetings.meeting_create(
        by=officers[0],
        cycle=cycle,
        holder=office.scope,
        office=office,
        title=spec["title"],
        date=spec["date"],
        place=spec["place"],
        attendees=spec["attendees"],
        reporters=[
            {
                "person": holders[(code, Role.SECRETARY)],
                "organisation": orgs[code],
                "commenter": commenter,
                "title": holders[(code, Role.SECRETARY)].title,
            }
            for code, *_rest in spec["reporters"]
        ],
    )
    reporters = list(meeting.reporters.select_related("person", "organisation").order_by("order"))
    for r, (_code, report, *rest) in zip(reporters, spec["reporters"], strict=True):
        if report:  # submitted, and its receipt recorded by the office
            meetings.report_submit(reporter=r, by=r.person, report=report)
            meetings.report_receive(reporter=r, by=officers[0])
        elif len(rest) > 3:  # excused from the meeting, with the reason
            meetings.reporter_excuse(reporter=r, by=officers[0], reason=rest[3])
    if "ballots" not in spec:  # coming up: the reports are still due; the officer takes the meeting's next step
        hold = Task.objects.get(process=meeting.process, status__in=OPEN_STATUSES, flow_task_type="HUMAN")
        tasks_claim(by=officers[0], task_ids=[hold.pk])
        return meeting

    campaign = ballots.campaign_open(by=officers[0], campaign=meeting.campaign)
    subjects = [r.subject_id for r in reporters]
    for group, (issued, cast) in spec["ballots"].items():
        _batch, codes = ballots.tokens_issue(by=officers[0], campaign=campaign, count=issued, group=group)
        for code, letters in zip(codes, cast, strict=False):
            marks = {(s, ""): _MARKS[letter] for s, letter in zip(subjects, letters, strict=True)}
            ballots.ballot_cast(campaign=campaign, code=code, marks=marks)
    meetings.meeting_hold(meeting=meeting, by=officers[0], attendance=spec["attendance"])
    paper_code, counts = spec["paper"]
    on_paper = next(r for r in reporters if r.organisation.code == paper_code)
    meetings.paper_count_enter(reporter=on_paper, by=officers[0], counts=counts)
    meetings.paper_count_confirm(reporter=on_paper, by=officers[1])
    due = max(datetime.date(cycle.year + 1, 3, 31), today() + datetime.timedelta(days=30))
    for r, (_code, _report, rating, comment, problems) in zip(reporters, spec["reporters"], strict=True):
        meetings.comment_submit(
            reporter=r,
            by=commenter,
            comment=comment,
            rating=rating,
            problems=problems,
            problems_due=due if problems else None,
        )
    meetings.appraisal_close(meeting=meeting, by=officers[0])
    return meetings.results_confirm(meeting=meeting, by=officers[0])


# Reviews submitted for four agency branches (three 好, over the cycle's 30% cap), a reviewer's draft for 柳湾村 (not
# a rating until submitted), and the organisation department's 等次审定 waiting in its 待认领.
DEMO_REVIEWED = {"JC-FGW-01": "0.97", "JC-FGW-02": "0.95", "JC-JYJ-01": "0.96", "JC-JYJ-02": "0.86"}
DEMO_REVIEW_DRAFT = "JC-QS-SQ-02"


def _demo_results(cycle, officer):
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from flows.models import Outcome, Role
    from flows.policy import access
    from flows.services import assessments as svc
    from flows.services import results

    def scores(a, fraction):
        return {
            i.pk: (str((i.max_points * Decimal(fraction)).quantize(Decimal("0.1"))), "按要求落实")
            for i in a.template.indicators.filter(veto=False)
        }

    for code, fraction in DEMO_REVIEWED.items():
        a = cycle.assessments.select_related("organisation").get(organisation__code=code)
        drafter = access.person_in_direct_charge(a.organisation)
        for ind in a.template.indicators.filter(evidence_required=True, veto=False):
            upload = ContentFile(b"%PDF-1.4\n% demo evidence\n", name=f"{ind.code}台账.pdf")
            svc.evidence_add(assessment=a, by=drafter, upload=upload, content_type="application/pdf", indicator=ind)
        svc.self_assessment_save(assessment=a, by=drafter, scores=scores(a, "0.9"), report="一年来，支部认真落实……")
        svc.self_assessment_submit(assessment=a, by=drafter)
        a.refresh_from_db()
        if a.state == "self_approval":
            secretary = RoleAssignment.objects.current().get(organisation=a.organisation, role=Role.SECRETARY).user
            svc.self_assessment_decide(assessment=a, by=secretary, approve=True)
        svc.mass_evaluation_close(assessment=a, by=officer, mass_score="90")
        reviewer = access.reviewers_of(a.organisation)[0]
        svc.review_save(assessment=a, by=reviewer, scores=scores(a, fraction), comment="党建工作扎实")
        svc.review_submit(assessment=a, by=reviewer, outcome=Outcome.NONE)
    a = cycle.assessments.select_related("organisation").get(organisation__code=DEMO_REVIEW_DRAFT)
    reviewer = access.reviewers_of(a.organisation)[0]
    svc.review_save(assessment=a, by=reviewer, scores=scores(a, "0.95"), comment="评分草稿，待核实后提交")
    with transaction.atomic():
        results.settlement_start(cycle=cycle, by=officer)


def _demo_mass_evaluation(cycle, officer):
    """南坳村's anonymous mass evaluation is under way: codes issued to two voter groups, some already used."""
    import datetime

    from django.utils import timezone

    from flows.models import Satisfaction
    from flows.services import ballots

    a = cycle.assessments.get(organisation__code="JC-QS-HT-03")
    campaign = ballots.campaign_for_assessment(
        by=officer, assessment=a, closes_at=timezone.now() + datetime.timedelta(days=7)
    )
    campaign = ballots.campaign_open(by=officer, campaign=campaign)
    _b, members = ballots.tokens_issue(by=officer, campaign=campaign, count=30, group="党员")
    _b, public = ballots.tokens_issue(by=officer, campaign=campaign, count=20, group="群众代表")
    subject = campaign.subjects.get()
    answers = [Satisfaction.SATISFIED] * 3 + [Satisfaction.BASICALLY]
    for n, code in enumerate(members[:14] + public[:9]):
        ballots.ballot_cast(campaign=campaign, code=code, marks={(subject.pk, ""): answers[n % len(answers)]})


def _demo_spot_check():
    """The city inspection office's random spot check of 白河县's villages and communities: frozen, drawn, and in
    the inspectors' inboxes (the draw itself is random, as it must be; its certificate shows how to re-run it)."""
    import datetime

    from flows.domain.checklists import checklist_load_defaults
    from flows.models import Level, Sector
    from flows.services import spotchecks

    checklist_load_defaults()
    office = OversightOffice.objects.get(code="JC-DCS")
    officer = User.objects.get(username="huxuejun")
    plan = spotchecks.plan_create(
        by=officer,
        office=office,
        pool=list(User.objects.filter(username__in=["ducha", "shenkai", "caigang"])),
        name=f"{DEMO_CYCLE_YEAR}年第四季度白河县基层党建随机抽查",
        scope_root=Organisation.objects.get(code="JC-BH"),
        sectors=[Sector.VILLAGE, Sector.COMMUNITY],
        levels=[Level.GRASSROOTS],
        rate_percent=30,
        inspectors_per_target=2,
        due=datetime.date(DEMO_CYCLE_YEAR, 12, 25),
    )
    spotchecks.plan_freeze(by=officer, plan=plan, source="督查室周例会上由两名见证人现场掷骰")
    spotchecks.plan_draw(
        by=officer, plan=plan, numbers="3 6 1 4 4 2", witnesses=["王建华（派驻纪检组）", "李秀英（群众代表）"]
    )


DEMO_PAST_YEARS = (2024, 2025)
# Organisations added to the demo file after its past years were written (北山村, for the 述职评议会): numbered after
# the others, so that every other organisation keeps the 2024 and 2025 ratings (and history) it had
DEMO_ADDED_LATER = frozenset({"JC-QS-HT-05"})
DEMO_WEAK_AND_LAX = {  # on the list, and since when (杨家坪村 is flagged in the fixture; 马家沟村 joins it)
    "JC-BH-LS-02": ("2024-03-15", "班子不团结、组织生活不正常，群众意见较大"),
    "JC-BH-LS-03": ("2025-04-10", "村党组织书记长期空缺，“三会一课”流于形式"),
}
_TARGET = {"good": 94, "fairly_good": 85, "average": 70, "poor": 50}


def _past_rating(year: int, n: int, classification: str, weak: bool) -> str:
    """A closed year's rating for the n-th organisation of the city: 2025 agrees with today's classification in the
    fixture; 2024 differs for some, so that year over year shows organisations moving up, converted and slipping."""
    if weak:
        return "poor"
    if year == DEMO_PAST_YEARS[-1]:
        return {"advanced": "good", "backward": "poor"}.get(classification, "fairly_good" if n % 2 else "average")
    if classification == "average" and n % 5 == 0:
        return "poor"  # backward in 2024, average in 2025: 后进转化
    if classification == "advanced" and n % 3 == 1:
        return "fairly_good"  # average in 2024, advanced in 2025: 晋位升级
    if classification == "average" and n % 6 == 1:
        return "good"  # advanced in 2024, average in 2025: slipped down
    return {"advanced": "good", "backward": "poor"}.get(classification, "average")


def demo_past_cycles() -> list:
    """The city's 2024 and 2025 cycles, closed: each organisation's scores, rating and outcome as they were decided
    (entered afterwards, with the stages each year passed in its history), classified when the cycle closed. Two
    villages are on the weak-and-lax list. Returns the cycles created (none on a second run)."""
    from decimal import Decimal

    from flows.domain.scoring import combined_score
    from flows.models import Assessment, AuditEntry, Outcome, ReviewCycle, Stage
    from flows.services import classifications
    from flows.services import cycles as cycle_svc
    from flows.services.indicators import templates_load_defaults

    office = OversightOffice.objects.get(code="JC-ZZB")
    officer = User.objects.get(username="zuzhibu")
    created = []
    standing = dict(Organisation.objects.values_list("pk", "classification"))  # today's, from the fixture
    for code, (start, reason) in DEMO_WEAK_AND_LAX.items():
        org = Organisation.objects.get(code=code)
        if not org.weak_and_lax_periods.exists():
            if org.weak_and_lax:  # flagged by the fixture without a date: the office records its designation
                Organisation.objects.filter(pk=org.pk).update(weak_and_lax=False)
            classifications.weak_and_lax_designate(organisation=org, start=start, reason=reason, by=officer)
    for year in DEMO_PAST_YEARS:
        if ReviewCycle.objects.filter(office=office, year=year).exists():
            continue
        templates_load_defaults()
        cycle = cycle_svc.cycle_create(
            by=officer,
            office=office,
            templates=cycle_svc.default_cycle_templates(),
            year=year,
            name=f"{year}年度江川市基层党建工作责任制考核",
            good_cap_percent=Decimal(30),
            **cycle_svc.due_dates_for_year(year),
        )
        cycle = cycle_svc.cycle_open(by=officer, cycle=cycle)
        orgs = sorted(cycle_svc.cycle_scope(cycle).order_by("path"), key=lambda o: o.code in DEMO_ADDED_LATER)
        rows = []
        for n, org in enumerate(orgs):
            rating = _past_rating(year, n, standing[org.pk], org.code in DEMO_WEAK_AND_LAX)
            t = _TARGET[rating]
            self_s, mass_s, sup_s = Decimal(t + 2), Decimal(t - 1), Decimal(t + n % 2)
            combined = combined_score(cycle, self_score=self_s, mass_score=mass_s, superior_score=sup_s)
            outcome = {
                "good": Outcome.COMMENDATION if n % 2 == 0 else Outcome.NONE,
                "fairly_good": Outcome.NONE,
                "average": Outcome.RECTIFICATION,
                "poor": Outcome.ACCOUNTABILITY if n % 2 else Outcome.RECTIFICATION,
            }[rating]
            rows.append(
                Assessment(
                    cycle=cycle,
                    organisation=org,
                    template=cycle.template_for(org.sector, org.level),
                    state=Stage.CLOSED,
                    report=f"{year}年度党建工作述职报告",
                    self_score=self_s,
                    mass_score=mass_s,
                    superior_score=sup_s,
                    combined_score=combined,
                    rating=cycle.rating_for(combined),
                    outcome=outcome,
                )
            )
        Assessment.objects.bulk_create(rows)
        audit = []
        entered_at = timezone.make_aware(datetime.datetime(year + 1, 3, 31, 17, 0))
        in_order = cycle.assessments.select_related("organisation").order_by("organisation__path")
        for n, a in enumerate(sorted(in_order, key=lambda a: a.organisation.code in DEMO_ADDED_LATER)):
            path = [
                ("assessment.launch", "", Stage.SELF_ASSESSMENT),
                ("assessment.submit_self", Stage.SELF_ASSESSMENT, Stage.SELF_APPROVAL),
            ]
            if n % 4 == 1:  # the secretary sent the draft back once
                path += [
                    ("assessment.return_self", Stage.SELF_APPROVAL, Stage.SELF_ASSESSMENT),
                    ("assessment.submit_self", Stage.SELF_ASSESSMENT, Stage.SELF_APPROVAL),
                ]
            path += [
                ("assessment.approve_self", Stage.SELF_APPROVAL, Stage.MASS_EVALUATION),
                ("assessment.close_mass", Stage.MASS_EVALUATION, Stage.SUPERIOR_REVIEW),
            ]
            ended = {Outcome.NONE: Stage.CLOSED}.get(a.outcome, a.outcome)
            path.append(("assessment.submit_review", Stage.SUPERIOR_REVIEW, ended))
            if ended != Stage.CLOSED:
                path.append((f"assessment.{_CLOSING[ended]}", ended, Stage.CLOSED))
            audit += [
                AuditEntry(
                    action=action,
                    subject_type="flows.assessment",
                    subject_id=str(a.pk),
                    from_value=f,
                    to_value=t,
                    comment="往年考核结果录入",
                    at=entered_at,  # entered the spring after the year (the chain keeps rows append-only)
                )
                for action, f, t in path
            ]
        AuditEntry.objects.bulk_create(audit)
        _demo_past_settlement(cycle, officer, at=entered_at)
        cycle_svc.cycle_close(by=officer, cycle=cycle)
        created.append(cycle)
    return created


def _demo_past_settlement(cycle, officer, *, at):
    """A past year's 等次审定 as it was recorded: settled by the organisation department, over the cap with the
    standing committee's reason where the share of 好 was above it."""
    from flows.domain.scoring import good_count_exceeds_cap
    from flows.models import RatingSettlement, SettlementState
    from flows.selectors.results import good_and_rated

    figures = good_and_rated(cycle.assessments.all())
    over = good_count_exceeds_cap(cycle, **figures)
    RatingSettlement.objects.create(
        cycle=cycle,
        state=SettlementState.SETTLED,
        settled_by=officer,
        settled_at=at,
        good_cap_percent=cycle.good_cap_percent,
        over_cap=over,
        override_reason="经市委常委会研究，对获省级表彰的党组织保留“好”等次" if over else "",
        **figures,
    )


_CLOSING = {
    "commendation": "decide_commendation",
    "rectification": "finish_rectification",
    "accountability": "approve_accountability",
}
