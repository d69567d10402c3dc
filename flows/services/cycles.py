"""Review cycles: create, open (launching one assessment and its flow per organisation, in bulk), close."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS
from viewflow.workflow.token import Token

from flows.flow_registry import flow_class
from flows.models import (
    Assessment,
    AuditEntry,
    CycleState,
    CycleTemplate,
    IndicatorTemplate,
    Level,
    Organisation,
    ReviewCycle,
    Sector,
    Stage,
)
from flows.models.organisations import subtree_q
from flows.models.state_groups import Phase, states_in
from flows.policy import access, steps
from flows.services import classifications, counts, indicators, notifications
from flows.services.audit import audit_record
from flows.services.steps import step_take

LAUNCH_CHUNK = 2000


def cycle_scope(cycle: ReviewCycle):
    """The organisations a cycle assesses: the scope subtree (without its top), filtered; or an explicit list."""
    root = cycle.scope_root or cycle.office.scope
    qs = Organisation.objects.filter(subtree_q(root.path, include_self=False))
    explicit = list(cycle.scope_explicit.values_list("pk", flat=True)) if cycle.pk else []
    if explicit:
        return Organisation.objects.filter(subtree_q(cycle.office.scope.path), pk__in=explicit)
    if cycle.scope_sectors:
        qs = qs.filter(sector__in=cycle.scope_sectors)
    if cycle.scope_levels:
        qs = qs.filter(level__in=cycle.scope_levels)
    return qs


@transaction.atomic
def cycle_create(*, by, office, templates: dict, explicit=(), **fields) -> ReviewCycle:
    """A draft cycle. `templates` maps a (sector, level) pair, or a sector alone (any level), to an
    IndicatorTemplate; "" stands for any sector or any level (see `CycleTemplate.pick`)."""
    if not (by.is_superuser or access.can_manage_cycle(by, ReviewCycle(office=office))):
        raise PermissionDenied(_("Only officers of the oversight office create its cycles."))
    if not templates:
        raise ValidationError({"templates": _("Choose at least one indicator template.")})
    root = fields.get("scope_root")
    if root is not None and not root.path.startswith(office.scope.path):
        raise ValidationError({"scope_root": _("The scope must lie within the office's own scope.")})
    cycle = ReviewCycle(office=office, created_by=by, **fields)
    cycle.full_clean(exclude=["state"])
    cycle.save()
    for key, template in templates.items():
        sector, level = key if isinstance(key, tuple) else (key, "")
        CycleTemplate.objects.create(cycle=cycle, sector=sector, level=level, template=template)
    if explicit:
        cycle.scope_explicit.set(explicit)
    audit_record(actor=by, action="cycle.create", subject=cycle, to_value=cycle.state)
    return cycle


@transaction.atomic
def cycle_open(*, by, cycle: ReviewCycle) -> ReviewCycle:
    """Open the cycle: its templates freeze, and its assessments are launched (see `cycle_launch`)."""
    c = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    wrong = ValidationError(_("Only a draft cycle with indicator templates can be opened."))
    refused = PermissionDenied(_("Only officers of the oversight office open its cycles."))
    if not steps.allows(by, "reviewcycle.open", c):
        raise refused
    # order_by(): without it the organisations' default ordering (path) joins the DISTINCT, which then yields one
    # row per organisation, and the template was looked up once per organisation (100,000 queries at full size)
    kinds = set(cycle_scope(c).order_by().values_list("sector", "level").distinct())
    missing = sorted({_sector_level(s, lv) for s, lv in kinds if c.template_for(s, lv) is None})
    if missing:
        raise ValidationError(_("No indicator template for the sectors: %(s)s") % {"s": "、".join(missing)})
    _refuse_unfit(c)
    c.launch_total = cycle_scope(c).count()
    step_take(c, "open", by=by, action="cycle.open", stale=wrong, refused=refused, unmet=wrong)
    return c


def _sector_level(sector: str, level: str) -> str:
    name = Sector(sector).label if sector else _("no sector")
    return f"{name}（{Level(level).label}）" if level else str(name)


def _refuse_unfit(cycle: ReviewCycle) -> None:
    """A cycle opens only with weights that count something and templates that total 100 (or are marked to be
    scaled to 100), so that totals, the 0-100 mass score and the rating thresholds measure alike."""
    if not any((cycle.weight_self, cycle.weight_mass, cycle.weight_superior, cycle.weight_social)):
        raise ValidationError(
            _(
                "The weights are all zero: give at least one of self-assessment, mass evaluation, superior review "
                "and social evaluation a weight above zero."
            )
        )
    if cycle.weight_social and not cycle.social_source.strip():
        # a weight with no way to supply its input would silently drop out of every combined score
        raise ValidationError(
            {
                "social_source": _(
                    "The social evaluation has a weight: say who gives it (e.g. a satisfaction survey of service "
                    "users); the office then enters each organisation's score."
                )
            }
        )
    problems = [p for ct in cycle.templates.select_related("template") if (p := indicators.template_unfit(ct.template))]
    if problems:
        raise ValidationError(list(dict.fromkeys(problems)))


def cycle_launch(*, cycle: ReviewCycle, chunk: int = LAUNCH_CHUNK, progress=None) -> int:
    """Start an assessment and its flow for every organisation in scope that has none yet.

    Chunked (each chunk one transaction) and resumable: run it again after an interruption and it
    continues where it stopped. Rows are written with bulk inserts, the same rows viewflow's own start
    would write (tested), because a per-process start runs about a hundred times slower.
    """
    launched = 0
    while True:
        with transaction.atomic():
            done = _launch_chunk(cycle, chunk)
        launched += done
        if progress:
            progress(ReviewCycle.objects.get(pk=cycle.pk))
        if done < chunk:
            return launched


def _launch_chunk(cycle: ReviewCycle, chunk: int) -> int:
    AssessmentFlow = flow_class("AssessmentFlow")  # noqa: N806 (a class)

    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state != CycleState.OPEN:
        return 0
    templates = {(ct.sector, ct.level): ct.template_id for ct in cycle.templates.all()}
    orgs = list(
        cycle_scope(cycle)
        .exclude(assessments__cycle=cycle)
        .order_by("path")
        .values_list("pk", "sector", "level")[:chunk]
    )
    if not orgs:
        return 0
    org_ids = [pk for pk, _s, _lv in orgs]
    holders = access.in_direct_charge_ids(org_ids)
    now = timezone.now()
    processes = Process.objects.bulk_create(
        [Process(flow_class=AssessmentFlow, status=PROCESS.NEW, created=now) for _ in orgs]
    )
    Assessment.objects.bulk_create(
        [
            Assessment(
                cycle=cycle,
                organisation_id=org_id,
                template_id=CycleTemplate.pick(templates, sector, level),
                process=proc,
                state=Stage.SELF_ASSESSMENT,
            )
            for (org_id, sector, level), proc in zip(orgs, processes, strict=True)
        ]
    )
    starts = Task.objects.bulk_create(
        [
            Task(
                process=proc,
                flow_task=AssessmentFlow.start,
                flow_task_type="START",
                status=STATUS.DONE,
                created=now,
                started=now,
                finished=now,
                token=Token("start"),
            )
            for proc in processes
        ]
    )
    drafts = Task.objects.bulk_create(
        [
            Task(
                process=proc,
                flow_task=AssessmentFlow.draft_self,
                flow_task_type="HUMAN",
                status=STATUS.ASSIGNED if holders.get(org_id) else STATUS.NEW,
                owner_id=holders.get(org_id),
                created=now,
                token=Token("start"),
            )
            for (org_id, _sector, _level), proc in zip(orgs, processes, strict=True)
        ]
    )
    Task.previous.through.objects.bulk_create(
        [Task.previous.through(from_task_id=d.pk, to_task_id=s.pk) for d, s in zip(drafts, starts, strict=True)]
    )
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=None,
                action="assessment.launch",
                subject_type="flows.assessment",
                subject_id=str(a_id),
                to_value=Stage.SELF_ASSESSMENT,
            )
            for a_id in Assessment.objects.filter(cycle=cycle, organisation_id__in=org_ids).values_list("pk", flat=True)
        ]
    )
    counts.assessments_added(cycle, org_ids)
    notifications.cycle_changed(cycle.pk)  # open dashboards redraw as the launch progresses
    ReviewCycle.objects.filter(pk=cycle.pk).update(launch_done=Assessment.objects.filter(cycle=cycle).count())
    return len(orgs)


@transaction.atomic
def cycle_close(*, by, cycle: ReviewCycle, force=False, reason="") -> ReviewCycle:
    """Close the cycle; refused while assessments are unfinished, unless forced with a reason."""
    c = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    wrong = ValidationError(_("Only an open cycle can be closed."))
    refused = PermissionDenied(_("Only officers of the oversight office close its cycles."))
    if c.state != CycleState.OPEN:
        raise wrong
    if not steps.allows(by, "reviewcycle.close", c):
        raise refused
    unfinished = c.assessments.exclude(state__in=states_in(Stage, Phase.DONE)).count()
    if unfinished and not force:
        raise ValidationError(
            _("%(n)s assessments are not finished. Close anyway only with a reason.") % {"n": unfinished}
        )
    if force and not reason.strip():
        raise ValidationError({"reason": _("Give the reason for closing with unfinished assessments.")})
    step_take(
        c, "close", by=by, action="cycle.close", params={"reason": reason.strip()}, comment=reason.strip(), stale=wrong
    )
    classifications.classifications_record_cycle(cycle=c, by=by)
    counts.classifications_rebuild(year=c.year)  # the year's records were written in bulk
    counts.cycle_counts_rebuild(c)  # the closed year's figures, recounted once (also after bulk-written years)
    return c


def default_cycle_templates() -> dict:
    """The newest version of each template, keyed by the (sector, level) it is written for ("" for any), so that
    a township committee gets the township template and a school the school template (see `CycleTemplate.pick`);
    of two templates for the same pair, the first by code."""
    out = {}
    for t in IndicatorTemplate.objects.order_by("code", "-version"):
        out.setdefault((t.sector, t.level), t)
    return out


def due_dates_for_year(year: int) -> dict:
    import datetime

    return {
        "self_due": datetime.date(year, 12, 10),
        "mass_due": datetime.date(year, 12, 20),
        "review_due": datetime.date(year + 1, 1, 10),
        "rectification_due": datetime.date(year + 1, 3, 31),
    }
