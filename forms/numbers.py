"""The form field for every score, weight and threshold: read by the one number reader (`domain.numbers`)."""

from django import forms
from django.core.exceptions import ValidationError

from flows.domain.numbers import NotANumber, number_in


class PlainDecimalField(forms.CharField):
    """A plain decimal (full-width digits welcome) within bounds; NaN, infinities, exponents and other text that
    only a programming language calls a number are refused with the field's label in the message."""

    def __init__(self, *, min_value=None, max_value=None, decimal_places=None, **kwargs):
        self.min_value, self.max_value, self.decimal_places = min_value, max_value, decimal_places
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs

    def clean(self, value):
        value = super().clean(value)
        try:
            return number_in(
                value,
                field=str(self.label or ""),
                low=self.min_value,
                high=self.max_value,
                places=self.decimal_places,
            )
        except NotANumber as exc:
            raise ValidationError(exc.message, code="invalid") from None
