"""Numbers typed by people: the one reader of every score, weight and threshold (forms, Excel sheets, the
command line).

Only plain decimals are numbers here: an optional sign, digits, at most one decimal point. Full-width digits
typed with a Chinese input method (８５, ８５．５) are read as digits. Everything Python's `Decimal` would also
accept but no official means — NaN, Infinity, exponents (1e999), underscores (1_0), hexadecimal (0x10) — is
refused with a message that names the field, so nothing is stored and no import is left half-checked.
"""

import re
import unicodedata
from decimal import Decimal

from django.utils.translation import gettext as _

PLAIN_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
SPACES = re.compile(r"\s+")


class NotANumber(ValueError):
    """The value is not a plain decimal, or is outside what the field allows; `message` says so in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def plain_decimal(value) -> Decimal | None:
    """The value as a finite Decimal, None when empty; `ValueError` for anything that is not a plain decimal.

    Cells read from a workbook may already be numbers: ints and finite floats are taken (a float by its shortest
    text, so 85.5 stays 85.5); NaN and infinities are refused like their text forms."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, (float, Decimal)):
        number = Decimal(str(value))
        if not number.is_finite():
            raise ValueError(value)
        return number
    text = SPACES.sub("", unicodedata.normalize("NFKC", str(value)))
    if not text:
        return None
    if not PLAIN_DECIMAL.fullmatch(text):
        raise ValueError(text)
    return Decimal(text)


def number_in(value, *, field: str, low=None, high=None, places: int | None = None) -> Decimal | None:
    """A plain decimal within [low, high] with at most `places` decimal places, or None when empty.
    Raises `NotANumber` with a message naming `field`."""
    try:
        number = plain_decimal(value)
    except ValueError:
        raise NotANumber(
            _("%(field)s: enter a number such as 85 or 85.5 (digits and one decimal point only).") % {"field": field}
        ) from None
    if number is None:
        return None
    if (low is not None and number < Decimal(low)) or (high is not None and number > Decimal(high)):
        raise NotANumber(
            _("%(field)s: must be between %(low)s and %(high)s.")
            % {"field": field, "low": _shown(low, "−∞"), "high": _shown(high, "∞")}
        )
    if places is not None and number.as_tuple().exponent < -places:
        if places == 0:
            raise NotANumber(_("%(field)s: enter a whole number.") % {"field": field})
        raise NotANumber(_("%(field)s: at most %(places)s decimal places.") % {"field": field, "places": places})
    return number


def _shown(bound, unbounded: str) -> str:
    if bound is None:
        return unbounded
    return format(Decimal(bound).normalize(), "f")
