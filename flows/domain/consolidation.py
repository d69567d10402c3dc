"""The indicator "软弱涣散党组织整顿" read from the consolidation (pure rules; issue 20).

The templates' guidance (fixtures/templates/indicators.json): not on the weak-and-lax list this year → full points;
listed, consolidated and passed the acceptance check (验收) within the year → three fifths of them (3 of 5);
listed and not passed by the end of the year → none.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

NOT_LISTED, ACCEPTED, NOT_ACCEPTED = "not_listed", "accepted", "not_accepted"
STATUS_LABELS = {
    NOT_LISTED: _("Not on the weak-and-lax list this year"),
    ACCEPTED: _("Consolidated and passed the acceptance check this year"),
    NOT_ACCEPTED: _("On the weak-and-lax list without a passed acceptance check"),
}
INDICATOR_NAMES = ("软弱涣散党组织整顿", "整顿软弱涣散和后进党组织")
SHARE = {NOT_LISTED: Decimal(1), ACCEPTED: Decimal(3) / Decimal(5), NOT_ACCEPTED: Decimal(0)}


def indicator_points(status: str, max_points) -> Decimal:
    return (Decimal(max_points) * SHARE[status]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def is_consolidation_indicator(name: str) -> bool:
    return name.strip() in INDICATOR_NAMES
