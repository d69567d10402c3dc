"""The rows of a task list (my tasks, to claim, done), written in one pass.

A page lists up to fifty tasks with six cells each; through template nodes (an `if`, a `url`, a `date` filter per
cell) the rows cost more than everything else on the page, the query included (measured: bench/inbox.py). The
row is simple enough to be written here; every value is escaped as the template would escape it.
"""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

register = template.Library()


def _row(r, which: str, select: str, tz, rag_labels: dict) -> str:
    cells = []
    if which == "queue":
        cells.append(f'<td><input type="checkbox" name="task" value="{r["task_id"]}" form="claim" {select}></td>')
    title = escape(str(r["title"]))
    if which != "archive":
        title = f'<a href="{escape(r["url"])}">{title}</a>'
    if r["problem"]:
        title += f'<div class="muted">{escape(Truncator(r["problem"]).chars(40))}</div>'
    org = escape(r["organisation"])
    if r["organisation_url"]:
        org = f'<a href="{escape(r["organisation_url"])}">{org}</a>'
    rag = f'<span class="rag {r["rag"]}" title="{rag_labels.get(r["rag"], "")}"></span>' if r["rag"] else ""
    due = r["due"].isoformat() if r["due"] else "—"
    at = f"{r['at'].astimezone(tz):%Y-%m-%d %H:%M}" if r["at"] else ""
    cells.append(
        f"<td>{title}</td><td>{org}</td><td>{escape(r['context'])}</td>"
        f'<td class="date">{rag}{due}</td><td class="date">{at}</td>'
    )
    return f'<tr data-task="{r["task_id"]}">{"".join(cells)}</tr>'


@register.simple_tag
def task_rows(rows, which):
    """<tr> per task: step (a link to do it), organisation, cycle or plan, due date with 红黄绿, arrived/finished."""
    label = _("Select")  # outside the f-string, where xgettext finds it
    select = f'aria-label="{escape(label)}"'
    tz = timezone.get_current_timezone()
    rag_labels = {"red": escape(_("overdue")), "yellow": escape(_("due soon")), "green": escape(_("on time"))}
    return mark_safe("\n".join(_row(r, which, select, tz, rag_labels) for r in rows))  # noqa: S308 (every value escaped above)


@register.simple_tag
def select_options(choices, selected):
    """<option> per (value, label) of a filter, the one equal to `selected` marked: a cycle or step list of a few
    dozen entries, written without a template node per option."""
    options = []
    for value, label in choices:
        marked = " selected" if value == selected else ""
        options.append(f'<option value="{escape(str(value))}"{marked}>{escape(str(label))}</option>')
    return mark_safe("".join(options))  # noqa: S308 (every value escaped)
