"""Forms of the evaluation campaigns (the oversight office's side)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows.models import BallotForm, CampaignKind, OversightOffice


def _default_close():
    return (timezone.localtime() + datetime.timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)


class CampaignForm(forms.Form):
    office = forms.ModelChoiceField(
        label=_("Oversight office"), queryset=OversightOffice.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices, initial=CampaignKind.MASS)
    form = forms.ChoiceField(label=_("Ballot form"), choices=BallotForm.choices, initial=BallotForm.SATISFACTION)
    title = forms.CharField(label=_("Title"), max_length=160)
    closes_at = forms.DateTimeField(
        label=_("Voting closes"),
        initial=_default_close,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    k_threshold = forms.IntegerField(label=_("Smallest group shown"), initial=5, min_value=3, max_value=100)
    subjects = forms.CharField(
        label=_("Organisations (codes, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For a report-and-review meeting: the organisations whose secretaries report. For an appraisal "
            "of Party members: the one branch whose members are rated. Not needed for an assessment."
        ),
    )

    def __init__(self, *args, office_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = OversightOffice.objects.filter(pk__in=office_ids).order_by("code")
        if len(office_ids) == 1:
            self.fields["office"].initial = next(iter(office_ids))

    def codes(self):
        return [line.strip() for line in self.cleaned_data["subjects"].splitlines() if line.strip()]


class IssueForm(forms.Form):
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=5000, initial=30)
    group = forms.CharField(label=_("Voter group"), max_length=40, initial="党员")


class LeaderCommentForm(forms.Form):
    subject = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
