"""Contact points and visits (联系点, 观摩 / 督导调研): every write, atomic, with its audit row.

A leader adds their own contact points and records their visits; an oversight officer over the organisation may
enter either for the leaders (the Excel ledger). A problem found on a visit becomes a rectification item through
the one service that creates them (`assessments.rectification_item_create`), on the organisation's assessment in
its open review cycle; where the organisation has none, the problem is refused as an item and kept as typed."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from flows.models import Assessment, CycleState, Organisation, Stage, User
from flows.models.contacts import ContactPoint, Visit, VisitKind, VisitProblem
from flows.models.people import today
from flows.policy import access
from flows.policy import contacts as policy
from flows.services.assessments import rectification_item_create
from flows.services.audit import audit_record
from flows.services.tasks import AlreadyHandled

MAX_PROBLEMS = 30


def _lock_org(org: Organisation) -> Organisation:
    """Serialise writes about one organisation (a double click records one visit, not two)."""
    return Organisation.objects.select_for_update().get(pk=org.pk)


def _name(user) -> str:
    return user.real_name or user.username


def problem_lines(text: str) -> list[str]:
    """The problems typed one per line, blank lines and surrounding spaces dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def open_assessment(org: Organisation) -> Assessment | None:
    """The organisation's assessment in its open review cycle (the latest year's where several are open), unless
    that assessment is already closed: where a visit's problems become rectification items."""
    return (
        Assessment.objects.filter(organisation=org, cycle__state=CycleState.OPEN)
        .exclude(state=Stage.CLOSED)
        .select_related("cycle")
        .order_by("-cycle__year", "-cycle_id")
        .first()
    )


# ---- contact points ---------------------------------------------------------------------------------------------


@transaction.atomic
def contact_point_add(*, by, leader, organisation, year: int, note: str = "") -> ContactPoint:
    """`leader` keeps `organisation` as a contact point for `year`: added by the leader, or by an officer over it."""
    if not (by.pk == leader.pk or policy.may_enter_for(by, organisation)):
        raise PermissionDenied(_("You may add contact points only for yourself."))
    if not policy.may_visit(leader, organisation):
        raise ValidationError(
            {
                "organisation": _("%(org)s is not among the organisations %(name)s leads from above.")
                % {"org": organisation.name, "name": _name(leader)}
            }
        )
    this_year = today().year
    if not (this_year - 1 <= year <= this_year + 1):
        raise ValidationError({"year": _("Contact points are kept for this year, the last or the next.")})
    _lock_org(organisation)
    if ContactPoint.objects.filter(leader=leader, organisation=organisation, year=year).exists():
        raise AlreadyHandled(
            _("%(org)s is already a contact point of %(name)s for %(year)s.")
            % {"org": organisation.name, "name": _name(leader), "year": year}
        )
    point = ContactPoint.objects.create(
        leader=leader, organisation=organisation, year=year, note=(note or "").strip()[:200], created_by=by
    )
    audit_record(actor=by, action="contact.add", subject=point, to_value=f"{leader.pk}:{organisation.code}:{year}")
    return point


@transaction.atomic
def contact_point_remove(*, by, point: ContactPoint) -> None:
    locked = ContactPoint.objects.select_for_update().filter(pk=point.pk).select_related("organisation").first()
    if locked is None:
        raise AlreadyHandled(_("This contact point has already been removed."))
    if not (by.pk == locked.leader_id or policy.may_enter_for(by, locked.organisation)):
        raise PermissionDenied(_("You may remove only your own contact points."))
    audit_record(
        actor=by,
        action="contact.remove",
        subject=locked,
        from_value=f"{locked.leader_id}:{locked.organisation.code}:{locked.year}",
    )
    locked.delete()


# ---- visits -----------------------------------------------------------------------------------------------------


def _owner_of_items(org: Organisation) -> User | None:
    """Who owns the rectification items a visit's problems become: the person in direct charge."""
    return access.person_in_direct_charge(org)


@transaction.atomic
def visit_record(
    *,
    by,
    organisation,
    date: datetime.date,
    kind: str,
    leaders,
    seen: str,
    problems: str = "",
    to_rectify: bool = False,
    due: datetime.date | None = None,
) -> Visit:
    """Record a visit to `organisation` by `leaders` (the recorder among them, or an officer over it entering it):
    what was seen and the problems found, one per line. With `to_rectify`, each problem becomes a rectification
    item on the organisation's assessment in the open review cycle, owned by its person in direct charge and due on
    `due`; refused (nothing written) where there is no such assessment."""
    leaders = list({u.pk: u for u in leaders}.values())
    if not leaders:
        raise ValidationError({"leaders": _("Name the leaders who made the visit.")})
    if not (any(u.pk == by.pk for u in leaders) or policy.may_enter_for(by, organisation)):
        raise PermissionDenied(_("You may record only visits you made yourself."))
    errors: dict[str, list] = {}
    for u in leaders:
        if not policy.may_visit(u, organisation, on=date if date and date <= today() else None):
            errors.setdefault("leaders" if u.pk != by.pk else "organisation", []).append(
                _("%(org)s is not among the organisations %(name)s leads from above.")
                % {"org": organisation.name, "name": _name(u)}
            )
    seen = (seen or "").strip()
    lines = problem_lines(problems)
    if date is None:
        errors.setdefault("date", []).append(_("Give the date of the visit."))
    elif date > today():
        errors.setdefault("date", []).append(
            _("A visit is recorded once it has taken place: the date is in the future.")
        )
    elif date.year < today().year - 5:
        errors.setdefault("date", []).append(_("The date is more than five years ago."))
    if kind not in VisitKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of visit."))
    if not seen:
        errors.setdefault("seen", []).append(_("Write what was seen on the visit."))
    if len(lines) > MAX_PROBLEMS:
        errors.setdefault("problems", []).append(_("At most %(n)s problems per visit.") % {"n": MAX_PROBLEMS})
    if any(len(line) > 500 for line in lines):
        errors.setdefault("problems", []).append(_("A problem is at most 500 characters long."))
    assessment = owner = None
    if to_rectify:
        assessment = open_assessment(organisation)
        owner = _owner_of_items(organisation) if assessment else None
        if not lines:
            errors.setdefault("problems", []).append(_("Write the problems that are to become rectification items."))
        elif assessment is None:
            errors.setdefault("to_rectify", []).append(
                _(
                    "%(org)s has no assessment in an open review cycle, so the problems cannot become rectification "
                    "items. Untick this box to record the visit with the problems as written."
                )
                % {"org": organisation.name}
            )
        elif owner is None:
            errors.setdefault("to_rectify", []).append(
                _("%(org)s has no secretary or person in direct charge to own the rectification items.")
                % {"org": organisation.name}
            )
        if due is None:
            errors.setdefault("due", []).append(_("Give the date by which the problems are to be rectified."))
        elif due <= today():
            errors.setdefault("due", []).append(_("The rectification date must be in the future."))
    if errors:
        raise ValidationError(errors)
    _lock_org(organisation)
    twin = Visit.objects.filter(organisation=organisation, date=date, kind=kind, seen=seen, recorded_by=by).first()
    if twin is not None:
        raise AlreadyHandled(_("This visit has already been recorded. Nothing was changed."))
    visit = Visit.objects.create(organisation=organisation, date=date, kind=kind, seen=seen, recorded_by=by)
    visit.leaders.set(leaders)
    problems_made = [VisitProblem(visit=visit, order=n, text=line) for n, line in enumerate(lines, 1)]
    VisitProblem.objects.bulk_create(problems_made)
    audit_record(
        actor=by,
        action="visit.record",
        subject=visit,
        to_value=f"{organisation.code}:{date}:{kind}",
        comment=seen[:200],
    )
    if assessment is not None:
        for problem in VisitProblem.objects.filter(visit=visit).order_by("order"):
            _rectify(problem, visit=visit, assessment=assessment, owner=owner, due=due, by=by)
    return visit


def _rectify(problem: VisitProblem, *, visit: Visit, assessment, owner, due, by) -> None:
    item = rectification_item_create(
        assessment=assessment,
        by=by,
        problem=problem.text,
        requirement=_("Found on the %(kind)s of %(date)s")
        % {"kind": visit.get_kind_display(), "date": visit.date.isoformat()},
        owner=owner,
        due=due,
    )
    problem.item = item
    problem.save(update_fields=["item"])


@transaction.atomic
def visit_problem_rectify(*, by, problem: VisitProblem, due: datetime.date | None) -> VisitProblem:
    """A problem recorded earlier becomes a rectification item now (the recorder, a leader on the visit or an
    officer over the organisation); a problem that already became one is 'already handled'."""
    locked = (
        VisitProblem.objects.select_for_update()
        .filter(pk=problem.pk)
        .select_related("visit__organisation", "visit")
        .first()
    )
    if locked is None:
        raise AlreadyHandled()
    visit = locked.visit
    org = visit.organisation
    on_visit = by.pk == visit.recorded_by_id or visit.leaders.filter(pk=by.pk).exists()
    if not ((on_visit and policy.may_visit(by, org)) or policy.may_enter_for(by, org)):
        raise PermissionDenied(_("Only the leaders on the visit or the office over the organisation may do this."))
    if locked.item_id is not None:
        raise AlreadyHandled(_("This problem has already become a rectification item. Nothing was changed."))
    errors = {}
    assessment = open_assessment(org)
    owner = _owner_of_items(org) if assessment else None
    if assessment is None:
        errors["due"] = _(
            "%(org)s has no assessment in an open review cycle, so the problem cannot become a rectification item; "
            "it stays recorded with the visit."
        ) % {"org": org.name}
    elif owner is None:
        errors["due"] = _("%(org)s has no secretary or person in direct charge to own the rectification items.") % {
            "org": org.name
        }
    elif due is None:
        errors["due"] = _("Give the date by which the problems are to be rectified.")
    elif due <= today():
        errors["due"] = _("The rectification date must be in the future.")
    if errors:
        raise ValidationError(errors)
    _rectify(locked, visit=visit, assessment=assessment, owner=owner, due=due, by=by)
    return locked
