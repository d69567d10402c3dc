"""The rows of a task list (my tasks, to claim, done), written in one pass.

A page lists up to fifty tasks with six cells each; through template nodes (an `if`, a `url`, a `date` filter per
cell) the rows cost more than everything else on the page, the query included (measured: bench/inbox.py). The
row is simple enough to be written here; every value is escaped as the template would escape it.
"""

import re
from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

_SPECIAL = re.compile(r"[&<>\"']").search


def _escape(value: str) -> str:
    """`html.escape(value)`; a value with nothing to escape (a link, most names) is returned as it is after one
    search, instead of five replacements."""
    return escape(value) if _SPECIAL(value) else value


class _Page:
    """What the rows of one list share, worked out once: the labels, the time zone, and each value that repeats
    from row to row (a step's title, a cycle's name, a due date, a 红黄绿 mark) escaped or formatted once."""

    def __init__(self, which: str):
        self.which = which
        label = _("Select")  # outside the f-string, where xgettext finds it
        self.select = f'aria-label="{escape(label)}"'
        self.tz = timezone.get_current_timezone()
        rag_labels = {"red": escape(_("overdue")), "yellow": escape(_("due soon")), "green": escape(_("on time"))}
        self.rags = {rag: f'<span class="rag {rag}" title="{title}"></span>' for rag, title in rag_labels.items()}
        self.rags[""] = ""
        self.titles = {}  # keyed by the title object's id: the rows hold them for the length of the call
        self.escaped = {}
        self.dates = {None: "—"}

    def escape(self, value: str) -> str:
        escaped = self.escaped.get(value)
        if escaped is None:
            escaped = self.escaped[value] = escape(value)
        return escaped

    def row(self, r) -> str:
        title = self.titles.get(id(r["title"]))
        if title is None:  # a step's title (a lazy translation) is translated once per page
            title = self.titles[id(r["title"])] = escape(str(r["title"]))
        if self.which != "archive":
            title = f'<a href="{_escape(r["url"])}">{title}</a>'
        if r["problem"]:
            title += f'<div class="muted">{_escape(Truncator(r["problem"]).chars(40))}</div>'
        org = _escape(r["organisation"])
        if r["organisation_url"]:
            org = f'<a href="{_escape(r["organisation_url"])}">{org}</a>'
        due = self.dates.get(r["due"])
        if due is None:
            due = self.dates[r["due"]] = r["due"].isoformat()
        # "%Y-%m-%d %H:%M", by isoformat: strftime costs several times as much
        at = r["at"].astimezone(self.tz).isoformat(" ", "minutes")[:16] if r["at"] else ""
        check = ""
        if self.which == "queue":
            check = f'<td><input type="checkbox" name="task" value="{r["task_id"]}" form="claim" {self.select}></td>'
        return (
            f'<tr data-task="{r["task_id"]}">{check}<td>{title}</td><td>{org}</td><td>{self.escape(r["context"])}</td>'
            f'<td class="date">{self.rags[r["rag"]]}{due}</td><td class="date">{at}</td></tr>'
        )


@register.simple_tag
def task_rows(rows, which):
    """<tr> per task: step (a link to do it), organisation, cycle or plan, due date with 红黄绿, arrived/finished."""
    page = _Page(which)
    return mark_safe("\n".join([page.row(r) for r in rows]))  # noqa: S308 (every value escaped above)


@register.simple_tag
def select_options(choices, selected):
    """<option> per (value, label) of a filter, the one equal to `selected` marked: a cycle or step list of a few
    dozen entries, written without a template node per option."""
    options = []
    for value, label in choices:
        marked = " selected" if value == selected else ""
        options.append(f'<option value="{escape(str(value))}"{marked}>{escape(str(label))}</option>')
    return mark_safe("".join(options))  # noqa: S308 (every value escaped)


_step_options: dict[tuple, str] = {}


@register.simple_tag
def step_options(selected):
    """`select_options` of the step filter (`selectors.inbox.step_choices`, the same on every page), written once
    per language and chosen step."""
    from flows.selectors.inbox import step_choices

    key = (get_language(), selected)
    html = _step_options.get(key)
    if html is None:
        html = select_options(step_choices(), selected)
        if len(_step_options) < 1000:  # the steps of the registered flows, and "" (all steps)
            _step_options[key] = html
    return html
