"""Consolidating a weak-and-lax organisation (软弱涣散党组织整顿, seeds 001, 002: "及时整顿软弱涣散党组织",
"三看两查一整顿", "回头看"), as a process rather than a list entry.

A designation (`WeakAndLaxPeriod`, in `classifications.py`) records which of the listed criteria the
organisation met (`DesignationCriterion`) and who designated it. The office of the organisation's superior
level draws up a consolidation plan (整顿方案) for the period: the measures, the responsible leader (联系领导),
the work team stationed there (驻点工作队) and milestones with due dates. The organisation's secretary reports
progress against each milestone (a task in 我的待办 with its due date, reminded and escalated like any other);
the office then records an acceptance check (验收): passed, or not passed with the reasons. Only after a passed
check may the designation be lifted (销号):

    ConsolidationPlan:       draft ──start──▶ under_way ──accept──▶ accepted ──lift──▶ lifted
                                                 ▲  (a check not passed: stays under way, reasons kept)
    ConsolidationMilestone:  open ──complete──▶ done

The rule holds whichever door the lifting comes through: the lift service takes the plan's `lift` transition
(only from `accepted`), and the database refuses a period that ends without the date of a passed check
(`weak_and_lax_lifted_after_acceptance` on `WeakAndLaxPeriod`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMModelMixin, transition

from flows.models.states import ConsolidationState, MilestoneState


class Criterion(models.TextChoices):
    """What makes an organisation weak and lax: the list the superior level checks (排查) against (seed 002
    "三看两查": the cadres' ability and style, how the leadership team works, what the masses say; the pledges kept,
    what disturbs harmony and stability)."""

    LEADERSHIP_WEAK = "leadership_weak", _("Leadership team weak and lax (secretary long vacant or unfit for the post)")
    LEADERSHIP_DIVIDED = "leadership_divided", _("Leadership team divided, unable to work together")
    ORG_LIFE = "org_life", _("Organisational life irregular (三会一课 not held, rules a formality)")
    MEMBERS_LAX = "members_lax", _("Party members managed loosely")
    DECISIONS = "decisions", _("Decisions and arrangements of the higher level carried out poorly")
    MASSES = "masses", _("Serious conflicts with the masses, petitions and complaints concentrated")
    DISCIPLINE = "discipline", _("Violations of discipline and law in the leadership")
    SERVICE = "service", _("Serving development and the masses ineffectively")
    OTHER = "other", _("Other (described)")


class DesignationCriterion(models.Model):
    period = models.ForeignKey(
        "flows.WeakAndLaxPeriod", on_delete=models.CASCADE, related_name="criteria", verbose_name=_("designation")
    )
    criterion = models.CharField(_("criterion"), max_length=24, choices=Criterion.choices)
    note = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("criterion met")
        verbose_name_plural = _("criteria met")
        ordering = ["period", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["period", "criterion"], name="designation_criterion_once"),
            models.CheckConstraint(
                condition=~Q(criterion="other") | ~Q(note=""),
                name="designation_other_described",
                violation_error_message=_("Describe the other criterion."),
            ),
        ]

    def __str__(self):
        return self.note if self.criterion == Criterion.OTHER else str(self.get_criterion_display())


class ConsolidationPlan(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    period = models.OneToOneField(
        "flows.WeakAndLaxPeriod", on_delete=models.CASCADE, related_name="plan", verbose_name=_("designation")
    )
    office = models.ForeignKey(
        "flows.OversightOffice",
        on_delete=models.PROTECT,
        related_name="consolidation_plans",
        verbose_name=_("office of the superior level"),
    )
    measures = models.TextField(_("measures"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consolidations_led",
        verbose_name=_("responsible leader (联系领导)"),
    )
    state = FSMField(_("state"), default=ConsolidationState.DRAFT, choices=ConsolidationState.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consolidation plan")
        verbose_name_plural = _("consolidation plans")

    def __str__(self):
        return f"{self.period}"

    @property
    def organisation(self):
        return self.period.organisation

    def has_milestones(self):
        return self.milestones.exists()

    def milestones_done(self):
        return self.milestones.exists() and not self.milestones.exclude(state=MilestoneState.DONE).exists()

    @transition(
        field=state, source=ConsolidationState.DRAFT, target=ConsolidationState.UNDER_WAY, conditions=[has_milestones]
    )
    def start(self):
        """The plan is in force: the secretary reports against its milestones."""

    @transition(
        field=state,
        source=ConsolidationState.UNDER_WAY,
        target=ConsolidationState.ACCEPTED,
        conditions=[milestones_done],
    )
    def accept(self, *, on):
        """The superior level's acceptance check (验收) passed."""
        self.accepted_on = on

    @transition(field=state, source=ConsolidationState.ACCEPTED, target=ConsolidationState.LIFTED)
    def lift(self):
        """The designation is lifted (销号)."""


class TeamMember(models.Model):
    """A member of the work team stationed in the organisation (驻点工作队)."""

    plan = models.ForeignKey(ConsolidationPlan, on_delete=models.CASCADE, related_name="team")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    duty = models.CharField(_("duty in the team"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("work team member")
        verbose_name_plural = _("work team members")
        ordering = ["plan", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "person"], name="consolidation_team_once")]

    def __str__(self):
        return f"{self.person_id}"


class ConsolidationMilestone(ConcurrentTransitionMixin, FSMModelMixin, models.Model):
    plan = models.ForeignKey(ConsolidationPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due = models.DateField(_("due on"))
    state = FSMField(_("state"), default=MilestoneState.OPEN, choices=MilestoneState.choices, protected=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    process = models.OneToOneField(
        "viewflow.Process", null=True, blank=True, on_delete=models.SET_NULL, related_name="consolidation_milestone"
    )

    class Meta:
        verbose_name = _("consolidation milestone")
        verbose_name_plural = _("consolidation milestones")
        ordering = ["plan", "due", "pk"]

    def __str__(self):
        return self.title

    @property
    def organisation(self):
        return self.plan.period.organisation

    @transition(field=state, source=MilestoneState.OPEN, target=MilestoneState.DONE)
    def complete(self, *, on):
        """The secretary reports the milestone reached."""
        self.done_on = on


class ProgressReport(models.Model):
    milestone = models.ForeignKey(ConsolidationMilestone, on_delete=models.CASCADE, related_name="reports")
    text = models.TextField(_("progress"))
    completes = models.BooleanField(_("milestone reached"), default=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["milestone", "reported_at", "pk"]

    def __str__(self):
        return self.text[:40]


class AcceptanceCheck(models.Model):
    """The superior level's acceptance check (验收): passed, or not passed with the reasons."""

    plan = models.ForeignKey(ConsolidationPlan, on_delete=models.CASCADE, related_name="checks")
    checked_on = models.DateField(_("checked on"))
    passed = models.BooleanField(_("passed"))
    reasons = models.TextField(_("findings and reasons"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance check")
        verbose_name_plural = _("acceptance checks")
        ordering = ["plan", "checked_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(passed=True) | ~Q(reasons=""),
                name="acceptance_not_passed_has_reasons",
                violation_error_message=_("Give the reasons why the check was not passed."),
            ),
        ]

    def __str__(self):
        return f"{self.plan_id} {self.checked_on} {self.passed}"
