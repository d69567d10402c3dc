"""Forms of contact points and visits (联系点, 观摩 / 督导调研); the services check the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from flows.models.contacts import VisitKind
from flows.selectors import contacts as selectors


def _org_label(org) -> str:
    return org.short_name or org.name


class _OrganisationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _org_label(obj)


class _LeaderChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.real_name or obj.username}" + (f"（{obj.title}）" if obj.title else "")


class VisitForm(forms.Form):
    organisation = _OrganisationChoice(label=_("Organisation visited"), queryset=None, empty_label="—")
    date = forms.DateField(label=_("Visit date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=VisitKind.choices)
    co_leaders = _LeaderChoice(
        label=_("Leaders who came along"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    seen = forms.CharField(label=_("What was seen"), widget=forms.Textarea(attrs={"rows": 4, "class": "wide"}))
    problems = forms.CharField(
        label=_("Problems found (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "wide"}),
    )
    to_rectify = forms.BooleanField(
        label=_("Make each problem a rectification item"),
        required=False,
        help_text=_("On the organisation's assessment in the open review cycle, owned by its person in direct charge."),
    )
    due = forms.DateField(
        label=_("To be rectified by"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.visitable_organisations(user)
        self.fields["co_leaders"].queryset = selectors.colleagues(user)


class ContactPointForm(forms.Form):
    organisation = _OrganisationChoice(label=_("Contact organisation"), queryset=None, empty_label="—")
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.visitable_organisations(user)


class RectifyForm(forms.Form):
    due = forms.DateField(
        label=_("To be rectified by"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel workbook (.xlsx)"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
