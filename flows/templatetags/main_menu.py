"""The main menu of every page, written in one pass.

Through template nodes the menu cost a `url` tag and an `if` on `request.resolver_match` per entry: 0.25 ms of every
page, 7% of my tasks (the page of bench/inbox.py, 3.7 → 3.45 ms). Here the links are reversed once per URL
configuration and script prefix, and the entry of the current page is marked while the menu is written. Labels are
translated at render time, so the language of the request is respected; every value is escaped.
"""

from html import escape

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (URL name, label, the URL names for which this entry is the current page, who sees it)
ENTRIES = [
    ("home", _("My tasks"), ("home", "inbox"), None),
    ("queue", _("To claim"), ("queue",), None),
    ("archive", _("Done"), ("archive",), None),
    ("cycle_list", _("Review cycles"), ("cycle_list",), None),
    ("campaign_list", _("Evaluations"), ("campaign_list",), None),
    ("spotcheck_list", _("Spot checks"), ("spotcheck_list",), None),
    ("year_over_year", _("Year over year"), ("year_over_year",), "may_see_year_over_year"),
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


def _shown(condition, context) -> bool:
    if condition is None:
        return True
    if condition == "staff":
        return context["user"].is_staff
    value = context.get(condition)
    return bool(value() if callable(value) else value)


@register.simple_tag(takes_context=True)
def main_menu(context):
    """The menu's links, the current page's marked with aria-current, and the count of my open tasks on the
    first. `open_tasks` and `may_see_year_over_year` come from the context (the context processors, or the view
    that has them already)."""
    match = getattr(context.get("request"), "resolver_match", None)
    current = match.url_name if match else None
    hrefs = _hrefs()
    links = []
    for name, label, pages, condition in ENTRIES:
        if not _shown(condition, context):
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
