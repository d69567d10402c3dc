"""The main menu of every page, written in one pass.

Through template nodes the menu cost a `url` tag and an `if` on `request.resolver_match` per entry: 0.25 ms of every
page, 7% of my tasks (the page of bench/inbox.py, 3.7 → 3.45 ms). Here the links are reversed once per URL
configuration and script prefix, and the entry of the current page is marked while the menu is written. Labels are
translated at render time, so the language of the request is respected; every value is escaped.

The entries shown to some people only ask their questions together: `menu_answers` is one small SQL statement
(逐年对比 and 述职评议), asked only when the menu is drawn, at most once per request.
"""

from html import escape

from django import template
from django.db import connection
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from flows.models import (
    LEADERSHIP_ROLES,
    MeetingReporter,
    OfficeMembership,
    OfficeRole,
    Organisation,
    ReportMeeting,
    RoleAssignment,
)
from flows.models.people import today

register = template.Library()

# (URL name, label, the URL names for which this entry is the current page, who sees it)
ENTRIES = [
    ("home", _("My tasks"), ("home", "inbox"), None),
    ("queue", _("To claim"), ("queue",), None),
    ("archive", _("Done"), ("archive",), None),
    ("cycle_list", _("Review cycles"), ("cycle_list",), None),
    ("campaign_list", _("Evaluations"), ("campaign_list",), None),
    ("duties_home", _("Duty lists"), ("duties_home", "duty_overview", "duty_list_detail", "duty_list_edit"), None),
    (
        "meeting_list",
        _("Report-and-review meetings"),
        ("meeting_list", "meeting_create", "meeting_detail"),
        "may_see_meetings",
    ),
    ("spotcheck_list", _("Spot checks"), ("spotcheck_list",), None),
    ("year_over_year", _("Year over year"), ("year_over_year",), "may_see_year_over_year"),
    # a leader of an organisation that leads others keeps contact points below it; an officer keeps the ledger
    (
        "contacts_mine",
        _("Contact points"),
        ("contacts_mine", "contacts_offices", "contacts_office", "contacts_organisation"),
        "may_see_year_over_year",
    ),
    ("organisation_tree", _("Organisations"), ("organisation_tree",), None),
    ("annual_report_list", _("Written reports"), ("annual_report_list", "annual_report"), None),
    ("excel_home", _("Excel"), ("excel_home",), None),
    ("admin:index", _("Administration"), (), "staff"),
]

_links: dict[tuple, dict[str, str]] = {}


def _hrefs() -> dict[str, str]:
    """Each entry's link, reversed once per URL configuration and script prefix."""
    key = (get_urlconf(), get_script_prefix())
    hrefs = _links.get(key)
    if hrefs is None:
        hrefs = _links[key] = {name: escape(reverse(name)) for name, *_rest in ENTRIES}
    return hrefs


NOBODY = {"may_see_year_over_year": False, "may_see_meetings": False}


def menu_answers(user) -> dict[str, bool]:
    """Whether the menu shows 逐年对比 (`access.may_see_year_over_year`: an officer of any office, or a current
    leader of an organisation that leads others) and 述职评议 (an officer of any office, or someone who may see
    a meeting: `selectors.meetings.meetings_for` is not empty — a reporter, a commenting leader, a current leader
    of the holding level or above it), in one SQL statement; kept on the user object for the request. Tested
    against both."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_menu_answers", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        answers = {"may_see_year_over_year": Organisation.objects.filter(depth=1).exists(), "may_see_meetings": True}
    else:
        answers = _ask(user)
    user._menu_answers = answers
    return answers


def _ask(user) -> dict[str, bool]:
    q = connection.ops.quote_name
    t = {m: q(m._meta.db_table) for m in (OfficeMembership, RoleAssignment, Organisation, ReportMeeting)}
    reporters = q(MeetingReporter._meta.db_table)
    current = f"x.start <= %s AND (x.{q('end')} IS NULL OR x.{q('end')} >= %s)"
    leads = ", ".join(["%s"] * len(LEADERSHIP_ROLES))
    # table names from _meta and fixed fragments; every value is a parameter
    officer = f"SELECT 1 FROM {t[OfficeMembership]} x WHERE x.user_id = %s AND x.role = %s AND {current}"  # noqa: S608
    leader = (
        f"SELECT 1 FROM {t[RoleAssignment]} x JOIN {t[Organisation]} o "  # noqa: S608
        f"ON o.id = x.organisation_id WHERE x.user_id = %s AND x.role IN ({leads}) AND o.numchild > 0 AND {current}"
    )
    in_meeting = f"SELECT 1 FROM {reporters} r WHERE r.person_id = %s OR r.commenter_id = %s"  # noqa: S608
    over_holder = (  # a current leader of the holding level or of one above it
        f"SELECT 1 FROM {t[ReportMeeting]} m JOIN {t[Organisation]} h ON h.id = m.holder_id "  # noqa: S608
        f"JOIN {t[RoleAssignment]} x ON x.user_id = %s AND x.role IN ({leads}) AND {current} "
        f"JOIN {t[Organisation]} o ON o.id = x.organisation_id WHERE substr(h.path, 1, length(o.path)) = o.path"
    )
    sql = f"SELECT EXISTS({officer}), EXISTS({leader}), EXISTS({in_meeting}) OR EXISTS({over_holder})"
    on = connection.ops.adapt_datefield_value(today())
    params = [user.pk, OfficeRole.OFFICER, on, on]
    params += [user.pk, *LEADERSHIP_ROLES, on, on]
    params += [user.pk, user.pk]
    params += [user.pk, *LEADERSHIP_ROLES, on, on]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        is_officer, leads_others, sees_a_meeting = (bool(v) for v in cur.fetchone())
    return {
        "may_see_year_over_year": is_officer or leads_others,
        "may_see_meetings": is_officer or sees_a_meeting,
    }


def _shown(condition, context, answers) -> bool:
    if condition is None:
        return True
    if condition == "staff":
        return context["user"].is_staff
    value = context.get(condition)
    if value is not None and not callable(value):  # a view that has the answer already
        return bool(value)
    return answers()[condition]


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The menu's links, the current page's marked with aria-current, and the count of my open tasks on the
    first. `open_tasks` comes from the context; who sees 逐年对比 and 述职评议 is asked once (`menu_answers`) unless
    the view has put the answer in the context already."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    user = context.get("user") or getattr(request, "user", None)

    def answers():
        return menu_answers(user)

    current = match.url_name if match else None
    hrefs = _hrefs()
    links = []
    for name, label, pages, condition in ENTRIES:
        if not _shown(condition, context, answers):
            continue
        here = ' aria-current="page"' if current in pages else ""
        badge = ""
        if name == "home":
            count = context.get("open_tasks")
            badge = f'<span class="badge" data-inbox-count{"" if count else " hidden"}>{escape(str(count))}</span>'
        elif name == "queue":  # filled in by the page once drawn (the pool is counted off the drawing path)
            badge = '<span class="badge" data-queue-count hidden></span>'
        links.append(f'<a href="{hrefs[name]}"{here}>{escape(str(label))}{badge}</a>')
    return mark_safe("\n    ".join(links))  # noqa: S308 (every value escaped above)
