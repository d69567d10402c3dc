"""Forms of rectification in depth (issue 20): plan, progress, re-check and the cycle's re-check interval. They parse
and check input; the services decide and save."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PlanForm(forms.Form):
    plan = forms.CharField(
        label=_("Rectification plan"), max_length=8000, widget=forms.Textarea(attrs={"rows": 5, "class": "wide"})
    )


class ProgressForm(forms.Form):
    on = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(
        label=_("What has been done so far"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RecheckForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("confirm", _("The rectification holds")), ("reopen", _("Reopen the item"))],
        error_messages={"required": _("Choose whether the rectification holds or the item is reopened.")},
    )
    comment = forms.CharField(label=_("Findings"), required=False, max_length=4000, widget=forms.Textarea)
    new_due = forms.DateField(
        label=_("New due date (when reopening)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    @property
    def confirm(self):
        return self.cleaned_data["decision"] == "confirm"


class RecheckIntervalForm(forms.Form):
    recheck_interval_days = forms.IntegerField(label=_("re-check after (days)"), min_value=1, max_value=730)
