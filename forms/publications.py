"""Forms of the results publication (公示) and objections (异议)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models import Rating


class PublicationForm(forms.Form):
    working_days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=30, initial=5)
    note = forms.CharField(label=_("Notice"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ObjectionForm(forms.Form):
    assessment = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 4}))


class ObjectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("uphold", _("Uphold and change the rating")), ("dismiss", _("Dismiss"))])
    new_rating = forms.ChoiceField(label=_("Corrected rating"), choices=[("", "—"), *Rating.choices], required=False)
    response = forms.CharField(label=_("Response"), widget=forms.Textarea(attrs={"rows": 3}))

    @property
    def uphold(self):
        return self.cleaned_data["decision"] == "uphold"
