"""Reads of rectification in depth (issue 20): one item's page, and the rectification list of an assessment with
each item's plan, progress, extensions and re-checks (a fixed number of queries)."""

from django.db.models import Prefetch, Q

from flows.models import AuditEntry, ItemState, RectificationItem
from flows.models.assessments import ExtensionDecision, RecheckState, RectificationRecheck
from flows.policy import access, steps
from flows.selectors import history

WORKING = (ItemState.OPEN, ItemState.EXTENSION_REQUESTED)


def items_in_depth(items):
    """The items with their progress, extensions and re-checks read in three queries (a list or a queryset)."""
    pks = [i.pk for i in items]
    rows = (
        RectificationItem.objects.filter(pk__in=pks)
        .select_related("owner", "plan_by")
        .prefetch_related(
            "progress_reports__by",
            "extensions__requested_by",
            "extensions__decided_by",
            Prefetch("rechecks", queryset=RectificationRecheck.objects.select_related("decided_by")),
        )
    )
    by_pk = {r.pk: r for r in rows}
    out = []
    for pk in pks:
        it = by_pk[pk]
        it.progress = list(it.progress_reports.all())
        it.last_progress = it.progress[-1] if it.progress else None
        exts = list(it.extensions.all())
        it.pending_extension = next((e for e in exts if e.decision == ExtensionDecision.PENDING), None)
        it.decided_extensions = [e for e in exts if e.decision != ExtensionDecision.PENDING]
        it.first_due = exts[0].old_due if any(e.decision == ExtensionDecision.APPROVED for e in exts) else None
        checks = list(it.rechecks.all())
        it.scheduled_recheck = next((c for c in checks if c.state == RecheckState.SCHEDULED), None)
        it.done_rechecks = [c for c in checks if c.state != RecheckState.SCHEDULED]
        out.append(it)
    return out


def item_history(item) -> list[AuditEntry]:
    recheck_ids = [str(pk) for pk in item.rechecks.values_list("pk", flat=True)]
    q = Q(subject_type="flows.rectificationitem", subject_id=str(item.pk))
    if recheck_ids:
        q |= Q(subject_type="flows.rectificationrecheck", subject_id__in=recheck_ids)
    rows = list(AuditEntry.objects.filter(q).select_related("actor").order_by("at", "pk"))
    for row in rows:
        row.label, row.value_label = history.describe(row)
    return rows


def item_visible(user, pk):
    """The item if `user` may see the organisation whose item it is, else None (the caller answers 404)."""
    item = (
        RectificationItem.objects.select_related("assessment__organisation", "assessment__cycle", "owner")
        .filter(pk=pk)
        .first()
    )
    if item is None or not access.can_view_organisation(user, item.assessment.organisation):
        return None
    return item


def item_page(user, item) -> dict:
    (deep,) = items_in_depth([item])
    deep.assessment = item.assessment
    working = item.state in WORKING
    return {
        "item": deep,
        "assessment": item.assessment,
        "history": item_history(item),
        "may_write_plan": working and steps.allows(user, "rectificationitem.write_plan", item),
        "may_report_progress": working and steps.allows(user, "rectificationitem.report_progress", item),
    }
