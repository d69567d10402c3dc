"""Forms of the evaluation campaigns (the oversight office's side)."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows.models import BallotForm, CampaignKind, OversightOffice
from forms.numbers import PlainDecimalField


def _default_close():
    return (timezone.localtime() + datetime.timedelta(days=7)).replace(hour=18, minute=0, second=0, microsecond=0)


class CampaignForm(forms.Form):
    office = forms.ModelChoiceField(
        label=_("Oversight office"), queryset=OversightOffice.objects.none(), required=False
    )
    # a report-and-review meeting's appraisal is prepared with its meeting (述职评议), not here
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(v, label) for v, label in CampaignKind.choices if v != CampaignKind.REPORT_MEETING],
        initial=CampaignKind.MASS,
    )
    form = forms.ChoiceField(label=_("Ballot form"), choices=BallotForm.choices, initial=BallotForm.SATISFACTION)
    title = forms.CharField(label=_("Title"), max_length=160)
    closes_at = forms.DateTimeField(
        label=_("Voting closes"),
        initial=_default_close,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    k_threshold = forms.IntegerField(label=_("Smallest group shown"), initial=5, min_value=3, max_value=100)
    min_turnout_percent = PlainDecimalField(
        label=_("Minimum turnout (%)"),
        min_value=0,
        max_value=100,
        decimal_places=1,
        required=False,
        initial="50",
        help_text=_(
            "Share of the issued codes that must be used to vote before the mass evaluation score counts. "
            "Empty or 0: no minimum. It can be changed until voting opens."
        ),
    )
    subjects = forms.CharField(
        label=_("Organisations (codes, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For an appraisal of Party members: the one branch whose members are rated. Not needed for an "
            "assessment. A report-and-review meeting is prepared under 述职评议."
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


class WeightsForm(forms.Form):
    """The weight of each voter group and the minimum turnout, while the campaign is prepared. One field per
    voter group, named `weight_<pk>` and labelled with the group, so that a refusal names the group."""

    min_turnout_percent = PlainDecimalField(
        label=_("Minimum turnout (%)"), min_value=0, max_value=100, decimal_places=1, required=False
    )

    def __init__(self, *args, campaign, groups, **kwargs):
        kwargs.setdefault(
            "initial",
            {"min_turnout_percent": _plain(campaign.min_turnout_percent)}
            | {f"weight_{g['pk']}": _plain(g["weight"]) for g in groups if g["pk"]},
        )
        super().__init__(*args, **kwargs)
        self.groups = [g for g in groups if g["pk"]]
        for g in self.groups:
            self.fields[f"weight_{g['pk']}"] = PlainDecimalField(
                label=_("Weight of %(group)s") % {"group": g["group"]},
                min_value="0.01",
                max_value=100,
                decimal_places=2,
            )

    def rows(self):
        """(group row, its bound weight field) for the table."""
        return [(g, self[f"weight_{g['pk']}"]) for g in self.groups]

    def weights(self) -> dict:
        return {g["group"]: self.cleaned_data[f"weight_{g['pk']}"] for g in self.groups}


def _plain(number) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class LeaderCommentForm(forms.Form):
    subject = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
