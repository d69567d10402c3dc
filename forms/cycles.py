"""The form that creates a review cycle."""

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models import Level, OfficeMembership, OfficeRole, OversightOffice, ReviewCycle, Sector
from forms.numbers import PlainDecimalField
from forms.organisations import organisation_by_code


class CycleForm(forms.ModelForm):
    office = forms.ModelChoiceField(label=_("Oversight office"), queryset=OversightOffice.objects.none())
    scope_code = forms.CharField(
        label=_("Scope: subtree of (code)"),
        required=False,
        max_length=40,
        help_text=_("Empty: the office's whole scope."),
    )
    scope_sectors = forms.MultipleChoiceField(
        label=_("Sectors"), choices=Sector.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    scope_levels = forms.MultipleChoiceField(
        label=_("Levels"), choices=Level.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    weight_self = PlainDecimalField(label=_("weight: self-assessment"), min_value=0, max_value=100, decimal_places=2)
    weight_mass = PlainDecimalField(label=_("weight: mass evaluation"), min_value=0, max_value=100, decimal_places=2)
    weight_superior = PlainDecimalField(
        label=_("weight: superior review"), min_value=0, max_value=100, decimal_places=2
    )
    weight_social = PlainDecimalField(
        label=_("weight: social evaluation"), min_value=0, max_value=100, decimal_places=2
    )
    # a reporting secretary's own result (述职评议考核); empty: the usual 40 / 30 / 30
    weight_meeting_appraisal = PlainDecimalField(
        label=_("weight: appraisal at the meeting"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    weight_meeting_comment = PlainDecimalField(
        label=_("weight: leader's comment"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    weight_meeting_organisation = PlainDecimalField(
        label=_("weight: the organisation's assessment"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    good_min = PlainDecimalField(label=_("good from"), min_value=0, max_value=100, decimal_places=2)
    fairly_good_min = PlainDecimalField(label=_("fairly good from"), min_value=0, max_value=100, decimal_places=2)
    average_min = PlainDecimalField(label=_("average from"), min_value=0, max_value=100, decimal_places=2)
    good_cap_percent = PlainDecimalField(
        label=_("cap on the share of good (%)"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    # 回头看 (issue 20): empty is the usual 90 days; changed later on the cycle's page
    recheck_interval_days = forms.IntegerField(
        label=_("re-check after (days)"), required=False, min_value=1, max_value=730
    )

    class Meta:
        model = ReviewCycle
        fields = [
            "year",
            "name",
            "self_due",
            "mass_due",
            "review_due",
            "rectification_due",
            "weight_self",
            "weight_mass",
            "weight_superior",
            "weight_social",
            "weight_meeting_appraisal",
            "weight_meeting_comment",
            "weight_meeting_organisation",
            "good_min",
            "fairly_good_min",
            "average_min",
            "good_cap_percent",
            "social_source",
            "recheck_interval_days",
        ]
        widgets = {
            f: forms.DateInput(attrs={"type": "date"})
            for f in ("self_due", "mass_due", "review_due", "rectification_due")
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offices = OversightOffice.objects.all()
        if not user.is_superuser:
            mine = OfficeMembership.objects.current().filter(user=user, role=OfficeRole.OFFICER).values("office_id")
            offices = offices.filter(pk__in=mine)
        self.fields["office"].queryset = offices
        self.field_order = ["office", "year", "name", "scope_code", "scope_sectors", "scope_levels"]
        self.order_fields(self.field_order)

    def _weight_or_default(self, name):
        value = self.cleaned_data.get(name)
        return ReviewCycle._meta.get_field(name).default if value is None else value

    def clean_weight_meeting_appraisal(self):
        return self._weight_or_default("weight_meeting_appraisal")

    def clean_weight_meeting_comment(self):
        return self._weight_or_default("weight_meeting_comment")

    def clean_weight_meeting_organisation(self):
        return self._weight_or_default("weight_meeting_organisation")

    def clean_recheck_interval_days(self):
        return self._weight_or_default("recheck_interval_days")

    def clean_scope_code(self):
        return organisation_by_code(self.cleaned_data["scope_code"])

    def _post_clean(self):
        # the service validates the whole cycle (constraints included) when it creates it
        pass
