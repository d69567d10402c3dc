"""The rows of the score tables on the self-assessment and superior review screens, written in one pass.

A village template has some twenty-five items, and each row of the form is some forty template nodes (the item's
kind and cap, its guidance, the consolidation hint, the points and note fields with their errors, the evidence
files). Through the template engine the rows took two thirds of the screen's rendering and a third of its whole
cost, queries included (measured on the deadline day's task screen: 14.6 of 43 ms). As with the task lists
(`task_lists`), the rows are written here: every value escaped as the template escapes it, every number shown as
the template shows it (`localize`, `floatformat`), every label translated from the same message.
"""

from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from flows.templatetags.consolidation import consolidation_hint

register = template.Library()


def _text(value) -> str:
    """A value as `{{ value }}` writes it: None as "None", a number localised, everything escaped."""
    return escape(str(localize(value)))


class _Table:
    """What the rows of one table share, worked out once: the labels, the caps, the evidence link."""

    def __init__(self, assessment):
        self.assessment = assessment
        tpl = assessment.template
        self.points_label, self.note_label = escape(_("Points")), escape(_("Note"))
        self.kinds = {
            "bonus": (
                "tag item-kind",
                _("bonus items together add at most %(cap)s points") % {"cap": floatformat(tpl.bonus_cap, "-1")},
            ),
            "deduction": (
                "tag warn item-kind",
                _("deduction items together take at most %(cap)s points")
                % {"cap": floatformat(tpl.deduction_cap, "-1")},
            ),
        }
        self.veto_tag = f' <span class="tag warn">{escape(_("veto item"))}</span>'
        self.evidence_url = reverse("evidence_download", args=[0]).replace("/0/", "/{pk}/")

    def indicator(self, i, *, veto_tag: bool) -> str:
        """The item's cell: code and name, its veto or kind tag, guidance and the consolidation hint."""
        html = f"{_text(i.code)} {_text(i.name)}"
        if veto_tag and i.veto:
            html += self.veto_tag
        if i.kind in self.kinds:
            css, cap = self.kinds[i.kind]
            html += f' <span class="{css}">{escape(str(i.get_kind_display()))} · {escape(cap)}</span>'
        html += f'<div class="guidance muted">{_text(i.guidance)}</div>'
        hint = consolidation_hint(self.assessment, i)
        if hint:
            words = _("From the consolidation record: %(label)s — %(points)s points.") % {
                "points": floatformat(hint["points"], "-2"),
                "label": hint["label"],
            }
            html += f'<div class="consolidation-hint muted" data-consolidation="{_text(hint["status"])}">'
            html += f"{escape(words)}</div>"
        return html

    def files(self, r, sep: str) -> str:
        return "".join(
            f'<a href="{self.evidence_url.format(pk=ev.pk)}">{_text(ev.original_name)}</a>{sep}' for ev in r["evidence"]
        )

    def points(self, r, saved) -> str:
        i, errors = r["indicator"], r.get("errors")
        posted = r.get("posted_points")
        value = posted if posted is not None else ("" if saved is None else saved)
        html = (
            f'<input name="points_{i.pk}" inputmode="decimal" size="4" aria-label="{_text(i.code)} '
            f'{self.points_label}" value="{_text(value)}"'
        )
        if errors:
            html += f' aria-invalid="true" aria-describedby="error-{i.pk}" class="invalid">'
            html += f'<div class="field-error" id="error-{i.pk}" role="alert">'
            html += "；".join(_text(e) for e in errors) + "</div>"
        else:
            html += ">"
        return html

    def note(self, r, saved) -> str:
        i = r["indicator"]
        posted = r.get("posted_note")
        value = posted if posted is not None else saved
        return (
            f'<textarea name="note_{i.pk}" rows="1" aria-label="{_text(i.code)} {self.note_label}">'
            f"{_text(value)}</textarea>"
        )


def _rows(page, table: _Table, row) -> str:
    html = []
    for d in page["dimensions"]:
        html.append(f'<tbody><tr class="dimension"><th colspan="5">{_text(d["dimension"].name)}</th></tr>')
        html.extend(f"<tr>{row(r)}</tr>" for r in d["rows"])
        html.append("</tbody>")
    return "\n".join(html)


@register.simple_tag
def self_score_rows(page, assessment):
    """The self-assessment form's rows: item, maximum, points, note, evidence files and an upload field."""
    table = _Table(assessment)
    required = escape(_("required"))
    evidence_label = escape(_("Evidence"))

    def row(r):
        i, score = r["indicator"], r["score"]
        cells = [f"<td>{table.indicator(i, veto_tag=True)}</td>", f"\n      <td>{_text(i.max_points)}</td>"]
        if i.veto:
            cells.append("\n      <td></td><td></td><td></td>")
        else:
            upload = (
                f'<input type="file" name="evidence_{i.pk}" aria-label="{_text(i.code)} {evidence_label}"'
                f"{' data-required' if i.evidence_required and not r['evidence'] else ''}>"
            )
            if i.evidence_required:
                upload += f'<span class="tag">{required}</span>'
            cells += [
                f"\n      <td>{table.points(r, score.self_points if score else None)}</td>",
                f"\n      <td>{table.note(r, score.self_note if score else '')}</td>",
                f"\n      <td>{table.files(r, '<br>')}\n        {upload}</td>",
            ]
        return "".join(cells) + "\n    "

    return mark_safe(_rows(page, table, row))  # noqa: S308 (every value escaped above)


@register.simple_tag
def review_score_rows(page, assessment):
    """The superior review form's rows: item (with the evidence files), maximum, self points, points or the veto
    box, note."""
    table = _Table(assessment)
    hit = escape(_("hit (forces poor)"))

    def row(r):
        i, score = r["indicator"], r["score"]
        # as the template wrote it: nothing when the item has no score row, "—" when its row has no self points
        self_points = "" if score is None else "—" if score.self_points is None else _text(score.self_points)
        cells = [
            f"<td>{table.indicator(i, veto_tag=False)}{table.files(r, ' ')}</td>",
            f"\n      <td>{_text(i.max_points)}</td><td>{self_points}</td>",
        ]
        if i.veto:
            checked = "checked" if score is not None and score.veto_hit else ""
            cells.append(
                f'\n      <td><label class="veto"><input type="checkbox" name="veto" value="{i.pk}" {checked}> '
                f"{hit}</label>\n          </td>\n      <td></td>"
            )
        else:
            cells += [
                f"\n      <td>{table.points(r, score.superior_points if score else None)}</td>",
                f"\n      <td>{table.note(r, score.superior_note if score else '')}</td>",
            ]
        return "".join(cells) + "\n    "

    return mark_safe(_rows(page, table, row))  # noqa: S308 (every value escaped above)
