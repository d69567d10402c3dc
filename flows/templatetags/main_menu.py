"""The main menu of every page, written in one pass.

Through template nodes the menu cost a `url` tag and an `if` on `request.resolver_match` per entry: 0.25 ms of every
page, 7% of my tasks (the page of bench/inbox.py, 3.7 → 3.45 ms). Here the links are reversed once per URL
configuration and script prefix, and the entry of the current page is marked while the menu is written. Labels are
translated at render time, so the language of the request is respected; every value is escaped.

The entries shown to some people only ask their questions together: `flows.selectors.menu.menu_answers` is one small
SQL statement (逐年对比 and 述职评议), asked only when the menu is drawn, at most once per request (my tasks asks it
inside its own statement).
"""

from html import escape

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from flows.selectors.menu import menu_answers

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


_labels: dict[str | None, dict[str, str]] = {}


def _escaped_labels() -> dict[str, str]:
    """Each entry's label, translated and escaped once per language."""
    language = get_language()
    labels = _labels.get(language)
    if labels is None:
        labels = _labels[language] = {name: escape(str(label)) for name, label, *_rest in ENTRIES}
    return labels


def _shown(condition, context, answers) -> bool:
    if condition is None:
        return True
    if condition == "staff":
        return context["user"].is_staff
    value = context.get(condition)
    if value is not None and not callable(value):  # a view that has the answer already
        return bool(value)
    return answers()[condition]


CONDITIONS = sorted({condition for *_rest, condition in ENTRIES if condition is not None})
_menus: dict[tuple, tuple[str, str]] = {}
BADGE = "\x00"  # where the count of open tasks goes in a written menu


def _written_menu(current, shown: dict) -> tuple[str, str]:
    """The menu for the current page and the entries shown, in the current language, written once: the text before
    and after the open-task count."""
    key = (get_language(), get_urlconf(), get_script_prefix(), current, *shown.values())
    written = _menus.get(key)
    if written is None:
        hrefs, labels = _hrefs(), _escaped_labels()
        links = []
        for name, _label, pages, condition in ENTRIES:
            if condition is not None and not shown[condition]:
                continue
            here = ' aria-current="page"' if current in pages else ""
            badge = ""
            if name == "home":
                badge = BADGE
            elif name == "queue":  # filled in by the page once drawn (the pool is counted off the drawing path)
                badge = '<span class="badge" data-queue-count hidden></span>'
            links.append(f'<a href="{hrefs[name]}"{here}>{labels[name]}{badge}</a>')
        before, _badge, after = "\n    ".join(links).partition(BADGE)
        written = (before, after)
        if len(_menus) < 10_000:  # languages × pages × the four answers
            _menus[key] = written
    return written


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The menu's links, the current page's marked with aria-current, and the count of my open tasks on the
    first. `open_tasks` comes from the context; who sees 逐年对比 and 述职评议 is asked once (`menu_answers`) unless
    the view has put the answer in the context already. The links themselves are written once per language, page
    and answers (`_written_menu`)."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    user = context.get("user") or getattr(request, "user", None)

    def answers():
        return menu_answers(user)

    before, after = _written_menu(
        match.url_name if match else None, {c: bool(_shown(c, context, answers)) for c in CONDITIONS}
    )
    count = context.get("open_tasks")
    badge = f'<span class="badge" data-inbox-count{"" if count else " hidden"}>{escape(str(count))}</span>'
    return mark_safe(before + badge + after)  # noqa: S308 (every value escaped, in _written_menu and here)


# {% fixed %} … {% endfixed %}: a fragment written once and then copied


_fixed: dict[tuple, str] = {}
FIXED_LIMIT = 10_000  # fragments kept: (fragment × language × URL configuration × values of its arguments)


class FixedNode(template.Node):
    # not walked when a child template looks for the base's blocks (on every render): a fragment holds no block
    child_nodelists = ()

    def __init__(self, nodelist, args):
        self.nodelist, self.args = nodelist, args

    def render(self, context):
        where = context.render_context.get(FixedNode)  # asked once per page: the language, URLs and prefix
        if where is None:
            where = context.render_context[FixedNode] = (get_language(), get_urlconf(), get_script_prefix())
        key = (self, *where, *(a.resolve(context) for a in self.args))
        html = _fixed.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(_fixed) < FIXED_LIMIT:
                _fixed[key] = html
        return html


@register.tag
def fixed(parser, token):
    """`{% fixed a b %}…{% endfixed %}`: the fragment is rendered once per language, URL configuration, script prefix
    and values of `a`, `b` (template variables), then copied: for fragments of translations, links and static
    files that every page writes alike (each `translate` or `url` node costs microseconds on every page). What the
    fragment shows must depend on nothing else: no user, no request, no CSRF token (and no `{% language %}` around
    it: the language is read once per page)."""
    args = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    return FixedNode(nodelist, args)
