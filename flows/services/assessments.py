"""State changes of an organisation's year: every step of the cycle, each one function.

Each step validates its input, takes its transition through the step service (who may take it, from the
permission table; the audit row in the same transaction), completes its task by naming the node and starts any
follow-up flows. Notifications go out on commit.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from flows.domain import numbers, scoring
from flows.models import (
    LEADERSHIP_ROLES,
    OUTCOMES_BY_RATING,
    AccountabilityMeasure,
    Assessment,
    Commendation,
    CommendationKind,
    Decision,
    Guidance,
    GuidanceComment,
    ItemScore,
    MeasureKind,
    Outcome,
    RectificationItem,
    ReviewCycle,
    RoleAssignment,
    Stage,
)
from flows.models.assessments import ExtensionDecision, RectificationExtension, RectificationRecheck
from flows.models.compiled import CompiledQuery
from flows.models.people import today
from flows.models.state_groups import STAGES_BEFORE_OUTCOME, Phase, phase_of
from flows.policy import access, steps
from flows.policy import rectification as _rectification_steps  # noqa: F401 - registers its rules in the table
from flows.selectors import results
from flows.selectors.assessments import item_scores
from flows.services import handoffs
from flows.services import results as results_services
from flows.services.audit import audit_record, audit_records
from flows.services.evidence import evidence_store_many
from flows.services.steps import step_take
from flows.services.tasks import AlreadyHandled, flow_start, handle_run, open_task, task_complete

# an assessment row-locked, read with its cycle, organisation, template and process (compiled once per process).
# Only the assessment's row is locked (`of`): without it PostgreSQL locks every row the statement joins, and every
# step of a cycle would wait for the one before it on the cycle's row (the cycle is held in share mode instead,
# `_cycle_shared`).
_LOCKED = CompiledQuery(
    lambda pk: (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("cycle", "organisation", "template", "process")
        .filter(pk=pk)
    ),
    pk=int,
)


def _cycle_shared(cycle_id: int) -> None:
    """Hold the cycle's row in share mode until the step commits (PostgreSQL): the steps of a cycle run side by side,
    while an operation on the whole cycle (opening it, a launch chunk, closing it, changing its settings: each locks
    the row for update) waits for the steps under way, and they for it. First, before the assessment's own lock,
    in the order those operations take their locks. SQLite lets one writer in at a time already."""
    conn = transaction.get_connection(router.db_for_write(ReviewCycle))
    if conn.features.has_select_for_update:
        with conn.cursor() as cur:
            cur.execute(_CYCLE_SHARED, [cycle_id])


_CYCLE_SHARED = f'SELECT 1 FROM "{ReviewCycle._meta.db_table}" WHERE "id" = %s FOR SHARE'  # noqa: S608 - a table name


def _lock(assessment: Assessment, *, expected_state=None) -> Assessment:
    """The assessment as it is now, row-locked; a stale page (the stage moved on) is refused."""
    _cycle_shared(assessment.cycle_id)
    found = _LOCKED(pk=assessment.pk)
    if not found:
        raise Assessment.DoesNotExist(f"assessment {assessment.pk}")
    fresh = found[0]
    if expected_state is not None and fresh.state != expected_state:
        raise AlreadyHandled(
            _("The assessment has moved on to “%(stage)s” since this page was opened. Nothing was changed.")
            % {"stage": fresh.get_state_display()}
        )
    return fresh


def _points(value, indicator, field):
    try:
        return numbers.number_in(
            value, field=f"{indicator.code} {indicator.name}", low=0, high=indicator.max_points, places=1
        )
    except numbers.NotANumber as exc:
        raise ValidationError({field: exc.message}) from None


def _clean_scores(indicators: dict, scores: dict) -> dict:
    """{indicator_id: (points, note)} checked against each item's maximum; veto items carry no points.
    All errors are reported at once, per field."""
    errors, cleaned = {}, {}
    for ind_id, (points, note) in scores.items():
        ind = indicators.get(int(ind_id))
        if ind is None or ind.veto:
            continue
        try:
            cleaned[ind.pk] = (_points(points, ind, f"points_{ind.pk}"), (note or "").strip())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


# ---- self-assessment ----------------------------------------------------------------------------------


@transaction.atomic
def self_assessment_draft(
    *,
    assessment,
    by,
    files=(),
    scores: dict,
    report: str,
    expected_state=Stage.SELF_ASSESSMENT,
    submit: bool = False,
    activation=None,
    refused_files: dict | None = None,
):
    """The self-assessment screen's one step: its new evidence files [(upload, content type, indicator)], its points
    and notes ({indicator_id: (points, note)}) and work report, and, when `submit`, the submission to the secretary;
    under one row lock and one check of who drafts, all or nothing. `refused_files` ({"evidence_<id>": messages}):
    uploads the screen already refused; the points are checked too and every mistake is raised at once, nothing
    stored (a browser forgets the chosen files with each refusal: better to choose them again only once)."""
    a = _drafting(assessment, by=by, expected_state=expected_state)
    if refused_files:
        errors = dict(refused_files)
        try:
            _clean_scores({i.pk: i for i in a.template_items()}, scores)
        except ValidationError as exc:
            errors.update(exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages})
        raise ValidationError(errors)
    if files:
        _evidence_attach(a, by=by, files=files)
    _draft_store(a, by=by, scores=scores, report=report)
    if submit:
        _self_submit(a, by=by, activation=activation)
    return a


def _drafting(assessment, *, by, expected_state) -> Assessment:
    """The assessment row-locked, while it is being drafted, for the person who drafts it (its template's items are
    read once, by `Assessment.template_items`, for the scores and the check of what is missing)."""
    a = _lock(assessment, expected_state=expected_state)
    if a.state != Stage.SELF_ASSESSMENT:
        raise AlreadyHandled(_("The self-assessment has already been submitted. Nothing was changed."))
    if not steps.allows(by, "assessment.submit_self", a):
        raise PermissionDenied(_("Only the person in direct charge drafts the self-assessment."))
    return a


@transaction.atomic
def self_assessment_save(*, assessment, by, scores: dict, report: str, expected_state=Stage.SELF_ASSESSMENT):
    """Save the draft: points and notes per item ({indicator_id: (points, note)}) and the work report."""
    a = _lock(assessment, expected_state=expected_state)
    if not steps.allows(by, "assessment.submit_self", a):
        raise PermissionDenied(_("Only the person in direct charge drafts the self-assessment."))
    return _draft_store(a, by=by, scores=scores, report=report)


def _draft_store(a: Assessment, *, by, scores: dict, report: str) -> Assessment:
    indicators = {i.pk: i for i in a.template_items()}
    cleaned = _clean_scores(indicators, scores)
    _store_scores(a, {i: {"self_points": p, "self_note": n} for i, (p, n) in cleaned.items()})
    a.report = report.strip()
    a.self_score = (
        scoring.points_total(a.template, indicators.values(), {i: p for i, (p, _n) in cleaned.items()})
        if cleaned
        else a.self_score
    )
    a.save(update_fields=["report", "self_score", "updated_at"])
    audit_record(actor=by, action="assessment.self_save", subject=a)
    return a


def _store_scores(a: Assessment, values: dict[int, dict]) -> None:
    """Each item's new values ({indicator id: {field: value}}) in at most two statements: the rows the assessment
    does not have yet, and the rows whose values changed (a save that changes nothing writes nothing)."""
    existing = {s.indicator_id: s for s in item_scores(a.pk)}
    new, changed, fields = [], [], set()
    for ind_id, vals in values.items():
        row = existing.get(ind_id)
        if row is None:
            new.append(ItemScore(assessment=a, indicator_id=ind_id, **vals))
            continue
        diff = {f: v for f, v in vals.items() if getattr(row, f) != v}
        for f, v in diff.items():
            setattr(row, f, v)
        if diff:
            changed.append(row)
            fields |= diff.keys()
    if new:
        ItemScore.objects.bulk_create(new)
    if changed:
        ItemScore.objects.bulk_update(changed, sorted(fields))


@transaction.atomic
def self_assessment_submit(*, assessment, by, activation=None, expected_state=Stage.SELF_ASSESSMENT):
    return _self_submit(_lock(assessment, expected_state=expected_state), by=by, activation=activation)


def _self_submit(a: Assessment, *, by, activation=None) -> Assessment:
    missing = a.missing_for_self_submission()
    if missing:
        raise ValidationError(_("Not ready to submit; still missing: %(items)s") % {"items": "；".join(missing)})
    a.checked_missing = missing  # nothing changes before the step: its condition reads this (Assessment.self_complete)
    step_take(a, "submit_self", by=by)
    task_complete(a.process, "AssessmentFlow.draft_self", by=by, activation=activation)
    if steps.allows(by, "assessment.approve_self", a):
        # one person holds both duties (a branch with only a secretary): submitting is the sign-off, recorded so
        step_take(
            a, "approve_self", by=by, comment=_("Submitted and signed off by the secretary, who holds both duties")
        )
        task_complete(a.process, "AssessmentFlow.approve_self", by=by)
    return a


@transaction.atomic
def self_assessment_decide(
    *, assessment, by, approve: bool, comment="", activation=None, expected_state=Stage.SELF_APPROVAL
):
    """The secretary signs off the self-assessment, or sends it back with a reason."""
    a = _lock(assessment, expected_state=expected_state)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Say what must change when sending the draft back.")})
    step_take(a, "approve_self" if approve else "return_self", by=by, comment=comment.strip())
    task_complete(a.process, "AssessmentFlow.approve_self", by=by, activation=activation)
    return a


# ---- mass evaluation ----------------------------------------------------------------------------------


@transaction.atomic
def mass_evaluation_close(
    *, assessment, by, mass_score=None, activation=None, expected_state=Stage.MASS_EVALUATION, system=False
):
    """Close the mass-evaluation stage (its ballots are tallied elsewhere); the superior review starts."""
    a = _lock(assessment, expected_state=expected_state)
    try:
        mass_score = numbers.number_in(mass_score, field=_("Mass evaluation score"), low=0, high=100, places=2)
    except numbers.NotANumber as exc:
        raise ValidationError({"mass_score": exc.message}) from None
    step_take(a, "close_mass", by=by, params={"mass_score": mass_score}, system=system)
    task_complete(a.process, "AssessmentFlow.close_mass", by=by, activation=activation, system=system)
    for guidance in Guidance.objects.filter(organisation=a.organisation).select_related("guide"):
        comment, created = GuidanceComment.objects.get_or_create(assessment=a, guide=guidance.guide)
        if created:
            flow_start("GuidanceCommentFlow", comment=comment)
    return a


def may_enter_social_score(user, assessment) -> bool:
    """The cycle's oversight office enters the social evaluation until the review is submitted."""
    return assessment.state in STAGES_BEFORE_OUTCOME and access.can_manage_cycle(user, assessment.cycle)


@transaction.atomic
def social_score_set(*, assessment, by, score, source: str = ""):
    """The social evaluation (社会评价: e.g. a survey of service users) entered by the office with its source; it
    counts in the combined score when the review is submitted. Empty clears it."""
    a = _lock(assessment)
    if not access.can_manage_cycle(by, a.cycle):
        raise PermissionDenied(_("Only officers of the cycle's oversight office enter the social evaluation."))
    if a.state not in STAGES_BEFORE_OUTCOME:
        raise AlreadyHandled(_("The review has been submitted: the social evaluation can no longer change."))
    try:
        value = numbers.number_in(score, field=_("Social evaluation score"), low=0, high=100, places=2)
    except numbers.NotANumber as exc:
        raise ValidationError({"social_score": exc.message}) from None
    source = (source or "").strip() or a.cycle.social_source
    if value is not None and not source:
        raise ValidationError({"social_source": _("Say where the social evaluation comes from.")})
    before = a.social_score
    a.social_score, a.social_source = value, source if value is not None else ""
    a.save(update_fields=["social_score", "social_source", "updated_at"])
    audit_record(
        actor=by,
        action="assessment.social_score",
        subject=a,
        from_value="" if before is None else str(before),
        to_value="" if value is None else str(value),
        comment=a.social_source,
    )
    return a


@transaction.atomic
def guidance_comment_submit(*, comment_obj, by, comment: str, points=None, activation=None):
    c = GuidanceComment.objects.select_for_update().get(pk=comment_obj.pk)
    if c.author_id:
        raise AlreadyHandled()
    if not steps.allows(by, "guidancecomment.comment", c):
        raise PermissionDenied(_("Only a leader of the guiding organisation comments."))
    if not comment.strip():
        raise ValidationError({"comment": _("Write the comment.")})
    c.author, c.comment = by, comment.strip()
    try:
        c.points = numbers.number_in(points, field=_("Suggested score"), low=0, high=100, places=1)
    except numbers.NotANumber as exc:
        raise ValidationError({"points": exc.message}) from None
    c.save()
    audit_record(actor=by, action="assessment.guidance_comment", subject=c.assessment, comment=c.comment)
    task_complete(c.process, "GuidanceCommentFlow.comment", by=by, activation=activation)
    return c


# ---- superior review ----------------------------------------------------------------------------------


@transaction.atomic
def review_save(*, assessment, by, scores: dict, veto_hits=(), comment="", expected_state=Stage.SUPERIOR_REVIEW):
    """The reviewer's points per item ({indicator_id: (points, note)}) and the veto items found hit."""
    a = _lock(assessment, expected_state=expected_state)
    if not steps.allows(by, "assessment.submit_review", a):
        raise PermissionDenied(_("Only the reviewer of the leading organisation scores this review."))
    indicators = {i.pk: i for i in a.template_items()}
    cleaned = _clean_scores(indicators, scores)
    veto_ids = {int(v) for v in veto_hits if str(v).isdecimal() and int(v) in indicators and indicators[int(v)].veto}
    values = {}
    for ind_id, ind in indicators.items():
        if ind.veto:
            values[ind_id] = {"veto_hit": ind_id in veto_ids}
        elif ind_id in cleaned:
            values[ind_id] = {"superior_points": cleaned[ind_id][0], "superior_note": cleaned[ind_id][1]}
        else:
            values[ind_id] = {}  # the item's row, empty until scored
    _store_scores(a, values)
    # a draft is not a rating: the scores are kept, the result is given only when the review is submitted
    a.review_comment = comment.strip()
    a.save(update_fields=["review_comment", "updated_at"])
    audit_record(actor=by, action="assessment.review_save", subject=a)
    return a


def _give_result(a: Assessment) -> None:
    """The submitted review's superior score, veto, combined score and rating, onto the assessment."""
    result = results.review_result(a)
    a.superior_score, a.veto = result.superior_score, result.veto
    a.combined_score, a.rating = result.combined_score, result.rating


def responsible_people(org, *, year: int | None = None):
    """Who may own a rectification item: the organisation's current leadership. With `year`: who may be held
    responsible for that year — whoever held a leadership role at any time in it (acting holders and people who
    have since moved on included)."""
    from flows.models import User

    roles = RoleAssignment.objects.filter(organisation=org, role__in=LEADERSHIP_ROLES)
    if year is None:
        roles = roles.current()
    else:
        roles = roles.filter(start__lte=datetime.date(year, 12, 31)).exclude(end__lt=datetime.date(year, 1, 1))
    return User.objects.filter(pk__in=roles.values("user_id")).order_by("real_name")


def accountable_people(assessment):
    """The people who may be named in an accountability measure for an assessment: that year's leaders."""
    return responsible_people(assessment.organisation, year=assessment.cycle.year)


@transaction.atomic
def review_submit(
    *,
    assessment,
    by,
    outcome: str,
    commendation=None,
    rectification_items=(),
    activation=None,
    expected_state=Stage.SUPERIOR_REVIEW,
):
    """Submit the review with its outcome: commendation proposal, rectification list, accountability, or none.

    `commendation`: {"kind", "nominee" (a user or None), "reason"}; `rectification_items`: a list of
    {"problem", "requirement", "owner", "due"}.
    """
    a = _lock(assessment, expected_state=expected_state)
    if not a.review_complete():
        raise ValidationError(_("Score every item before submitting the review."))
    _give_result(a)
    allowed = OUTCOMES_BY_RATING[a.rating]
    if outcome not in allowed:
        raise ValidationError(
            {
                "outcome": _("With the rating “%(rating)s” the outcome must be one of: %(allowed)s.")
                % {"rating": a.get_rating_display(), "allowed": "、".join(str(Outcome(o).label) for o in allowed)}
            }
        )
    if outcome == Outcome.COMMENDATION:
        if not commendation or not (commendation.get("reason") or "").strip():
            raise ValidationError({"commendation": _("Give the commendation and its reason.")})
        if commendation["kind"] not in CommendationKind.values:
            raise ValidationError({"commendation": _("Choose a commendation.")})
        if commendation["kind"] != CommendationKind.ORGANISATION and not commendation.get("nominee"):
            raise ValidationError({"commendation": _("Name the person to commend.")})
    items = []
    if outcome == Outcome.RECTIFICATION:
        if not rectification_items:
            raise ValidationError({"rectification": _("List at least one problem to rectify.")})
        owners = set(responsible_people(a.organisation).values_list("pk", flat=True))
        for n, item in enumerate(rectification_items, 1):
            if not (item.get("problem") or "").strip():
                raise ValidationError({"rectification": _("Item %(n)s: describe the problem.") % {"n": n}})
            if item.get("owner") is None or item["owner"].pk not in owners:
                raise ValidationError(
                    {
                        "rectification": _("Item %(n)s: the owner must be a current leader of the organisation.")
                        % {"n": n}
                    }
                )
            if item.get("due") is None or item["due"] < today():
                raise ValidationError(
                    {"rectification": _("Item %(n)s: the due date must not be in the past.") % {"n": n}}
                )
            items.append(item)
    a.save(update_fields=["superior_score", "veto", "combined_score", "rating", "updated_at"])
    step_take(a, "submit_review", by=by, params={"outcome": outcome}, comment=a.review_comment)
    if outcome == Outcome.COMMENDATION:
        Commendation.objects.create(
            assessment=a,
            kind=commendation["kind"],
            nominee=commendation.get("nominee"),
            reason=commendation["reason"].strip(),
            proposed_by=by,
        )
    task_complete(a.process, "AssessmentFlow.review", by=by, activation=activation)
    results_services.after_review_submitted(a.cycle)
    from flows.services.meetings import results_follow_organisation  # meetings build on assessments' services

    results_follow_organisation(a)
    for item in items:
        rectification_item_create(
            assessment=a,
            by=by,
            problem=item["problem"],
            requirement=item.get("requirement"),
            owner=item["owner"],
            due=item["due"],
        )
    return a


def rectification_item_create(*, assessment, by, problem: str, requirement, owner, due, comment=""):
    """A new line of the rectification list (checked by the caller), audited, with its own flow started."""
    row = RectificationItem.objects.create(
        assessment=assessment,
        problem=problem.strip(),
        requirement=(requirement or "").strip(),
        owner=owner,
        due=due,
        created_by=by,
    )
    audit_record(
        actor=by, action="rectification.create", subject=row, to_value=f"{row.owner_id}:{row.due}", comment=comment
    )
    flow_start("RectificationItemFlow", item=row)
    return row


# ---- outcomes -----------------------------------------------------------------------------------------


@transaction.atomic
def commendation_decide(
    *, assessment, by, approve: bool, comment="", activation=None, expected_state=Stage.COMMENDATION
):
    a = _lock(assessment, expected_state=expected_state)
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Give the reason for rejecting the commendation.")})
    decision = Decision.APPROVED if approve else Decision.REJECTED
    a.commendations.filter(decision="").update(decision=decision, decided_by=by, decision_comment=comment.strip())
    step_take(a, "decide_commendation", by=by, comment=f"{Decision(decision).label} {comment}".strip())
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Commendation decided (%(decision)s): %(org)s") % {
            "decision": Decision(decision).label,
            "org": a.organisation.name,
        }
    proposers = {c.proposed_by for c in a.commendations.select_related("proposed_by")}
    handoffs.notify(sorted(proposers, key=lambda u: u.pk), title, f"/assessments/{a.pk}/")
    task_complete(a.process, "AssessmentFlow.decide_commendation", by=by, activation=activation)
    return a


@transaction.atomic
def rectification_report(*, item, by, report: str, activation=None):
    it = RectificationItem.objects.select_for_update().select_related("assessment").get(pk=item.pk)
    if not report.strip():
        raise ValidationError({"report": _("Describe what was done.")})
    step_take(
        it,
        "submit_report",
        by=by,
        params={"by": by, "report": report.strip()},
        action="rectification.report",
        refused=PermissionDenied(_("Only the owner of the item reports on it.")),
    )
    task_complete(it.process, "RectificationItemFlow.report", by=by, activation=activation)
    return it


@transaction.atomic
def extension_request(*, item, by, due, reason: str, activation=None):
    """The owner asks for a later due date, with the reason; the item waits for the reviewer's decision."""
    it = RectificationItem.objects.select_for_update().select_related("assessment").get(pk=item.pk)
    if due is None or due <= it.due:
        raise ValidationError({"due": _("Ask for a date after the current due date.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why more time is needed.")})
    params = {"due": due, "reason": reason.strip()}
    old_due = it.due
    step_take(it, "request_extension", by=by, params=params, comment=f"{due} {reason.strip()}")
    # the request and its decision are kept beside the item, with the date it had before (延期记录)
    RectificationExtension.objects.create(item=it, old_due=old_due, new_due=due, reason=reason.strip(), requested_by=by)
    task_complete(it.process, "RectificationItemFlow.report", by=by, activation=activation)
    return it


@transaction.atomic
def extension_decide(*, item, by, grant: bool, comment="", activation=None):
    """The reviewer grants the later due date or refuses it (with a reason); the owner works on."""
    it = RectificationItem.objects.select_for_update().select_related("assessment").get(pk=item.pk)
    if not grant and not comment.strip():
        raise ValidationError({"comment": _("Say why the extension is refused.")})
    step_take(it, "grant_extension" if grant else "refuse_extension", by=by, comment=comment.strip())
    RectificationExtension.objects.filter(item=it, decision=ExtensionDecision.PENDING).update(
        decision=ExtensionDecision.APPROVED if grant else ExtensionDecision.REFUSED,
        decided_by=by,
        decided_at=timezone.now(),
        comment=comment.strip(),
    )
    with translation.override(settings.LANGUAGE_CODE):
        title = (_("Extension granted: %(problem)s") if grant else _("Extension refused: %(problem)s")) % {
            "problem": it.problem[:40]
        }
    handoffs.notify([it.owner], title, f"/rectification/items/{it.pk}/")
    task_complete(it.process, "RectificationItemFlow.decide_extension", by=by, activation=activation)
    return it


@transaction.atomic
def rectification_verify(*, item, by, verified: bool, comment="", activation=None):
    """The reviewer (never the person who reported) verifies the item or returns it with a reason."""
    it = RectificationItem.objects.select_for_update().select_related("assessment").get(pk=item.pk)
    if not verified and not comment.strip():
        raise ValidationError({"comment": _("Say why the report is returned.")})
    refused = PermissionDenied(_("The item must be verified by a reviewer who did not report it."))
    if verified:
        step_take(it, "verify", by=by, params={"by": by}, action="rectification.verify", refused=refused)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Rectification item verified: %(problem)s") % {"problem": it.problem[:40]}
        handoffs.notify([it.owner], title, f"/assessments/{it.assessment_id}/")
        _recheck_schedule(it, by=by)
    else:
        step_take(
            it,
            "return_report",
            by=by,
            params={"comment": comment.strip()},
            comment=comment.strip(),
            action="rectification.return",
            refused=refused,
        )
    task_complete(it.process, "RectificationItemFlow.verify", by=by, activation=activation)
    a = _lock(it.assessment)
    if a.state == Stage.RECTIFICATION and a.rectification_verified():
        step_take(a, "finish_rectification", by=by, system=True)
        # a year reopened by a spot check has no waiting step left in its (finished) flow
        if open_task(a.process, "AssessmentFlow.await_rectification") is not None:
            handle_run(a.process, "AssessmentFlow.await_rectification")
    return it


def _recheck_schedule(item, *, by) -> RectificationRecheck:
    """回头看: a verified item is re-checked after the cycle's interval; the sweep opens the task on that day."""
    due = today() + datetime.timedelta(days=item.assessment.cycle.recheck_interval_days)
    recheck = RectificationRecheck.objects.create(item=item, due=due)
    item.recheck_due = due
    item.save(update_fields=["recheck_due"])
    audit_record(actor=by, action="rectification.recheck_scheduled", subject=item, to_value=str(due))
    return recheck


def measure_propose(*, assessment, by, kind: str, persons, reason: str) -> AccountabilityMeasure:
    """A proposed accountability measure against the organisation's responsible persons, audited. Used by the
    outcome of a review and by the referral of an overdue rectification item; a second officer decides."""
    errors = {}
    if kind not in MeasureKind.values:
        errors["kind"] = _("Choose a measure.")
    persons = list(persons)
    allowed = set(accountable_people(assessment).values_list("pk", flat=True))
    if not persons or any(p.pk not in allowed for p in persons):
        errors["persons"] = _("Name the responsible persons among the organisation's leaders.")
    if not reason.strip():
        errors["reason"] = _("State the facts and reasons.")
    if errors:
        raise ValidationError(errors)
    m = AccountabilityMeasure.objects.create(assessment=assessment, kind=kind, reason=reason.strip(), proposed_by=by)
    m.persons.set(persons)
    audit_record(actor=by, action="accountability.propose", subject=assessment, to_value=kind, comment=reason.strip())
    return m


def measure_decide(*, measure, by, approve: bool, comment="") -> AccountabilityMeasure:
    """A second oversight officer (never the proposer) approves the measure or rejects it with a reason."""
    if measure is None or measure.decision:
        raise AlreadyHandled()
    if measure.proposed_by_id == by.pk:
        raise PermissionDenied(_("A second oversight officer must decide on the measure."))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("Give the reason for rejecting the measure.")})
    measure.decision = Decision.APPROVED if approve else Decision.REJECTED
    measure.decided_by, measure.decision_comment = by, comment.strip()
    measure.save()
    return measure


@transaction.atomic
def accountability_propose(
    *, assessment, by, kind: str, persons, reason: str, activation=None, expected_state=Stage.ACCOUNTABILITY
):
    a = _lock(assessment, expected_state=expected_state)
    if not steps.allows(by, "assessment.propose_accountability", a):
        raise PermissionDenied(_("Only the oversight office proposes accountability measures."))
    if a.accountability_measures.filter(decision="").exists():
        raise AlreadyHandled()
    m = measure_propose(assessment=a, by=by, kind=kind, persons=persons, reason=reason)
    task_complete(a.process, "AssessmentFlow.propose_accountability", by=by, activation=activation)
    return m


@transaction.atomic
def accountability_decide(
    *, assessment, by, approve: bool, comment="", activation=None, expected_state=Stage.ACCOUNTABILITY
):
    """A second oversight officer approves the measure (the assessment closes) or rejects it (a new proposal)."""
    a = _lock(assessment, expected_state=expected_state)
    m = measure_decide(
        measure=a.accountability_measures.select_for_update().filter(decision="").first(),
        by=by,
        approve=approve,
        comment=comment,
    )
    if approve:
        step_take(a, "approve_accountability", by=by, comment=comment.strip())
    else:
        audit_record(actor=by, action="accountability.reject", subject=a, comment=comment.strip())
    task_complete(a.process, "AssessmentFlow.approve_accountability", by=by, activation=activation)
    return m


@transaction.atomic
def evidence_add(*, assessment, by, upload, content_type, indicator=None, item=None):
    """Attach an evidence file (already checked for size and type by the form) to an item or a rectification item."""
    return evidence_add_many(assessment=assessment, by=by, files=[(upload, content_type, indicator)], item=item)[0]


@transaction.atomic
def evidence_add_many(*, assessment, by, files, item=None) -> list:
    """Attach evidence files [(upload, content type, indicator or None)] (each already checked for size and type by
    the form) in one sitting: one check of who may, the rows in one INSERT, an audit row per file."""
    a = _lock(assessment)
    if item is not None:
        if item.owner_id != by.pk or phase_of(item, item.state) != Phase.UNDER_WAY:
            raise PermissionDenied(_("Only the owner attaches evidence to an open rectification item."))
    elif a.state != Stage.SELF_ASSESSMENT or not (
        steps.allows(by, "assessment.submit_self", a) or steps.allows(by, "assessment.approve_self", a)
    ):
        raise PermissionDenied(_("Evidence for the self-assessment is attached while it is being drafted."))
    return _evidence_attach(a, by=by, files=files, item=item)


def _evidence_attach(a: Assessment, *, by, files, item=None) -> list:
    """`evidence_add_many` once the assessment is locked and the person's right checked."""
    from flows.models import Evidence

    if not files:
        return []
    stored = evidence_store_many(
        Evidence,
        [(upload, content_type, {"indicator": indicator}) for upload, content_type, indicator in files],
        by=by,
        assessment=a,
        rectification_item=item,
    )
    audit_records(actor=by, action="evidence.add", subject=a, to_values=[ev.original_name for ev in stored])
    return stored
