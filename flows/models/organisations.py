"""The organisation tree (条块结合).

The leading organisation (领导) is the tree parent, stored as a materialised path (django-treebeard's
MP_Node). A path has exactly one prefix, so "exactly one leading organisation" and "no loop in the
leading chain" are properties of the representation itself: there is no column in which a second
leading organisation or a cycle could be written. The database adds what a constraint can express:
paths are unique, each path's length matches its depth, and only one organisation may be a root.
Subtree reads are one range scan on the indexed path (see `subtree_q`), cheap at 100,000 rows.

Guiding organisations (指导) are a separate many-to-many table.
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager


class Kind(models.TextChoices):
    LOCAL_COMMITTEE = "local_committee", _("Local Party committee")
    DEPT_LEADING_GROUP = "dept_leading_group", _("Department Party leadership group")
    COMMITTEE = "committee", _("Party committee / agency Party committee")
    WORKING_COMMITTEE = "working_committee", _("Agencies working committee")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots Party committee")
    GENERAL_BRANCH = "general_branch", _("General Party branch")
    BRANCH = "branch", _("Party branch")
    JOINT_BRANCH = "joint_branch", _("Joint Party branch")


class Sector(models.TextChoices):
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    AGENCY = "agency", _("Agency")
    STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    RESEARCH = "research", _("Research institute")
    NON_PUBLIC = "non_public", _("Non-public enterprise or social organisation")


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    GRASSROOTS = "grassroots", _("Grassroots")


class Regime(models.TextChoices):
    LOCAL = "local", _("Local management")
    VERTICAL = "vertical", _("Vertical business management")
    DUAL = "dual", _("Dual (vertical) management")


class Classification(models.TextChoices):
    ADVANCED = "advanced", _("Advanced")
    AVERAGE = "average", _("Average")
    BACKWARD = "backward", _("Backward")


class OrganisationManager(MP_NodeManager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


def path_successor(path: str) -> str:
    """The smallest path that sorts after `path` and all of its descendants."""
    steplen = Organisation.steplen
    head, last = path[:-steplen], path[-steplen:]
    nxt = Organisation._int2str(Organisation._str2int(last) + 1)
    if len(nxt) > steplen:
        return path_successor(head) if head else "~"
    return head + nxt.rjust(steplen, Organisation.alphabet[0])


def subtree_q(path: str, *, include_self: bool = True, prefix: str = "") -> Q:
    """Q for the organisations in the subtree at `path`: an indexed range, not a LIKE scan."""
    lower = {f"{prefix}path__gte" if include_self else f"{prefix}path__gt": path}
    return Q(**lower, **{f"{prefix}path__lt": path_successor(path)})


class Organisation(MP_Node):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("organisation kind"), max_length=24, choices=Kind.choices)
    sector = models.CharField(_("sector"), max_length=24, choices=Sector.choices, blank=True)
    level = models.CharField(_("administrative level"), max_length=16, choices=Level.choices)
    regime = models.CharField(_("management regime"), max_length=12, choices=Regime.choices, default=Regime.LOCAL)
    classification = models.CharField(_("classification"), max_length=12, choices=Classification.choices, blank=True)
    weak_and_lax = models.BooleanField(_("weak and lax"), default=False)
    review_office = models.ForeignKey(
        "flows.OversightOffice",
        verbose_name=_("office reviewing the organisations it leads"),
        help_text=_("Empty: the secretary of this organisation reviews the organisations it leads."),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    guides = models.ManyToManyField(
        "self",
        through="Guidance",
        symmetrical=False,
        related_name="guided",
        verbose_name=_("guiding organisations"),
        blank=True,
    )

    objects = OrganisationManager()

    node_order_by: list = []

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["depth"],
                condition=Q(depth=1),
                name="organisation_single_root",
                violation_error_message=_(
                    "There is already a root organisation; every other one has a leading organisation."
                ),
            ),
            models.CheckConstraint(
                condition=Q(depth__gte=1) & Q(Exact(Length("path"), models.F("depth") * 4)),
                name="organisation_path_matches_depth",
            ),
        ]
        indexes = [
            models.Index(fields=["sector", "level"]),
            # year over year's weak-and-lax list of a subtree: a range over the few flagged, not over the subtree
            models.Index(fields=["path"], condition=Q(weak_and_lax=True), name="organisation_weak_and_lax"),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    @property
    def leading(self):
        """The one leading organisation (None only for the root)."""
        if self.depth <= 1:
            return None
        return Organisation.objects.filter(path=self.path[: -self.steplen]).first()

    def subtree(self, *, include_self=True):
        return Organisation.objects.filter(subtree_q(self.path, include_self=include_self))

    def leading_chain(self):
        """The leading organisations from the root down to (excluding) this one."""
        steplen = self.steplen
        paths = [self.path[:i] for i in range(steplen, len(self.path), steplen)]
        return Organisation.objects.filter(path__in=paths).order_by("depth")

    def leading_paths(self):
        return [self.path[:i] for i in range(self.steplen, len(self.path), self.steplen)]


class Guidance(models.Model):
    """A guiding relation (指导): `guide` guides `organisation` (e.g. a sector department)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="guidance_received", verbose_name=_("organisation")
    )
    guide = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="guidance_given", verbose_name=_("guiding organisation")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("guiding relation")
        verbose_name_plural = _("guiding relations")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "guide"], name="guidance_unique"),
            models.CheckConstraint(
                condition=~Q(organisation=models.F("guide")),
                name="guidance_not_self",
                violation_error_message=_("An organisation cannot guide itself."),
            ),
        ]

    def __str__(self):
        return f"{self.guide} → {self.organisation}"
