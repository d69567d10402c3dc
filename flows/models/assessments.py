"""One organisation's year (the Assessment) and what it collects on the way.

The assessment's `state` is the explicit state machine (django-fsm-2, protected field, optimistic
concurrency on the state column). Transition bodies only change fields; services do the rest.

    self_assessment ──submit_self──▶ self_approval ──approve_self──▶ mass_evaluation ──close_mass──▶ superior_review
          ▲                               │
          └──────────return_self──────────┘
    superior_review ──submit_review──▶ commendation ──decide_commendation──▶ closed
                                   ├─▶ rectification ──finish_rectification──▶ closed
                                   ├─▶ accountability ──approve_accountability──▶ closed
                                   └─▶ closed
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from flows.models.compiled import CompiledQuery
from flows.models.cycles import Rating, ReviewCycle
from flows.models.indicators import Indicator, IndicatorTemplate, template_items
from flows.models.organisations import Organisation
from flows.models.state_groups import Phase, states_in
from flows.models.states import STAGE_OF_OUTCOME, ItemState, Outcome, RecheckState, Stage

# What the reviewer may decide for each rating (seed 001 §4): outstanding work is commended; weak work is
# criticised and rectified with a deadline; duties not fulfilled with serious consequences lead to accountability.
OUTCOMES_BY_RATING = {
    Rating.GOOD: (Outcome.COMMENDATION, Outcome.NONE),
    Rating.FAIRLY_GOOD: (Outcome.NONE, Outcome.RECTIFICATION),
    Rating.AVERAGE: (Outcome.RECTIFICATION,),
    Rating.POOR: (Outcome.RECTIFICATION, Outcome.ACCOUNTABILITY),
}


class Assessment(ConcurrentTransitionMixin, models.Model):
    cycle = models.ForeignKey(
        ReviewCycle, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("cycle")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("organisation")
    )
    template = models.ForeignKey(
        IndicatorTemplate, on_delete=models.PROTECT, related_name="+", verbose_name=_("template")
    )
    process = models.OneToOneField(
        "viewflow.Process",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessment",
        verbose_name=_("workflow process"),
    )
    state = FSMField(_("stage"), default=Stage.SELF_ASSESSMENT, choices=Stage.choices, protected=True)

    report = models.TextField(_("work report"), blank=True)
    self_score = models.DecimalField(_("self-assessment score"), max_digits=6, decimal_places=2, null=True, blank=True)
    mass_score = models.DecimalField(_("mass evaluation score"), max_digits=6, decimal_places=2, null=True, blank=True)
    social_score = models.DecimalField(
        _("social evaluation score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    social_source = models.CharField(_("source of the social evaluation"), max_length=200, blank=True)
    superior_score = models.DecimalField(
        _("superior review score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    combined_score = models.DecimalField(_("combined score"), max_digits=6, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    veto = models.BooleanField(_("veto applied"), default=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["cycle", "organisation__path"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "organisation"], name="assessment_one_per_cycle_org"),
            models.CheckConstraint(condition=~Q(veto=True) | Q(rating=Rating.POOR), name="assessment_veto_means_poor"),
        ]
        indexes = [
            models.Index(fields=["cycle", "state"]),
            # the dashboard's ranking: a cycle's top scores read in order, not sorted from all of them
            models.Index(fields=["cycle", "-combined_score", "id"], name="assessment_ranking"),
        ]

    def __str__(self):
        return f"{self.organisation} · {self.cycle}"

    # -- conditions --------------------------------------------------------------------------------
    def self_complete(self):
        # the submit service has just listed what is missing on this row-locked instance (`checked_missing`): the
        # transition's condition, asked twice more by the state machine, reads that list instead of three queries
        missing = getattr(self, "checked_missing", None)
        return not (self.missing_for_self_submission() if missing is None else missing)

    def template_items(self) -> list[Indicator]:
        """The items of the assessment's indicator template, in order, read once for this instance (the template
        is frozen while its cycle runs)."""
        items = self.__dict__.get("_template_items")
        if items is None:
            items = self.__dict__["_template_items"] = template_items(self.template_id) if self.template_id else []
        return items

    def missing_for_self_submission(self) -> list[str]:
        scored = {i for (i,) in _SCORED_ITEMS(assessment_id=self.pk)}
        evidenced = {i for (i,) in _EVIDENCED_ITEMS(assessment_id=self.pk)}
        missing = []
        for ind in self.template_items():
            if not ind.veto and ind.pk not in scored:
                missing.append(f"{ind.code} {ind.name}")
            elif ind.evidence_required and ind.pk not in evidenced:
                missing.append(f"{ind.code} {ind.name}（{_('evidence')}）")
        if not self.report.strip():
            missing.append(str(_("work report")))
        return missing

    def review_complete(self):
        needed = self.template.indicators.filter(veto=False).count()
        return ItemScore.objects.filter(assessment=self, superior_points__isnull=False).count() >= needed

    def rectification_verified(self):
        items = self.rectification_items.all()
        return items.exists() and not items.exclude(state__in=states_in(ItemState, Phase.DONE)).exists()

    # -- transitions -------------------------------------------------------------------------------
    @transition(
        field=state,
        source=Stage.SELF_ASSESSMENT,
        target=Stage.SELF_APPROVAL,
        conditions=[self_complete],
    )
    def submit_self(self):
        """The person in direct charge submits the self-assessment to the secretary."""

    @transition(
        field=state,
        source=Stage.SELF_APPROVAL,
        target=Stage.SELF_ASSESSMENT,
    )
    def return_self(self):
        """The secretary sends the draft back."""

    @transition(
        field=state,
        source=Stage.SELF_APPROVAL,
        target=Stage.MASS_EVALUATION,
    )
    def approve_self(self):
        """The secretary (first responsible person) signs off the self-assessment."""

    @transition(
        field=state,
        source=Stage.MASS_EVALUATION,
        target=Stage.SUPERIOR_REVIEW,
    )
    def close_mass(self, *, mass_score=None):
        self.mass_score = mass_score

    @transition(
        field=state,
        source=Stage.SUPERIOR_REVIEW,
        target=RETURN_VALUE(*STAGE_OF_OUTCOME.values()),
        conditions=[review_complete],
    )
    def submit_review(self, *, outcome):
        self.outcome = outcome
        return STAGE_OF_OUTCOME[outcome]

    @transition(
        field=state,
        source=Stage.COMMENDATION,
        target=Stage.CLOSED,
    )
    def decide_commendation(self):
        """The oversight office approves or rejects the proposed commendation."""

    @transition(field=state, source=Stage.RECTIFICATION, target=Stage.CLOSED, conditions=[rectification_verified])
    def finish_rectification(self):
        """Every rectification item is verified."""

    @transition(
        field=state,
        source=Stage.CLOSED,
        target=Stage.RECTIFICATION,
    )
    def reopen_rectification(self):
        """A confirmed spot-check finding adds rectification items to a closed year."""

    @transition(
        field=state,
        source=Stage.ACCOUNTABILITY,
        target=Stage.CLOSED,
    )
    def approve_accountability(self):
        """A second oversight officer approves the proposed measure."""


class ItemScore(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    self_points = models.DecimalField(_("self-assessed points"), max_digits=5, decimal_places=1, null=True, blank=True)
    self_note = models.TextField(_("self-assessment note"), blank=True)
    superior_points = models.DecimalField(_("reviewer's points"), max_digits=5, decimal_places=1, null=True, blank=True)
    superior_note = models.TextField(_("reviewer's note"), blank=True)
    veto_hit = models.BooleanField(_("veto hit"), default=False)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "indicator"], name="score_one_per_item"),
            models.CheckConstraint(
                condition=Q(self_points__gte=0) | Q(self_points__isnull=True), name="score_self_ge_0"
            ),
            models.CheckConstraint(
                condition=Q(superior_points__gte=0) | Q(superior_points__isnull=True), name="score_superior_ge_0"
            ),
        ]

    def __str__(self):
        return f"{self.assessment_id}:{self.indicator_id}"


def evidence_path(instance, filename):
    return f"evidence/{instance.assessment.cycle_id}/{instance.assessment_id}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """An uploaded evidence file; served only through a view that applies the access policy."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    indicator = models.ForeignKey(Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rectification_item = models.ForeignKey(
        "flows.RectificationItem", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name


class CommendationKind(models.TextChoices):
    ORGANISATION = "advanced_organisation", _("Advanced grassroots Party organisation")
    PARTY_WORKER = "party_worker", _("Outstanding Party affairs worker")
    MEMBER = "party_member", _("Outstanding Communist Party member")


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Commendation(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="commendations")
    kind = models.CharField(_("commendation"), max_length=24, choices=CommendationKind.choices)
    nominee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("nominee"),
    )
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")

    def __str__(self):
        return self.get_kind_display()


class RectificationItem(ConcurrentTransitionMixin, models.Model):
    """One line of the rectification list (整改清单): a problem, its owner and its deadline."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="rectification_items", verbose_name=_("assessment")
    )
    problem = models.TextField(_("problem"))
    requirement = models.TextField(_("rectification requirement"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due = models.DateField(_("due date"))
    state = FSMField(_("state"), default=ItemState.OPEN, choices=ItemState.choices, protected=True)
    report = models.TextField(_("rectification report"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("verified by")
    )
    return_comment = models.TextField(_("reason for returning"), blank=True)
    extension_due = models.DateField(_("extension asked until"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    # 整改方案: optional, written by the owner before reporting (revisions are in the audit trail)
    plan = models.TextField(_("rectification plan"), blank=True)
    plan_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("plan written by"),
    )
    plan_at = models.DateTimeField(_("plan written at"), null=True, blank=True)
    # 回头看: the date the scheduled re-check falls due while the item waits for it (the task's own due date)
    recheck_due = models.DateField(_("re-check due"), null=True, blank=True)
    process = models.OneToOneField(
        "viewflow.Process",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification_item",
        verbose_name=_("workflow process"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["due", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("reported_by")),
                name="rectification_verifier_is_not_reporter",
                violation_error_message=_("The person who reported an item cannot verify it."),
            )
        ]

    def __str__(self):
        return self.problem[:40]

    @transition(field=state, source=ItemState.OPEN, target=ItemState.REPORTED)
    def submit_report(self, *, by, report):
        self.report = report
        self.reported_by = by

    @transition(
        field=state,
        source=ItemState.REPORTED,
        target=ItemState.VERIFIED,
    )
    def verify(self, *, by):
        self.verified_by = by

    @transition(
        field=state,
        source=ItemState.REPORTED,
        target=ItemState.OPEN,
    )
    def return_report(self, *, comment):
        self.return_comment = comment

    @transition(field=state, source=ItemState.OPEN, target=ItemState.EXTENSION_REQUESTED)
    def request_extension(self, *, due, reason):
        """The owner asks for more time (a later due date, with the reason); the reviewer decides."""
        self.extension_due, self.extension_reason = due, reason

    @transition(field=state, source=ItemState.EXTENSION_REQUESTED, target=ItemState.OPEN)
    def grant_extension(self):
        self.due = self.extension_due

    @transition(field=state, source=ItemState.EXTENSION_REQUESTED, target=ItemState.OPEN)
    def refuse_extension(self):
        """The due date stands."""

    @transition(field=state, source=ItemState.VERIFIED, target=ItemState.OPEN)
    def reopen(self, *, due, reason):
        """The re-check (回头看) found the problem back: the item is rectified again by a new due date."""
        self.due, self.return_comment = due, reason
        self.verified_by = None
        self.recheck_due = None


class RectificationProgress(models.Model):
    """An interim progress report (整改进展) on an item before its end: dated, by whom."""

    item = models.ForeignKey(
        RectificationItem,
        on_delete=models.CASCADE,
        related_name="progress_reports",
        verbose_name=_("rectification item"),
    )
    on = models.DateField(_("as of"))
    text = models.TextField(_("progress"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification progress report")
        verbose_name_plural = _("rectification progress reports")
        ordering = ["on", "pk"]

    def __str__(self):
        return f"{self.on} {self.text[:30]}"


class ExtensionDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class RectificationExtension(models.Model):
    """One request for a later due date and the reviewer's decision; the dates before and after are kept."""

    item = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("rectification item")
    )
    old_due = models.DateField(_("due date before"))
    new_due = models.DateField(_("due date asked for"))
    reason = models.TextField(_("reason for the extension"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=12, choices=ExtensionDecision.choices, default=ExtensionDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("reviewer's comment"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(decision="pending"), name="rectification_one_pending_extension"
            ),
            models.CheckConstraint(condition=Q(new_due__gt=F("old_due")), name="rectification_extension_is_later"),
        ]

    def __str__(self):
        return f"{self.old_due} → {self.new_due}"


class RectificationRecheck(ConcurrentTransitionMixin, models.Model):
    """The re-check (回头看) of a verified item, scheduled when it is verified: the reviewing side confirms that
    the rectification holds, or reopens the item with a new due date and the reason."""

    item = models.ForeignKey(
        RectificationItem, on_delete=models.CASCADE, related_name="rechecks", verbose_name=_("rectification item")
    )
    due = models.DateField(_("re-check due"))
    state = FSMField(_("state"), default=RecheckState.SCHEDULED, choices=RecheckState.choices, protected=True)
    opened_at = models.DateTimeField(_("task opened at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("re-checked by"),
    )
    decided_at = models.DateTimeField(_("re-checked at"), null=True, blank=True)
    comment = models.TextField(_("findings"), blank=True)
    new_due = models.DateField(_("new due date"), null=True, blank=True)
    created_at = models.DateTimeField(_("scheduled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        ordering = ["due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(state="scheduled"), name="rectification_one_scheduled_recheck"
            ),
        ]

    def __str__(self):
        return f"{self.item} {self.due}"

    @property
    def assessment(self):
        """The year the item belongs to (whose reviewer takes the re-check)."""
        return self.item.assessment

    @transition(field=state, source=RecheckState.SCHEDULED, target=RecheckState.CONFIRMED)
    def confirm(self, *, by, at, comment):
        self.decided_by, self.decided_at, self.comment = by, at, comment

    @transition(field=state, source=RecheckState.SCHEDULED, target=RecheckState.REOPENED)
    def reopen(self, *, by, at, comment, new_due):
        self.decided_by, self.decided_at, self.comment, self.new_due = by, at, comment, new_due


class MeasureKind(models.TextChoices):
    EDUCATION = "criticism_education", _("Criticism and education")
    SELF_EXAMINATION = "ordered_self_examination", _("Ordered to make a self-examination")
    ADMONITION = "admonishing_talk", _("Admonishing talk")
    NOTICE = "circulated_criticism", _("Circulated criticism")
    ORGANISATIONAL = "organisational_measure", _("Organisational measure")


class AccountabilityMeasure(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="accountability_measures")
    kind = models.CharField(_("measure"), max_length=32, choices=MeasureKind.choices)
    persons = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("responsible persons"))
    reason = models.TextField(_("facts and reasons"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        verbose_name = _("accountability measure")
        verbose_name_plural = _("accountability measures")
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="accountability_second_officer_decides",
                violation_error_message=_("A second oversight officer must decide on the measure."),
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class GuidanceComment(models.Model):
    """A guiding organisation's non-binding comment (指导意见) on an assessment under review."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="guidance_comments")
    guide = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("suggested points"), max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="guidance_comment"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("guidance comment")
        verbose_name_plural = _("guidance comments")
        constraints = [models.UniqueConstraint(fields=["assessment", "guide"], name="guidance_comment_one_per_guide")]

    def __str__(self):
        return f"{self.guide}: {self.comment[:30]}"


# what a self-assessment's submission checks (`Assessment.missing_for_self_submission`), compiled once per process
_SCORED_ITEMS = CompiledQuery(
    lambda assessment_id: (
        ItemScore.objects.filter(assessment_id=assessment_id, self_points__isnull=False)
        .order_by()
        .values_list("indicator_id")
    ),
    assessment_id=int,
)
_EVIDENCED_ITEMS = CompiledQuery(
    lambda assessment_id: Evidence.objects.filter(assessment_id=assessment_id).order_by().values_list("indicator_id"),
    assessment_id=int,
)
