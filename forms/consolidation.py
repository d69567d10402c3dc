"""Forms of the consolidation of a weak-and-lax organisation (issue 20); the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models import Criterion

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DesignateForm(forms.Form):
    start = forms.DateField(label=_("Designated on"), widget=DATE)
    criteria = forms.MultipleChoiceField(
        label=_("Criteria met"),
        choices=[c for c in Criterion.choices if c[0] != Criterion.OTHER],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other = forms.CharField(label=_("Other criterion (describe)"), max_length=300, required=False)
    reason = forms.CharField(
        label=_("Findings (三看两查)"), widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}), max_length=2000
    )


class PlanForm(forms.Form):
    measures = forms.CharField(
        label=_("Consolidation measures (整顿方案)"), widget=forms.Textarea(attrs={"rows": 5, "class": "wide"})
    )
    leader = forms.ModelChoiceField(label=_("Responsible leader (联系领导)"), queryset=None)
    team = forms.ModelMultipleChoiceField(
        label=_("Work team stationed there (驻点工作队)"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = people
        self.fields["team"].queryset = people
        self.fields["leader"].label_from_instance = self.fields["team"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200, widget=forms.TextInput(attrs={"class": "wide"}))
    due = forms.DateField(label=_("Due on"), widget=DATE)


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}))
    completes = forms.BooleanField(label=_("The milestone is reached"), required=False)


class AcceptanceForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result of the acceptance check (验收)"),
        choices=[("yes", _("Passed")), ("no", _("Not passed"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    on = forms.DateField(label=_("Checked on"), widget=DATE)
    reasons = forms.CharField(
        label=_("Findings and reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
        help_text=_("Required when the check is not passed."),
    )


class LiftForm(forms.Form):
    end = forms.DateField(label=_("Lifted on"), widget=DATE)
    reason = forms.CharField(label=_("Reason for lifting"), max_length=500)
