"""Random spot checks (随机抽查, "双随机"): a plan, its reproducible draw, and the inspections it creates.

    SpotCheckPlan:  draft ──freeze──▶ frozen ──draw──▶ drawn ──close──▶ closed
                      └──────cancel──────┘
    Inspection:     recording ──submit──▶ signing ──sign (last)──▶ review ──decide──▶ done
                        ▲                    │
                        └──────send back─────┘

Freezing records the population snapshot, its hash and the commitment (hash) of a secret seed; the draw
reveals the seed. The algorithm is documented in `flows/domain/draw.py` and stated on every certificate.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.cycles import Rating
from flows.models.organisations import Organisation, Sector
from flows.models.state_groups import PLANS_DRAWN
from flows.models.states import InspectionState, PlanState


class RiskTier(models.TextChoices):
    POOR = "rating_poor", _("Rated poor last time")
    AVERAGE = "rating_average", _("Rated average last time")
    BACKWARD = "backward", _("Classified backward")
    WEAK_AND_LAX = "weak_and_lax", _("Weak and lax")
    OVERDUE = "overdue_rectification", _("Overdue rectification")


class SpotCheckPlan(ConcurrentTransitionMixin, models.Model):
    office = models.ForeignKey(
        "flows.OversightOffice",
        on_delete=models.PROTECT,
        related_name="spot_checks",
        verbose_name=_("oversight office"),
    )
    name = models.CharField(_("name"), max_length=160)
    cycle = models.ForeignKey(
        "flows.ReviewCycle",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spot_checks",
        verbose_name=_("population: organisations of the cycle"),
    )
    scope_root = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("population: subtree of"),
    )
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    levels = models.JSONField(_("levels"), default=list, blank=True)
    risk_tiers = models.JSONField(_("risk tiers"), default=list, blank=True)
    rate_percent = models.DecimalField(_("sample rate per stratum (%)"), max_digits=5, decimal_places=2, default=5)
    minimum_per_stratum = models.PositiveSmallIntegerField(_("at least per stratum"), default=1)
    stratum_sizes = models.JSONField(_("fixed sample sizes per stratum"), default=dict, blank=True)
    inspectors_per_target = models.PositiveSmallIntegerField(_("inspectors per organisation"), default=2)
    pool = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("inspector pool")
    )
    due = models.DateField(_("inspections due"))
    state = FSMField(_("state"), default=PlanState.DRAFT, choices=PlanState.choices, protected=True)

    algorithm = models.CharField(max_length=20, blank=True)
    snapshot = models.JSONField(_("frozen inputs"), null=True, blank=True)
    snapshot_hash = models.CharField(_("hash of the frozen inputs"), max_length=64, blank=True)
    seed_commitment = models.CharField(_("seed commitment"), max_length=64, blank=True)
    seed = models.CharField(_("seed"), max_length=64, blank=True)  # secret until the draw
    public_entropy = models.CharField(_("public entropy added at the draw"), max_length=200, blank=True)
    result = models.JSONField(_("sample and assignments"), null=True, blank=True)
    # zrz-draw-2: the public notice (an unguessable link, no login), the audit head when it was published, the
    # announced source of the witnessed numbers, and the numbers and witnesses recorded at the draw
    public_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    randomness_source = models.CharField(_("source of the witnessed numbers"), max_length=200, blank=True)
    frozen_head_seq = models.BigIntegerField(_("audit chain head at freezing (seq)"), null=True, blank=True)
    frozen_head_hash = models.CharField(_("audit chain head at freezing (hash)"), max_length=64, blank=True)
    witnessed_numbers = models.CharField(_("witnessed numbers"), max_length=200, blank=True)
    witnesses = models.JSONField(_("witnesses"), default=list, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("spot-check plan")
        verbose_name_plural = _("spot-check plans")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_percent__gte=0, rate_percent__lte=100),
                name="spotcheck_rate_is_a_percentage",
                violation_error_message=_("The sample rate is a percentage between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(inspectors_per_target__gte=1),
                name="spotcheck_at_least_one_inspector",
                violation_error_message=_("Each organisation needs at least one inspector."),
            ),
        ]

    def __str__(self):
        return self.name

    def filter_labels(self) -> dict:
        """The population filters in words, for the plan's page and certificate."""
        from flows.models.organisations import Level

        return {
            "sectors": "、".join(str(Sector(v).label) for v in self.sectors if v in Sector.values),
            "levels": "、".join(str(Level(v).label) for v in self.levels if v in Level.values),
            "risk_tiers": "、".join(str(RiskTier(v).label) for v in self.risk_tiers if v in RiskTier.values),
        }

    @property
    def seed_revealed(self) -> bool:
        return self.state in PLANS_DRAWN

    @property
    def witnessed(self) -> bool:
        """Drawn (or to be drawn) with numbers read aloud by witnesses (zrz-draw-2), not the server's seed alone."""
        return self.algorithm == "zrz-draw-2"

    @transition(field=state, source=PlanState.DRAFT, target=PlanState.FROZEN)
    def freeze(self, *, snapshot, snapshot_hash, seed, commitment, algorithm, at, token=None, source="", head=None):
        self.snapshot, self.snapshot_hash = snapshot, snapshot_hash
        self.seed, self.seed_commitment, self.algorithm, self.frozen_at = seed, commitment, algorithm, at
        self.public_token, self.randomness_source = token, source
        self.frozen_head_seq, self.frozen_head_hash = head or (None, "")

    @transition(field=state, source=PlanState.FROZEN, target=PlanState.DRAWN)
    def draw(self, *, result, entropy, by, at, numbers="", witnesses=()):
        self.result, self.public_entropy, self.drawn_by, self.drawn_at = result, entropy, by, at
        self.witnessed_numbers, self.witnesses = numbers, list(witnesses)

    @transition(field=state, source=PlanState.DRAWN, target=PlanState.CLOSED)
    def close(self):
        """Every inspection has been reviewed."""

    @transition(field=state, source=[PlanState.DRAFT, PlanState.FROZEN], target=PlanState.CANCELLED)
    def cancel(self, *, reason="", at=None):
        """Withdrawn before the draw (a frozen plan's commitment stays on record, and every later plan of the same
        office lists it on its certificate)."""
        self.cancel_reason, self.cancelled_at = reason, at


class ChecklistItem(models.Model):
    """One line of the inspectors' checklist for a sector (empty sector: every sector)."""

    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices, blank=True)
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("item"), max_length=120)
    guidance = models.TextField(_("what to check"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["sector", "code"], name="checklist_code_per_sector")]

    def __str__(self):
        return f"{self.code} {self.title}"


class Inspection(ConcurrentTransitionMixin, models.Model):
    plan = models.ForeignKey(SpotCheckPlan, on_delete=models.PROTECT, related_name="inspections")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("organisation")
    )
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="inspections", through="InspectorSeat")
    state = FSMField(_("state"), default=InspectionState.RECORDING, choices=InspectionState.choices, protected=True)
    summary = models.TextField(_("summary of the check"), blank=True)
    return_comment = models.TextField(_("reason for sending back"), blank=True)
    rating_lowered_to = models.CharField(_("rating lowered to"), max_length=12, choices=Rating.choices, blank=True)
    rating_reason = models.TextField(_("reason for lowering the rating"), blank=True)
    review_comment = models.TextField(_("oversight office's comment"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="inspection"
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["plan", "organisation__path"]
        constraints = [models.UniqueConstraint(fields=["plan", "organisation"], name="inspection_once_per_plan")]

    def __str__(self):
        return f"{self.organisation} · {self.plan}"

    def lead_id(self):
        seat = self.seats.order_by("position").first()
        return seat.inspector_id if seat else None

    def checklist_complete(self):
        return not self.results.filter(outcome="").exists()

    def all_signed(self):
        return not self.seats.filter(signed_at__isnull=True).exists()

    @transition(
        field=state, source=InspectionState.RECORDING, target=InspectionState.SIGNING, conditions=[checklist_complete]
    )
    def submit(self):
        """The lead inspector submits the checklist and findings (and signs them)."""

    @transition(field=state, source=InspectionState.SIGNING, target=InspectionState.RECORDING)
    def send_back(self, *, comment):
        self.return_comment = comment

    @transition(field=state, source=InspectionState.SIGNING, target=InspectionState.REVIEW, conditions=[all_signed])
    def signed(self):
        """Every assigned inspector has signed."""

    @transition(field=state, source=InspectionState.REVIEW, target=InspectionState.DONE)
    def decide(self, *, by, comment):
        self.reviewed_by, self.review_comment = by, comment


class InspectorSeat(models.Model):
    """An inspector assigned by the draw; `position` 1 leads (组长). Signing is the joint sign-off."""

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="seats")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inspection team member")
        verbose_name_plural = _("inspection team members")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "inspector"], name="seat_one_per_inspector"),
            models.UniqueConstraint(fields=["inspection", "position"], name="seat_position_unique"),
        ]

    def __str__(self):
        return f"{self.inspection_id}#{self.position}"


class CheckOutcome(models.TextChoices):
    MET = "met", _("Meets requirements")
    PARTLY = "partly", _("Partly meets")
    NOT_MET = "not_met", _("Does not meet")
    NOT_APPLICABLE = "n_a", _("Not applicable")


class CheckResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("item"), max_length=120)
    guidance = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(_("result"), max_length=10, choices=CheckOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["inspection", "code"], name="check_result_once")]

    def __str__(self):
        return f"{self.code} {self.title}"


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")


class FindingDecision(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class Finding(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    check_code = models.CharField(_("checklist item"), max_length=20, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("finding"))
    requirement = models.TextField(_("rectification requirement"), blank=True)
    decision = models.CharField(_("decision"), max_length=10, choices=FindingDecision.choices, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    rectification_item = models.OneToOneField(
        "flows.RectificationItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="finding"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["pk"]

    def __str__(self):
        return self.description[:40]


def finding_evidence_path(instance, filename):
    return f"spotchecks/{instance.finding.inspection.plan_id}/{instance.finding.inspection_id}/{uuid.uuid4().hex}"


class FindingEvidence(models.Model):
    """An inspector's evidence file; served only through a view that applies the access policy."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=finding_evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("finding evidence")
        verbose_name_plural = _("finding evidence")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
