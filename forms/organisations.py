"""The organisation form, used by the admin and the screens; saving goes through the services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from flows.models import Organisation
from flows.services import organisations as services


class OrganisationForm(forms.ModelForm):
    leading = forms.CharField(
        label=_("Leading organisation (code)"),
        required=False,
        max_length=40,
        help_text=_("The code of the one organisation that leads this one. Empty only for the root."),
    )

    class Meta:
        model = Organisation
        fields = list(services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            parent = self.instance.leading
            self.initial["leading"] = parent.code if parent else ""

    def clean_leading(self):
        return organisation_by_code(self.cleaned_data["leading"])

    def clean(self):
        cleaned = super().clean()
        if "leading" in cleaned:
            try:
                services._check_leading(self.instance if self.instance.pk else None, cleaned["leading"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned

    def _post_clean(self):
        # Tree fields (path, depth) are set by the service, so skip the model's own full_clean here.
        opts = self._meta
        try:
            self.instance = forms.models.construct_instance(self, self.instance, opts.fields, opts.exclude)
        except ValidationError as e:
            self._update_errors(e)

    def save_via_service(self, *, by) -> Organisation:
        data = {name: self.cleaned_data[name] for name in services.EDITABLE_FIELDS if name in self.cleaned_data}
        if self.instance.pk:
            self.saved = services.organisation_update(
                by=by, organisation=self.instance, leading=self.cleaned_data.get("leading"), **data
            )
        else:
            self.saved = services.organisation_create(by=by, leading=self.cleaned_data.get("leading"), **data)
        return self.saved


def organisation_by_code(code: str):
    """The organisation a typed code names (None for an empty field); an unknown code is a form error."""
    code = (code or "").strip()
    if not code:
        return None
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        raise ValidationError(_("There is no organisation with the code %(code)s.") % {"code": code})
    return org
