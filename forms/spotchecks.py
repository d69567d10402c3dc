"""Forms of spot checks: the plan, the draw, the inspectors' checklist and findings, the office's decision."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from flows.models import (
    Level,
    OfficeMembership,
    OfficeRole,
    OversightOffice,
    Rating,
    ReviewCycle,
    RiskTier,
    Sector,
    Severity,
    SpotCheckPlan,
)
from flows.selectors.spotchecks import stratum_label, stratum_of
from forms.organisations import organisation_by_code


class PlanForm(forms.ModelForm):
    office = forms.ModelChoiceField(label=_("Oversight office"), queryset=OversightOffice.objects.none())
    cycle = forms.ModelChoiceField(
        label=_("Population: organisations of the cycle"),
        queryset=ReviewCycle.objects.none(),
        required=False,
        help_text=_("Or leave empty and give a subtree."),
    )
    scope_code = forms.CharField(
        label=_("Population: subtree of (code)"),
        required=False,
        max_length=40,
        help_text=_("Empty: the office's whole scope."),
    )
    sectors = forms.MultipleChoiceField(
        label=_("Sectors"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    levels = forms.MultipleChoiceField(
        label=_("Levels"),
        choices=Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[Level.GRASSROOTS],
    )
    risk_tiers = forms.MultipleChoiceField(
        label=_("Only organisations at risk"),
        choices=RiskTier.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: every organisation. Several: any of them."),
    )
    sizes_text = forms.CharField(
        label=_("Fixed sample sizes per stratum"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One “stratum=number” per line, the stratum named as in the plan's table; others use the rate."),
    )
    pool = forms.ModelMultipleChoiceField(
        label=_("Inspector pool"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: every current inspector working within the office's scope."),
    )

    class Meta:
        model = SpotCheckPlan
        fields = ["name", "rate_percent", "minimum_per_stratum", "inspectors_per_target", "due"]
        widgets = {"due": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, user, **kwargs):
        from flows.models import User

        super().__init__(*args, **kwargs)
        offices = OversightOffice.objects.all()
        if not user.is_superuser:
            mine = OfficeMembership.objects.current().filter(user=user, role=OfficeRole.OFFICER).values("office_id")
            offices = offices.filter(pk__in=mine)
        example = stratum_label(stratum_of(Sector.VILLAGE, Level.GRASSROOTS))
        self.fields["sizes_text"].widget.attrs["placeholder"] = f"{example}=3"
        self.fields["office"].queryset = offices
        self.fields["cycle"].queryset = ReviewCycle.objects.filter(office__in=offices)
        inspectors = OfficeMembership.objects.current().filter(role=OfficeRole.INSPECTOR).values("user_id")
        self.fields["pool"].queryset = User.objects.filter(pk__in=inspectors).order_by("real_name")
        self.fields["pool"].label_from_instance = lambda u: f"{u.real_name}（{u.title}）"
        self.order_fields(["office", "name", "cycle", "scope_code", "sectors", "levels", "risk_tiers"])

    def clean_scope_code(self):
        return organisation_by_code(self.cleaned_data["scope_code"])

    def clean_sizes_text(self):
        """Lines "农村 / 基层=3": the stratum in words as the plan's table shows it (or its code)."""
        strata = {}
        for sector in [None, *Sector]:
            for level in Level:
                code = stratum_of(sector or "", level)
                strata[code] = code
                strata[re.sub(r"\s", "", str(stratum_label(code)))] = code
        sizes = {}
        for n, line in enumerate(self.cleaned_data["sizes_text"].splitlines(), 1):
            line = re.sub(r"\s", "", line).replace("＝", "=").replace("／", "/")
            if not line:
                continue
            m = re.fullmatch(r"([^=]+)=(\d+)", line)
            if not m:
                raise forms.ValidationError(_("Line %(n)s: write it as stratum=number.") % {"n": n})
            if m.group(1) not in strata:
                raise forms.ValidationError(
                    _("Line %(n)s: no stratum is called “%(name)s” (write it like “%(example)s”).")
                    % {"n": n, "name": m.group(1), "example": self.fields["sizes_text"].widget.attrs["placeholder"]}
                )
            sizes[strata[m.group(1)]] = int(m.group(2))
        return sizes

    def _post_clean(self):
        pass  # the service validates the plan as a whole when it creates it

    def service_fields(self):
        d = self.cleaned_data
        return {
            "name": d["name"],
            "cycle": d["cycle"],
            "scope_root": d["scope_code"],
            "sectors": d["sectors"],
            "levels": d["levels"],
            "risk_tiers": d["risk_tiers"],
            "rate_percent": d["rate_percent"],
            "minimum_per_stratum": d["minimum_per_stratum"],
            "stratum_sizes": d["sizes_text"],
            "inspectors_per_target": d["inspectors_per_target"],
            "due": d["due"],
        }


class FreezeForm(forms.Form):
    source = forms.CharField(
        label=_("Where the witnessed numbers will come from"),
        required=False,
        max_length=200,
        help_text=_(
            "Announced on the public notice, e.g. a public lottery draw held after today, or dice thrown at the "
            "draw meeting."
        ),
    )


class DrawForm(forms.Form):
    numbers = forms.CharField(
        label=_("Numbers read aloud by the witnesses"),
        required=False,
        max_length=200,
        help_text=_("At least 5 digits, in the order read, e.g. a public lottery result or dice: “3 6 1 5 2”."),
    )
    witnesses = forms.CharField(
        label=_("Witnesses (at least two, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    entropy = forms.CharField(
        label=_("Public entropy (optional)"),
        required=False,
        max_length=200,
        help_text=_("Numbers drawn in front of witnesses, e.g. dice thrown at the meeting; recorded with the draw."),
    )

    def witness_names(self) -> list[str]:
        text = self.cleaned_data.get("witnesses") or ""
        return [n for n in re.split(r"[\n\r、,，;；]+", text) if n.strip()]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


def checklist_rows(data, results):
    """{code: (outcome, note)} from the posted checklist."""
    return {
        r.code: (data.get(f"outcome_{r.code}", "").strip(), data.get(f"note_{r.code}", ""))
        for r in results
        if f"outcome_{r.code}" in data
    }


class FindingForm(forms.Form):
    check_code = forms.CharField(label=_("Checklist item"), required=False, max_length=20)
    severity = forms.ChoiceField(label=_("Severity"), choices=[("", "—"), *Severity.choices])
    description = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    requirement = forms.CharField(
        label=_("Rectification requirement"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def finding_typed(data) -> bool:
    """Whether anything was typed or chosen in the record's “add a finding” fieldset."""
    return any(data.get(name, "").strip() for name in FindingForm.base_fields)


class SignForm(forms.Form):
    decision = forms.ChoiceField(choices=[("sign", _("Sign")), ("return", _("Send back to the lead inspector"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @property
    def agree(self):
        return self.cleaned_data["decision"] == "sign"


LOWER_CHOICES = [("", _("Keep the rating")), *[(r.value, r.label) for r in Rating]]


def finding_decisions(data, findings, people):
    """{finding id: {"confirm", "note", "owner", "due"}} from the posted decision table."""
    people = {str(p.pk): p for p in people}
    out, errors = {}, []
    for n, f in enumerate(findings, 1):
        choice = data.get(f"decision_{f.pk}", "")
        if choice not in ("confirm", "dismiss"):
            out[f.pk] = {"confirm": None}
            continue
        due = None
        due_text = data.get(f"due_{f.pk}", "").strip()
        if choice == "confirm" and due_text:
            try:
                due = datetime.date.fromisoformat(due_text)
            except ValueError:
                errors.append(_("Finding %(n)s: the due date is not a date.") % {"n": n})
        out[f.pk] = {
            "confirm": choice == "confirm",
            "note": data.get(f"note_{f.pk}", ""),
            "owner": people.get(data.get(f"owner_{f.pk}", "")),
            "due": due,
        }
    if errors:
        raise ValidationError(errors)
    return out
