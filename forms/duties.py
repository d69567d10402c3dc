"""Forms of the duty lists (责任清单): the office's template, an organisation's lines, the office's return, the
Excel upload. The services check the rest."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models.duties import DutyRole, LineKind

CODES_AT_END = re.compile(r"^(?P<text>.*?)\s*[\[［【](?P<codes>[^\]］】]*)[\]］】]\s*$")
AREA_FIRST = re.compile(r"^(?P<area>[^：:]{1,20})[：:](?P<text>.+)$")


def split_codes(value: str) -> list[str]:
    return [c for c in re.split(r"[\s,，、;；]+", value or "") if c]


def parse_template_lines(role: str, text: str) -> list[dict]:
    """One duty a line: "duty [D1.1, D4.5]"; for members "area：duty [codes]"."""
    lines = []
    for raw in (text or "").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        codes = []
        m = CODES_AT_END.match(raw)
        if m:
            raw, codes = m["text"].strip(), split_codes(m["codes"])
        area = ""
        if role == DutyRole.MEMBER:
            a = AREA_FIRST.match(raw)
            if a:
                area, raw = a["area"].strip(), a["text"].strip()
        lines.append({"role": role, "area": area, "text": raw, "indicator_codes": codes})
    return lines


def template_text(lines: list[dict], role: str) -> str:
    """The textarea's text for `role` from template lines (the inverse of `parse_template_lines`)."""
    out = []
    for line in lines:
        if line["role"] != role:
            continue
        text = f"{line['area']}：{line['text']}" if line.get("area") else line["text"]
        if line.get("indicator_codes"):
            text += f" [{', '.join(line['indicator_codes'])}]"
        out.append(text)
    return "\n".join(out)


class PublishForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160, widget=forms.TextInput(attrs={"class": "wide"}))
    secretary = forms.CharField(
        label=_("Duties of the secretary (first responsible person)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
    )
    direct_charge = forms.CharField(
        label=_("Duties of the person in direct charge"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
    )
    member = forms.CharField(
        label=_("Duties of the other leadership members, by area (one post, two duties)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "wide"}),
    )

    def lines(self) -> list[dict]:
        d = self.cleaned_data
        return [
            *parse_template_lines(DutyRole.SECRETARY, d.get("secretary", "")),
            *parse_template_lines(DutyRole.DIRECT_CHARGE, d.get("direct_charge", "")),
            *parse_template_lines(DutyRole.MEMBER, d.get("member", "")),
        ]


class LineForm(forms.Form):
    """One line of an organisation's list: a duty of a role, or a yearly task."""

    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    role = forms.ChoiceField(label=_("Role"), choices=DutyRole.choices)
    area = forms.CharField(label=_("Area of work"), required=False, max_length=60)
    holder = forms.TypedChoiceField(label=_("Carried by"), required=False, coerce=int, empty_value=None)
    text = forms.CharField(
        label=_("Content"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2, "class": "wide"})
    )
    secretary_project = forms.BooleanField(label=_("Secretary's project (书记项目)"), required=False)
    due = forms.DateField(label=_("To be done by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    indicators = forms.CharField(
        label=_("Indicators covered"), required=False, max_length=200, help_text=_("Codes, e.g. D1.1, D4.5")
    )
    from_template = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, holders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [("", "—"), *holders]


class BaseLineFormSet(forms.BaseFormSet):
    pass


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=2, max_num=200, validate_max=True)


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning it"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "class": "wide"})
    )


class DutyImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
