"""Counts kept up to date on every write, so that the cycle dashboard and year over year read a few hundred rows
however many organisations there are (a province has hundreds of thousands).

They are not a cache: each row changes in the same transaction as the write it counts (a step, a rating change, a
launch, a classification recorded or corrected), by adding to `n` in the database (`n = n + delta`), so concurrent
steps on PostgreSQL lose no update and a page read after a step already shows it. `flows.services.counts` is the
only writer; `manage.py counts --check` recounts from the source rows and names any drift, `manage.py counts`
rebuilds them.

`node` is the materialised path of an organisation (see `organisations.py`): every assessment is counted at each
of its leading organisations, at its own organisation and at "" (the whole cycle), so the figures of any subtree
are one indexed read of the rows at its top. Classification records count at each *leading* organisation only
(year over year shows the organisations under its root, without the root).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from flows.models.cycles import ReviewCycle


class AssessmentCount(models.Model):
    """How many assessments of a cycle, in the subtree at `node`, are at a stage with a rating, sector and level.
    The rating only where it is a result (a stage the review decided), else ""."""

    cycle = models.ForeignKey(ReviewCycle, on_delete=models.CASCADE, related_name="+", verbose_name=_("cycle"))
    node = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=24)
    rating = models.CharField(max_length=12, blank=True)
    sector = models.CharField(max_length=24, blank=True)
    level = models.CharField(max_length=16, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "node", "state", "rating", "sector", "level"], name="assessment_count_key"
            )
        ]

    def __str__(self):
        return f"{self.cycle_id} {self.node or '*'} {self.state} {self.rating}: {self.n}"


class ClassificationCount(models.Model):
    """How many organisations under `node` (not counting it) had a rating and classification in a year."""

    node = models.CharField(max_length=255)
    year = models.IntegerField()
    rating = models.CharField(max_length=12, blank=True)
    classification = models.CharField(max_length=12, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["node", "year", "rating", "classification"], name="classification_count_key"
            )
        ]

    def __str__(self):
        return f"{self.node} {self.year} {self.classification}: {self.n}"


class MoveCount(models.Model):
    """How many organisations under `node` (not counting it) were classified `previous` in `previous_year` and
    `classification` in `year` (every pair of years an organisation has records for, later year first)."""

    node = models.CharField(max_length=255)
    year = models.IntegerField()
    previous_year = models.IntegerField()
    classification = models.CharField(max_length=12, blank=True)
    previous = models.CharField(max_length=12, blank=True)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["node", "year", "previous_year", "classification", "previous"], name="move_count_key"
            )
        ]

    def __str__(self):
        return f"{self.node} {self.previous_year}→{self.year} {self.previous}→{self.classification}: {self.n}"
