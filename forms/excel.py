from django import forms
from django.utils.translation import gettext_lazy as _

IMPORT_KINDS = [
    ("organisations", _("Organisation tree, people and roles")),
    ("indicators", _("Indicator template")),
    ("scores", _("Score sheet (self-assessment or superior review)")),
    ("rectification", _("Rectification list (reports of the owners)")),
    ("social", _("Social evaluation scores (entered by the oversight office)")),
    ("contacts", _("Contact points and visits (the office's ledger)")),
]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("The workbook holds"), choices=IMPORT_KINDS)
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
