"""Random spot checks: the plan, its frozen inputs and committed seed, the draw, and its verification.

The inspections the draw creates are worked in `services/inspections.py`.
"""

import secrets
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.domain import draw
from flows.models import (
    AuditEntry,
    Organisation,
)
from flows.models.spotchecks import (
    ChecklistItem,
    CheckResult,
    Inspection,
    InspectorSeat,
    PlanState,
    RiskTier,
    SpotCheckPlan,
)
from flows.models.state_groups import PLANS_DRAWN
from flows.policy import access
from flows.selectors.audit_head import audit_head
from flows.selectors.spotchecks import build_snapshot, pool_choices
from flows.services.audit import audit_record
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start


def _require_officer(by, plan_or_office):
    office_id = getattr(plan_or_office, "office_id", None) or plan_or_office.pk
    if office_id not in access.offices_of(by):
        raise PermissionDenied(_("Only officers of the oversight office run its spot checks."))


@transaction.atomic
def plan_create(*, by, office, pool=(), **fields) -> SpotCheckPlan:
    _require_officer(by, office)
    cycle, root = fields.get("cycle"), fields.get("scope_root")
    if cycle is not None and cycle.office_id != office.pk:
        raise ValidationError({"cycle": _("Choose one of the office's own cycles.")})
    if root is not None and not root.path.startswith(office.scope.path):
        raise ValidationError({"scope_root": _("The subtree must lie within the office's own scope.")})
    bad_tiers = set(fields.get("risk_tiers") or ()) - set(RiskTier.values)
    if bad_tiers:
        raise ValidationError({"risk_tiers": _("Unknown risk tier.")})
    sizes = fields.get("stratum_sizes") or {}
    if any(not isinstance(v, int) or v < 0 for v in sizes.values()):
        raise ValidationError({"stratum_sizes": _("A fixed sample size is a whole number, zero or more.")})
    allowed = set(pool_choices(office).values_list("pk", flat=True))
    pool = list(pool)
    if any(u.pk not in allowed for u in pool):
        raise ValidationError({"pool": _("The pool may hold only current inspectors working within this scope.")})
    plan = SpotCheckPlan(office=office, created_by=by, **fields)
    plan.full_clean(exclude=["state"])
    plan.save()
    plan.pool.set(pool)
    audit_record(actor=by, action="spotcheck.create", subject=plan, to_value=plan.name)
    return plan


def _head_words(head) -> str:
    """The audit chain's end as the step was taken, for the step's own audit row (issue 22): ` head=seq:hash`."""
    return f" head={head[0]}:{head[1]}" if head else ""


def _lock(plan, *, expected):
    fresh = SpotCheckPlan.objects.select_for_update().select_related("office__scope").get(pk=plan.pk)
    if fresh.state != expected:
        raise AlreadyHandled(
            _("The plan is now “%(state)s”; nothing was changed.") % {"state": fresh.get_state_display()}
        )
    return fresh


def _names(codes, limit=20) -> str:
    names = dict(Organisation.objects.filter(code__in=codes[:limit]).values_list("code", "name"))
    shown = "、".join(f"{names.get(c, c)}（{c}）" for c in codes[:limit])
    return shown + (_(" and %(n)s more") % {"n": len(codes) - limit} if len(codes) > limit else "")


@transaction.atomic
def plan_freeze(*, by, plan, source: str = "") -> SpotCheckPlan:
    """Freeze the population and the pool, commit to a secret seed bound to the population digest, and open the
    plan's public notice (`source`: where the witnessed numbers will come from, announced on it). Refused if any
    organisation could not be covered by enough conflict-free inspectors: that does not depend on the seed, so it
    is known now."""
    p = _lock(plan, expected=PlanState.DRAFT)
    _require_officer(by, p)
    if not ChecklistItem.objects.filter(active=True).exists():
        raise ValidationError(_("No checklist item is in use: set up the inspectors' checklist first."))
    snapshot = build_snapshot(p)
    if not snapshot["population"]:
        raise ValidationError(_("No organisation matches the plan's population and filters."))
    if len(snapshot["pool"]) < p.inspectors_per_target:
        raise ValidationError(
            _("The pool has %(pool)s inspectors; each organisation needs %(need)s.")
            % {"pool": len(snapshot["pool"]), "need": p.inspectors_per_target}
        )
    missing = draw.uncoverable(snapshot)
    if missing:
        raise ValidationError(
            _(
                "Not enough conflict-free inspectors for these organisations (each needs %(need)s): %(orgs)s. "
                "Add inspectors to the pool, lower the number per organisation, or narrow the population."
            )
            % {"need": p.inspectors_per_target, "orgs": _names(missing)}
        )
    seed = secrets.token_hex(32)
    digest = draw.snapshot_hash(snapshot)
    commitment = draw.commitment_v2(seed, digest)
    source = (source or "").strip()[:200]
    head = audit_head()
    step_take(
        p,
        "freeze",
        by=by,
        action="spotcheck.freeze",
        comment=f"population={digest} commitment={commitment} n={len(snapshot['population'])} "
        f"algorithm={draw.ALGORITHM}" + (f" source={source}" if source else "") + _head_words(head),
        params={
            "snapshot": snapshot,
            "snapshot_hash": digest,
            "seed": seed,
            "commitment": commitment,
            "algorithm": draw.ALGORITHM,
            "at": timezone.now(),
            "token": secrets.token_urlsafe(24),
            "source": source,
            "head": head,
        },
    )
    return p


def checklist_for(sector: str) -> list[ChecklistItem]:
    items = list(ChecklistItem.objects.filter(active=True, sector=sector)) if sector else []
    general = list(ChecklistItem.objects.filter(active=True, sector=""))
    codes = {i.code for i in items}
    return sorted(items + [g for g in general if g.code not in codes], key=lambda i: (i.order, i.code))


def witnesses_clean(witnesses) -> list[str]:
    names = []
    for name in witnesses or ():
        name = " ".join(str(name).split())[:60]
        if name and name not in names:
            names.append(name)
    return names


@transaction.atomic
def plan_draw(*, by, plan, numbers: str = "", witnesses=(), entropy: str = "") -> SpotCheckPlan:
    """Draw targets and inspectors from the frozen inputs, reveal the seed, and start one inspection per target.

    A plan frozen under zrz-draw-2 is drawn with `numbers` read aloud by at least two `witnesses` (named); a plan
    frozen before (zrz-draw-1) keeps its old rule, the optional `entropy` appended to the seed."""
    p = _lock(plan, expected=PlanState.FROZEN)
    _require_officer(by, p)
    at = timezone.now()
    if p.witnessed:
        numbers, names = draw.normalise_numbers(numbers), witnesses_clean(witnesses)
        errors = {}
        if draw.digit_count(numbers) < draw.MIN_WITNESSED_DIGITS:
            errors["numbers"] = _(
                "Record at least %(n)s digits read aloud by the witnesses (a public lottery result or dice)."
            ) % {"n": draw.MIN_WITNESSED_DIGITS}
        elif len(numbers) > 200:
            errors["numbers"] = _("Keep the witnessed numbers under 200 characters.")
        if len(names) < draw.MIN_WITNESSES:
            errors["witnesses"] = _("Name at least %(n)s witnesses of the numbers.") % {"n": draw.MIN_WITNESSES}
        if errors:
            raise ValidationError(errors)
        result = draw.draw_witnessed(p.snapshot, p.seed, numbers)
        entropy = ""
        comment = f"seed={p.seed} numbers={numbers} witnesses={'、'.join(names)} sample={len(result.sample)}"
    else:
        numbers, names = "", []
        entropy = (entropy or "").strip()[:200]
        result = draw.draw(p.snapshot, p.seed, entropy)
        comment = f"seed={p.seed} entropy={entropy} sample={len(result.sample)}"
    step_take(
        p,
        "draw",
        by=by,
        action="spotcheck.draw",
        comment=comment + _head_words(audit_head()),
        params={
            "result": result.as_json(),
            "entropy": entropy,
            "by": by,
            "at": at,
            "numbers": numbers,
            "witnesses": names,
        },
    )
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=result.sample)}
    for code in result.sample:
        org = orgs[code]
        insp = Inspection.objects.create(plan=p, organisation=org)
        InspectorSeat.objects.bulk_create(
            InspectorSeat(inspection=insp, inspector_id=uid, position=n)
            for n, uid in enumerate(result.assignments[code], 1)
        )
        CheckResult.objects.bulk_create(
            CheckResult(inspection=insp, code=i.code, title=i.title, guidance=i.guidance, order=i.order)
            for i in checklist_for(org.sector)
        )
        flow_start("InspectionFlow", inspection=insp)
    return p


@transaction.atomic
def plan_cancel(*, by, plan, reason: str) -> SpotCheckPlan:
    p = SpotCheckPlan.objects.select_for_update().get(pk=plan.pk)
    _require_officer(by, p)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan is cancelled.")})
    stale = AlreadyHandled(_("A plan that has been drawn cannot be cancelled."))
    reason = reason.strip()
    step_take(
        p,
        "cancel",
        by=by,
        action="spotcheck.cancel",
        comment=reason,
        stale=stale,
        params={"reason": reason, "at": timezone.now()},
    )
    return p


def cancelled_before(plan) -> list[SpotCheckPlan]:
    """The office's plans cancelled after they were frozen, before this plan was drawn (or now, if it has not
    been): a frozen plan cannot be quietly dropped and frozen again until the result pleases."""
    qs = SpotCheckPlan.objects.filter(office_id=plan.office_id, state=PlanState.CANCELLED, frozen_at__isnull=False)
    qs = qs.exclude(pk=plan.pk)
    if plan.drawn_at:  # (plans cancelled before issue 22 have no cancelling time: their freeze decides)
        qs = qs.filter(Q(cancelled_at__lte=plan.drawn_at) | Q(cancelled_at__isnull=True, frozen_at__lt=plan.drawn_at))
    return list(qs.order_by("frozen_at", "pk"))


# ---- verification -------------------------------------------------------------------------------------------


@dataclass
class Verification:
    ok: bool = True
    lines: list = field(default_factory=list)

    def check(self, passed: bool, good: str, bad: str):
        self.lines.append(("✓ " if passed else "✗ ") + (good if passed else bad))
        self.ok = self.ok and passed


def verify_plan(plan: SpotCheckPlan) -> Verification:
    """Re-run a past draw from its recorded inputs: are the inputs the ones committed to, and do the sample and
    assignments come out exactly the same?"""
    v = Verification()
    if plan.state not in PLANS_DRAWN or not plan.snapshot:
        v.check(False, "", _("The plan has not been drawn yet; there is nothing to verify."))
        return v
    recorded = (
        AuditEntry.objects.filter(
            action="spotcheck.freeze", subject_type=plan._meta.label_lower, subject_id=str(plan.pk)
        )
        .order_by("pk")
        .values_list("comment", flat=True)
        .first()
        or ""
    )
    digest = draw.snapshot_hash(plan.snapshot)
    v.check(
        digest == plan.snapshot_hash,
        _("The frozen population and pool hash to %(h)s, as recorded.") % {"h": digest},
        _("The frozen population or pool has changed: it hashes to %(h)s, but %(r)s was recorded.")
        % {"h": digest, "r": plan.snapshot_hash},
    )
    v.check(
        f"population={digest}" in recorded and f"commitment={plan.seed_commitment}" in recorded,
        _("The audit trail recorded the same population hash and seed commitment when the plan was frozen."),
        _("The audit trail's record of the freeze does not match the plan's population hash or seed commitment."),
    )
    if plan.witnessed:
        committed = draw.commitment_v2(plan.seed, digest)
    else:
        committed = draw.commitment(plan.seed)
    v.check(
        committed == plan.seed_commitment,
        _("The revealed seed matches the commitment made before the draw."),
        _("The revealed seed does not match the commitment made before the draw."),
    )
    if plan.witnessed:
        v.check(
            draw.digit_count(plan.witnessed_numbers) >= draw.MIN_WITNESSED_DIGITS
            and len(plan.witnesses or ()) >= draw.MIN_WITNESSES,
            _("The draw used numbers read aloud by %(n)s named witnesses: %(numbers)s.")
            % {"n": len(plan.witnesses or ()), "numbers": plan.witnessed_numbers},
            _("The draw does not record enough witnessed numbers or witnesses."),
        )
    try:
        if plan.witnessed:
            again = draw.draw_witnessed(plan.snapshot, plan.seed, plan.witnessed_numbers).as_json()
        else:
            again = draw.draw(plan.snapshot, plan.seed, plan.public_entropy).as_json()
    except (KeyError, TypeError, ValueError) as exc:
        v.check(False, "", _("The recorded inputs cannot be drawn again: %(e)s") % {"e": exc})
        return v
    v.check(
        again["sample"] == (plan.result or {}).get("sample"),
        _("Re-running the draw gives the same %(n)s organisations.") % {"n": len(again["sample"])},
        _("Re-running the draw gives a different sample."),
    )
    v.check(
        again["assignments"] == (plan.result or {}).get("assignments"),
        _("Re-running the draw gives the same inspectors for every organisation."),
        _("Re-running the draw gives different inspector assignments."),
    )
    stored = {code: [s for _p, s in sorted(seats)] for code, seats in _seats_by_code(plan).items()}
    v.check(
        stored == again["assignments"],
        _("The inspections created match the draw."),
        _("The inspections in the database do not match the draw."),
    )
    return v


def _seats_by_code(plan) -> dict:
    out: dict = {}
    for code, pos, uid in InspectorSeat.objects.filter(inspection__plan=plan).values_list(
        "inspection__organisation__code", "position", "inspector_id"
    ):
        out.setdefault(code, []).append((pos, uid))
    return out
