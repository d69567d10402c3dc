"""Who sees the menu's entries for some people only (逐年对比 and 述职评议): three questions asked in one small SQL
statement at most once per request, or inside another statement (my tasks asks them in its own: `menu_sql`,
`remember_answers`). The menu (flows/templatetags/main_menu.py) reads the answers."""

from django.db import connection

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
        from flows.selectors.header import page_header

        page_header(user)  # asked with the header's counts, in one statement; it keeps the answers
        return user._menu_answers
    user._menu_answers = answers
    return answers


def menu_sql(user) -> tuple[str, list]:
    """The menu's three questions as three SQL expressions (officer of an office; current leader of an organisation
    that leads others; sees a meeting), for a SELECT list, and their parameters. My tasks asks them in its own
    statement (flows/selectors/inbox.py) and hands the answers over with `remember_answers`."""
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
    # a current leader of the holding level or of one above it: from each of the user's few organisations, the
    # holders at or below it are a range of the path index (a path is its ancestor's path followed by characters of
    # the tree's alphabet, so it sorts between that path and that path followed by the alphabet's last character
    # repeated); asked the other way, SQLite walked every organisation for each role the user holds
    over_holder = (
        f"SELECT 1 FROM {t[RoleAssignment]} x JOIN {t[Organisation]} o ON o.id = x.organisation_id "  # noqa: S608
        f"JOIN {t[Organisation]} h ON h.path >= o.path AND h.path <= o.path || %s "
        f"JOIN {t[ReportMeeting]} m ON m.holder_id = h.id "
        f"WHERE x.user_id = %s AND x.role IN ({leads}) AND {current} AND substr(h.path, 1, length(o.path)) = o.path"
    )
    sql = f"EXISTS({officer}), EXISTS({leader}), EXISTS({in_meeting}) OR EXISTS({over_holder})"
    on = connection.ops.adapt_datefield_value(today())
    params = [user.pk, OfficeRole.OFFICER, on, on]
    params += [user.pk, *LEADERSHIP_ROLES, on, on]
    params += [user.pk, user.pk]
    params += [_PATH_CEILING, user.pk, *LEADERSHIP_ROLES, on, on]
    return sql, params


# what follows every path below a given one: the tree alphabet's last character, as long as a path may be
_PATH_CEILING = max(Organisation.alphabet) * Organisation._meta.get_field("path").max_length


def asks_in_sql(user) -> bool:
    """Whether `menu_sql` answers for `user` (an active user who is not a superuser; others need no SQL of it)."""
    return user is not None and user.is_authenticated and user.is_active and not user.is_superuser


def _answers(values) -> dict[str, bool]:
    is_officer, leads_others, sees_a_meeting = (bool(v) for v in values)
    return {"may_see_year_over_year": is_officer or leads_others, "may_see_meetings": is_officer or sees_a_meeting}


def remember_answers(user, values) -> None:
    """Keep for the request the answers to `menu_sql` that another statement fetched (its three values)."""
    user._menu_answers = _answers(values)
