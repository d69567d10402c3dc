"""Forms of the cycle's task screens. They parse and check input; the services decide and save."""

import datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from flows.models import CommendationKind, MeasureKind, Outcome
from forms.numbers import PlainDecimalField

EVIDENCE_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def score_rows(data, indicators, prefix="points"):
    """{indicator_id: (points, note)} from the posted table (left as text: the service checks the numbers)."""
    return {
        i.pk: (data.get(f"{prefix}_{i.pk}", "").strip(), data.get(f"note_{i.pk}", ""))
        for i in indicators
        if not i.veto and (f"{prefix}_{i.pk}" in data or f"note_{i.pk}" in data)
    }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expected_state = forms.CharField(widget=forms.HiddenInput)

    @property
    def approve(self):
        return self.cleaned_data["decision"] == "approve"


class MassCloseForm(forms.Form):
    mass_score = PlainDecimalField(
        label=_("Mass evaluation score (0–100, optional)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    expected_state = forms.CharField(widget=forms.HiddenInput)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 4}))
    points = PlainDecimalField(
        label=_("Suggested score (optional)"), required=False, min_value=0, max_value=100, decimal_places=1
    )


class ReviewOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, required=False)
    commendation_kind = forms.ChoiceField(
        label=_("Commendation"), choices=[("", "—"), *CommendationKind.choices], required=False
    )
    commendation_nominee = forms.IntegerField(required=False, widget=forms.HiddenInput)
    commendation_reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


RECTIFICATION_ROWS = 5


def rectification_rows(data, people):
    """Filled rows of the rectification list, with the owner and due date parsed."""
    people = {str(p.pk): p for p in people}
    rows, errors = [], []
    for n in range(1, RECTIFICATION_ROWS + 1):
        problem = data.get(f"rect_problem_{n}", "").strip()
        if not problem:
            continue
        due_text = data.get(f"rect_due_{n}", "").strip()
        try:
            due = datetime.date.fromisoformat(due_text) if due_text else None
        except ValueError:
            errors.append(_("Item %(n)s: the due date is not a date.") % {"n": n})
            due = None
        rows.append(
            {
                "problem": problem,
                "requirement": data.get(f"rect_requirement_{n}", ""),
                "owner": people.get(data.get(f"rect_owner_{n}", "")),
                "due": due,
            }
        )
    if errors:
        raise ValidationError(errors)
    return rows


class ReportForm(forms.Form):
    report = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 5}))


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verify", _("Verified")), ("return", _("Return for more work"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @property
    def verified(self):
        return self.cleaned_data["decision"] == "verify"


class ExtensionRequestForm(forms.Form):
    due = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Why more time is needed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", _("Grant the extension")), ("refuse", _("Refuse the extension"))])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AccountabilityProposalForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=MeasureKind.choices)
    persons = forms.TypedMultipleChoiceField(label=_("Responsible persons"), coerce=int, choices=())
    reason = forms.CharField(label=_("Facts and reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    expected_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["persons"].choices = [(p.pk, f"{p.real_name}（{p.title}）") for p in people]
        self.fields["persons"].widget = forms.CheckboxSelectMultiple(choices=self.fields["persons"].choices)

    def chosen_people(self):
        return [self.people[pk] for pk in self.cleaned_data["persons"]]


def check_evidence(upload):
    """Size and type limits for an evidence file; the content is checked, not only the name."""
    import os

    limit = settings.EVIDENCE_MAX_BYTES
    ext = os.path.splitext(upload.name)[1].lower()
    if ext not in EVIDENCE_TYPES:
        raise ValidationError(
            _("%(name)s: only PDF, JPG, PNG, DOCX and XLSX files are accepted.") % {"name": upload.name}
        )
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is larger than %(mb)s MB.") % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    head = upload.read(8)
    upload.seek(0)
    signatures = {
        ".pdf": (b"%PDF",),
        ".png": (b"\x89PNG",),
        ".jpg": (b"\xff\xd8",),
        ".jpeg": (b"\xff\xd8",),
        ".docx": (b"PK\x03\x04",),
        ".xlsx": (b"PK\x03\x04",),
    }
    if not head.startswith(signatures[ext]):
        raise ValidationError(
            _("%(name)s is not really a %(ext)s file.") % {"name": upload.name, "ext": ext[1:].upper()}
        )
    return EVIDENCE_TYPES[ext]
