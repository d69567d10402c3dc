"""The cycle dashboard: the whole year at a glance for the oversight office and reviewers.

The counts by stage, rating, sector and level come from the counts kept in step with every step
(`flows.models.counts`): the rows at the top of each subtree the user may see, a few hundred rows however many
organisations there are, plus the organisations seen one by one (their own role, a guided organisation) read
directly. The rest is a handful of queries more, each reading rows that do not grow with the organisations:
rectification items and inspections from their own tables, the ranking from its index (cycle, score, id), and the
drill-down list one page of 50 at a time, its length taken from the kept counts. So the page costs the same number
of queries for 60 organisations or 100,000. Only organisations the user may see are counted.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum

from flows.domain.scoring import good_count_exceeds_cap
from flows.models import (
    Assessment,
    Inspection,
    Level,
    Organisation,
    Rating,
    RectificationItem,
    ReviewCycle,
    Sector,
    Stage,
)
from flows.models.counts import AssessmentCount
from flows.models.organisations import subtree_q
from flows.models.people import today
from flows.models.state_groups import Phase, count_by_phase, phase_of
from flows.policy import access
from flows.selectors import results
from flows.selectors.paging import counted_page

RANKING_SIZE = 20
DRILL_PAGE = 50  # rows of the drill-down list on one page
# what the rectification figures call each phase of an item (the page, its JSON, the plan results, the report)
RECTIFICATION_FIGURES = {Phase.UNDER_WAY: "open", Phase.WAITING: "reported", Phase.DONE: "verified"}


@dataclass(frozen=True)
class Filters:
    sector: str = ""
    level: str = ""
    subtree: Organisation | None = None
    stage: str = ""
    rag: str = ""
    subtree_not_found: str = ""  # what was typed into the subtree filter when it names no organisation one may see

    @classmethod
    def from_query(cls, params, user):
        sector = params.get("sector", "")
        level = params.get("level", "")
        stage = params.get("stage", "")
        rag = params.get("rag", "")
        asked = params.get("subtree", "").strip()[:100]
        subtree = subtree_named(user, asked) if asked else None
        return cls(
            sector=sector if sector in Sector.values else "",
            level=level if level in Level.values else "",
            subtree=subtree,
            stage=stage if stage in Stage.values else "",
            rag=rag if rag in ("red", "yellow", "green") else "",
            subtree_not_found=asked if asked and subtree is None else "",
        )

    def as_query(self, **changes) -> str:
        from urllib.parse import urlencode

        values = {
            "sector": self.sector,
            "level": self.level,
            "subtree": self.subtree.code if self.subtree else "",
            "stage": self.stage,
            "rag": self.rag,
        } | changes
        return urlencode({k: v for k, v in values.items() if v})


def subtree_named(user, asked: str) -> Organisation | None:
    """The organisation the user may see that `asked` names: by its code, its full or short name, else the highest
    one whose name holds it (“石桥镇” is the town's committee, not its villages); none when two at the same level do,
    or none at all."""
    visible = access.visible_organisations(user)
    found = visible.filter(Q(code=asked) | Q(name=asked) | Q(short_name=asked)).order_by("depth", "path").first()
    if found is None:
        highest = list(
            visible.filter(Q(name__contains=asked) | Q(short_name__contains=asked)).order_by("depth", "path")[:2]
        )
        if len(highest) == 1 or (len(highest) == 2 and highest[0].depth < highest[1].depth):
            found = highest[0]
    return found


def stage_rags(cycle: ReviewCycle) -> dict[str, str]:
    """红黄绿 of each stage today, from the cycle's stage deadlines (closed years have none)."""
    from flows.domain.calendar import rag
    from flows.selectors.assessments import stage_due

    now = today()
    return {
        s.value: (
            rag(stage_due(Assessment(cycle=cycle, state=s.value)), now) if phase_of(Stage, s) != Phase.DONE else ""
        )
        for s in Stage
    }


def rectification_counts(items, *, on) -> dict:
    """Rectification items by phase (one grouped query): being rectified, reported and waiting, verified; and
    those not done whose due date has passed."""
    rows = list(items.order_by().values_list("state").annotate(n=Count("pk"), late=Count("pk", filter=Q(due__lt=on))))
    by_phase = count_by_phase(RectificationItem, ((state, n) for state, n, _late in rows))
    return {key: by_phase[phase] for phase, key in RECTIFICATION_FIGURES.items()} | {
        "overdue": sum(late for state, _n, late in rows if phase_of(RectificationItem, state) != Phase.DONE)
    }


def _visible(cycle, user):
    """The organisations the user may see on this cycle's dashboard; None: all of the cycle's (its office)."""
    scope = access.scope_for(user)
    if scope.superuser or access.can_manage_cycle(user, cycle):
        return None
    return access.visible_organisations(user)


def _organisations_q(f: Filters, *, visible, prefix: str) -> Q:
    """The organisations the dashboard counts (those visible, within the filters), as conditions on the
    organisation at `prefix` ("organisation__" from an assessment, "" on the organisations)."""
    q = Q()
    if visible is not None:
        q &= Q(**{f"{prefix}pk__in": visible.values("pk")})
    if f.sector:
        q &= Q(**{f"{prefix}sector": f.sector})
    if f.level:
        q &= Q(**{f"{prefix}level": f.level})
    if f.subtree is not None:
        q &= subtree_q(f.subtree.path, prefix=prefix)
    return q


_UNREAD = object()


def _assessments(cycle, user, f: Filters, *, visible=_UNREAD):
    """The cycle's assessments the dashboard counts (`visible`: what `_visible` gave, when already read)."""
    if visible is _UNREAD:
        visible = _visible(cycle, user)
    return Assessment.objects.filter(_organisations_q(f, visible=visible, prefix="organisation__"), cycle=cycle)


def _minimal(paths) -> list[str]:
    """The paths not inside another one of them (each subtree counted once)."""
    kept: list[str] = []
    for p in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return sorted(kept)


def _counted_groups(cycle, user, f: Filters) -> list[tuple]:
    """(state, rating, sector, level, n) of the assessments the dashboard counts: from the kept counts at the top
    of each visible subtree (within the subtree filter), and the organisations visible one by one read directly."""
    scope = access.scope_for(user)
    within = f.subtree.path if f.subtree is not None else None
    if scope.superuser or access.can_manage_cycle(user, cycle):
        tops, singles = [within or ""], set()
    else:
        view = _minimal(scope.view_paths)
        if within is None:
            tops = view
        elif any(within.startswith(p) for p in view):
            tops = [within]
        else:
            tops = [p for p in view if p.startswith(within)]
        singles = scope.own_ids | scope.guided_ids
    groups = []
    if tops:
        kept = AssessmentCount.objects.filter(cycle=cycle, node__in=tops)
        if f.sector:
            kept = kept.filter(sector=f.sector)
        if f.level:
            kept = kept.filter(level=f.level)
        groups += kept.values_list("state", "rating", "sector", "level").annotate(total=Sum("n")).order_by()
    if singles:
        one_by_one = Assessment.objects.filter(cycle=cycle, organisation_id__in=singles)
        for top in tops:
            one_by_one = one_by_one.exclude(subtree_q(top, prefix="organisation__"))
        if within is not None:
            one_by_one = one_by_one.filter(subtree_q(within, prefix="organisation__"))
        if f.sector:
            one_by_one = one_by_one.filter(organisation__sector=f.sector)
        if f.level:
            one_by_one = one_by_one.filter(organisation__level=f.level)
        groups += (
            one_by_one.values_list("state", "rating", "organisation__sector", "organisation__level")
            .annotate(n=Count("pk"))
            .order_by()
        )
    return [g for g in groups if g[-1]]


def drill_states(rags: dict[str, str], f: Filters) -> list[str]:
    """The stages the drill-down lists: the one chosen, or those of the chosen 红黄绿 (both: where they meet)."""
    return [s for s, r in rags.items() if (not f.rag or r == f.rag) and (not f.stage or s == f.stage)]


def drill_page(cycle, f: Filters, *, visible, rags, by_stage, page):
    """One page of the organisations at the chosen stages, in tree order. How many there are comes from the kept
    counts already read (`by_stage`), so the paginator asks no COUNT; the page costs two queries whatever the size.

    The page's organisations are found the cheaper of two ways, chosen from those counts: when the chosen stages
    hold many of the organisations, by walking the organisations in tree order (the path index) and looking up each
    one's assessment (the unique index) until the page is full; when they hold few, by reading those assessments
    (the (cycle, state) index) and sorting them."""
    states = drill_states(rags, f)
    n = sum(by_stage.get(s, 0) for s in states)
    total = sum(by_stage.values())
    pager = counted_page(Assessment.objects.none(), n, page, per_page=DRILL_PAGE)
    start, stop = pager.start_index() - 1, pager.end_index()
    # the walk starts at the top of the cycle's scope, not at the top of the tree
    top = Organisation.objects.values_list("path", flat=True).get(pk=cycle.scope_root_id or cycle.office.scope_id)
    if not n:
        ids = []
    elif stop * total / n < n:  # rows walked to fill the page < rows sorted
        mine = Assessment.objects.filter(cycle=cycle, organisation=OuterRef("pk")).order_by()
        walk = (
            Organisation.objects.filter(_organisations_q(f, visible=visible, prefix=""), subtree_q(top))
            .annotate(stage=Subquery(mine.values("state")[:1]), assessment=Subquery(mine.values("pk")[:1]))
            .filter(stage__in=states)
            .order_by("path")
        )
        ids = list(walk.values_list("assessment", flat=True)[start:stop])
    else:
        sort = _assessments(cycle, None, f, visible=visible).filter(state__in=states).order_by("organisation__path")
        ids = list(sort.values_list("pk", flat=True)[start:stop])
    rows = list(Assessment.objects.filter(pk__in=ids).select_related("organisation").order_by("organisation__path"))
    for a in rows:
        a.rag = rags.get(a.state, "")
    pager.object_list = rows
    return pager


def cycle_dashboard(cycle: ReviewCycle, user, f: Filters, *, page=1, lists=True) -> dict:
    """The figures, and unless `lists` is false (the JSON the page redraws from) the ranking and one page of the
    drill-down list."""
    rags = stage_rags(cycle)
    visible = _visible(cycle, user)
    base = _assessments(cycle, user, f, visible=visible)
    groups = _counted_groups(cycle, user, f)
    total = sum(n for *_k, n in groups)
    by_stage = {s.value: 0 for s in Stage}
    by_rating = {r.value: 0 for r in Rating}
    rag_counts = {"red": 0, "yellow": 0, "green": 0}
    sectors: dict[str, dict] = {}
    levels: dict[str, dict] = {}
    for state, rating, sector, level, n in groups:
        done = phase_of(Stage, state) == Phase.DONE  # a stage in no phase raises
        by_stage[state] = by_stage.get(state, 0) + n
        if results.counts_as_result(state, rating):
            by_rating[rating] += n
        if rags.get(state):
            rag_counts[rags[state]] += n
        for table, key in ((sectors, sector or ""), (levels, level)):
            row = table.setdefault(key, {"total": 0, "closed": 0, "red": 0, "yellow": 0, "green": 0})
            row["total"] += n
            row["closed"] += n if done else 0
            if rags.get(state):
                row[rags[state]] += n
    rated = sum(by_rating.values())
    good_share = round(100 * by_rating[Rating.GOOD] / rated, 1) if rated else None

    # rectification items and inspections are read from their own tables, each looking up its assessment (a
    # join from the cycle's side would read every assessment of the cycle)
    in_cycle = base
    items = rectification_counts(
        RectificationItem.objects.filter(Exists(in_cycle.filter(pk=OuterRef("assessment_id")))), on=today()
    )
    inspected = (
        Inspection.objects.filter(Exists(in_cycle.filter(organisation_id=OuterRef("organisation_id"))))
        .filter(Q(plan__cycle=cycle) | Q(plan__cycle__isnull=True, plan__drawn_at__year=cycle.year))
        .values("organisation_id")
        .distinct()
        .count()
    )
    ranking = []
    if lists:
        # the ranking index (cycle, combined_score descending, id): the first twenty, not a sort of the cycle
        ranking = list(
            results.counted(base)
            .filter(combined_score__isnull=False)
            .select_related("organisation")
            .order_by("-combined_score", "pk")[:RANKING_SIZE]
        )
    drill = None
    if lists and (f.stage or f.rag):
        drill = drill_page(cycle, f, visible=visible, rags=rags, by_stage=by_stage, page=page)
    return {
        "total": total,
        "stages": [
            {"stage": s.value, "label": str(s.label), "n": by_stage.get(s.value, 0), "rag": rags[s.value]}
            for s in Stage
        ],
        "rag": rag_counts,
        "ratings": [{"rating": r.value, "label": str(r.label), "n": by_rating[r.value]} for r in Rating],
        "rated": rated,
        "good_share": good_share,
        "good_cap": float(cycle.good_cap_percent) if cycle.good_cap_percent is not None else None,
        "over_cap": good_count_exceeds_cap(cycle, good=by_rating[Rating.GOOD], rated=rated),
        "sectors": [
            {"key": k, "label": str(Sector(k).label) if k in Sector.values else "—", **v}
            for k, v in sorted(sectors.items())
        ],
        "levels": [
            {"key": k, "label": str(Level(k).label) if k in Level.values else k, **v} for k, v in sorted(levels.items())
        ],
        "rectification": items,
        "spot_checks": {
            "inspected": inspected,
            "percent": round(100 * inspected / total, 1) if total else 0,
        },
        "ranking": ranking,
        "drill": drill.object_list if drill is not None else [],
        "drill_page": drill,
    }


def dashboard_json(data: dict) -> dict:
    """The figures the page's charts and counters redraw from when the cycle moves (no model objects)."""
    keep = ("total", "stages", "rag", "ratings", "rated", "good_share", "good_cap", "over_cap", "sectors", "levels")
    return {k: data[k] for k in keep} | {"rectification": data["rectification"], "spot_checks": data["spot_checks"]}
