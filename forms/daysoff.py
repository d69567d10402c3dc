from django import forms
from django.utils.translation import gettext_lazy as _


class DayOffForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=60)
    working = forms.BooleanField(label=_("A working day (instead of a day off)"), required=False)
