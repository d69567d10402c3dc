"""Anonymous mass evaluation (群众评议, 党员互评, 领导点评).

Unlinkable by construction: a `Ballot` and its `BallotMark`s carry a random primary key, the campaign, the
voter group's label (a group always has at least k ballots before anything about it is shown), the marks and
the hash of the receipt code shown to the voter. They carry no user, no token, no time, no address, no
session and no sequential key; `VoterToken` rows know only whether they were used, never by which ballot.
`tests/test_ballots__unlinkable.py` fails if a linking column ever appears.

Voter groups carry weights (`VoterGroup`): a ballot of a group counts `weight` times in the mass score, so equal
weights give the plain mean of all ballots. The weights and the campaign's minimum turnout are set while the
campaign is prepared and are fixed once voting opens; both are published with the results.
"""

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from flows.models.states import CampaignState


class CampaignKind(models.TextChoices):
    MASS = "mass", _("Mass evaluation")
    MEMBER_PEER = "member_peer", _("Democratic appraisal of Party members")
    REPORT_MEETING = "report_meeting", _("Report-and-review meeting")


class BallotForm(models.TextChoices):
    SATISFACTION = "satisfaction", _("Overall satisfaction")
    DIMENSIONS = "dimensions", _("Marks per dimension")
    MEMBER_RATING = "member_rating", _("Rating of Party members")
    APPRAISAL = "appraisal", _("Appraisal of a reporting secretary")


class AppraisalMark(models.TextChoices):
    """现场测评 of a reporting secretary: 好 / 较好 / 一般 / 差."""

    GOOD = "good", _("Good")
    FAIRLY_GOOD = "fairly_good", _("Fairly good")
    AVERAGE = "average", _("Average rating")
    POOR = "poor", _("Poor")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class MemberRating(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    QUALIFIED = "qualified", _("Qualified")
    BASICALLY = "basically_qualified", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


# points of each answer in the 0–100 mass score
POINTS_BY_VALUE = {
    Satisfaction.SATISFIED: 100,
    Satisfaction.BASICALLY: 60,
    Satisfaction.DISSATISFIED: 0,
    MemberRating.EXCELLENT: 100,
    MemberRating.QUALIFIED: 80,
    MemberRating.BASICALLY: 60,
    MemberRating.UNQUALIFIED: 0,
    AppraisalMark.GOOD: 100,
    AppraisalMark.FAIRLY_GOOD: 80,
    AppraisalMark.AVERAGE: 60,
    AppraisalMark.POOR: 0,
}


def _public_id():
    return secrets.token_urlsafe(9)


class Campaign(ConcurrentTransitionMixin, models.Model):
    public_id = models.CharField(max_length=16, unique=True, default=_public_id, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    form = models.CharField(_("ballot form"), max_length=16, choices=BallotForm.choices)
    title = models.CharField(_("title"), max_length=160)
    office = models.ForeignKey(
        "flows.OversightOffice", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("oversight office")
    )
    cycle = models.ForeignKey(
        "flows.ReviewCycle", null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns"
    )
    closes_at = models.DateTimeField(_("voting closes"))
    k_threshold = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=5,
        help_text=_("Results of a group with fewer ballots are hidden (at least 3)."),
    )
    min_turnout_percent = models.DecimalField(
        _("minimum turnout (%)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal(0),
        help_text=_(
            "Share of the issued codes that must have voted before a mass evaluation score counts; 0 = no minimum."
        ),
    )
    state = FSMField(_("state"), default=CampaignState.DRAFT, choices=CampaignState.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("evaluation campaign")
        verbose_name_plural = _("evaluation campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(k_threshold__gte=3),
                name="campaign_k_at_least_3",
                violation_error_message=_("The smallest group shown must be at least 3."),
            ),
            models.CheckConstraint(
                condition=Q(min_turnout_percent__gte=0, min_turnout_percent__lte=100),
                name="campaign_min_turnout_0_100",
                violation_error_message=_("The minimum turnout is a percentage between 0 and 100."),
            ),
        ]

    def __str__(self):
        return self.title

    def has_subjects(self):
        return self.subjects.exists()

    @transition(
        field=state,
        source=CampaignState.DRAFT,
        target=CampaignState.OPEN,
        conditions=[has_subjects],
    )
    def open(self):
        """Voting starts."""

    @transition(field=state, source=CampaignState.OPEN, target=CampaignState.CLOSED)
    def close(self):
        """Voting ends; the tally is final."""


class CampaignSubject(models.Model):
    """Who or what is rated: an organisation (its assessment), a reporting secretary, or a Party member."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="subjects")
    assessment = models.ForeignKey(
        "flows.Assessment", null=True, blank=True, on_delete=models.PROTECT, related_name="campaign_subjects"
    )
    organisation = models.ForeignKey("flows.Organisation", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("evaluation subject")
        verbose_name_plural = _("evaluation subjects")
        ordering = ["campaign", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "assessment"], name="subject_assessment_once", condition=Q(assessment__isnull=False)
            ),
        ]

    def __str__(self):
        return self.label


class VoterGroup(models.Model):
    """A voter group of a campaign (党员, 群众代表, 服务对象 …) and the weight of each of its ballots in the mass
    score. Created with weight 1 when codes are first issued for the group; the office may change the weight
    while the campaign is prepared, never once voting has opened."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="voter_groups")
    name = models.CharField(_("voter group"), max_length=40)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal(1))

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("voter group")
        verbose_name_plural = _("voter groups")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="voter_group_once_per_campaign"),
            models.CheckConstraint(
                condition=Q(weight__gt=0, weight__lte=100),
                name="voter_group_weight_0_100",
                violation_error_message=_("A weight is a number above 0 and at most 100."),
            ),
        ]

    def __str__(self):
        return f"{self.name} × {self.weight}"


class VoterToken(models.Model):
    """A single-use voting code, stored only as a keyed hash. It never learns which ballot it became."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tokens")
    code_hash = models.CharField(max_length=64, unique=True)
    group = models.CharField(_("voter group"), max_length=40)
    batch = models.PositiveIntegerField(_("batch"))
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("voting code")
        verbose_name_plural = _("voting codes")
        indexes = [models.Index(fields=["campaign", "used"])]

    def __str__(self):
        return f"{self.campaign_id}/{self.batch}"


class Ballot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="ballots")
    group = models.CharField(max_length=40)
    receipt_hash = models.CharField(max_length=64, unique=True)  # SHA-256 of the receipt alone: to find it
    # SHA-256 binding the evaluation, the receipt and the marks (flows/domain/ballot_seal.py); published after the
    # close. Empty for ballots cast before seals existed (their published line is the receipt's hash).
    seal = models.CharField(max_length=64, blank=True, default="")
    # the row's place among the campaign's ballot rows (0, 1, 2 … in the order the rows were added): a cast puts
    # the new ballot into the rows of a uniformly random slot and that slot's earlier ballot into a new slot, so
    # which ballot sits where is a random permutation of the casting order (flows/services/ballots.py)
    slot = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["receipt_hash"]
        # a cast takes the place of a random earlier ballot of its campaign, found by its slot
        indexes = [models.Index(fields=["campaign", "slot"], name="ballot_campaign_slot")]

    def __str__(self):
        return self.receipt_hash[:12]


class BallotMark(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks")
    subject = models.ForeignKey(CampaignSubject, on_delete=models.PROTECT, related_name="marks")
    dimension = models.CharField(max_length=20, blank=True)
    value = models.CharField(max_length=24)

    class Meta:
        verbose_name = _("ballot mark")
        verbose_name_plural = _("ballot marks")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "subject", "dimension"], name="mark_once_per_ballot"),
        ]

    def __str__(self):
        return self.value


class LeaderComment(models.Model):
    """领导点评: an attributed comment, by name — deliberately not anonymous, and not a ballot."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="leader_comments")
    subject = models.ForeignKey(CampaignSubject, on_delete=models.CASCADE, related_name="leader_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("leader's comment")
        verbose_name_plural = _("leaders' comments")
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.author}: {self.comment[:20]}"
