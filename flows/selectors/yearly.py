"""Year over year (逐年对比): ratings and classifications of the organisations under one organisation, across the
years recorded, with who moved up a level (晋位升级), which backward organisations moved up (后进转化), who slipped
down, and the weak-and-lax list (软弱涣散) with how long each has been on it.

The figures come from the counts kept with the classification records (`flows.models.counts`: per leading
organisation, by year, rating and classification, and by the move between two years): the rows at the root for the
chart and the tiles, and at each of the first `BRANCH_LIMIT` organisations directly under it (found one index seek
each) plus their own records for the movement table. The lists (who made a move, the weak and lax, the table of
organisations) are shown a page at a time, and how long the lists of moves are comes from the kept counts. So the
page costs the same number of queries, and reads about as many rows, for 50 organisations or 100,000 (the
paginators of the two other lists count on the path index).
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery

from flows.models import (
    CLASSIFICATION_LEVEL,
    Classification,
    ClassificationRecord,
    Organisation,
    Rating,
    WeakAndLaxPeriod,
)
from flows.models.counts import ClassificationCount, MoveCount
from flows.models.organisations import path_successor, subtree_q
from flows.models.people import today
from flows.selectors.paging import counted_page

YEARS_SHOWN = 5
BRANCH_LIMIT = 100  # organisations directly under the root in the movement table (the rest: go down a level)
DRILL_PAGE = 50  # rows of a list on one page
WEAK_PAGE = 50
TABLE_PAGE = 50


class Move:
    UP = "up"  # 晋位升级: a level higher than the year before
    CONVERTED = "converted"  # 后进转化: backward the year before, higher now (also counted as up)
    DOWN = "down"  # slipped a level or more


MOVES = (Move.UP, Move.CONVERTED, Move.DOWN)


def _pairs(move: str) -> list[tuple[str, str]]:
    """(this year's, last year's) classifications that make up a move."""
    out = []
    for new, n in CLASSIFICATION_LEVEL.items():
        for old, o in CLASSIFICATION_LEVEL.items():
            if move == Move.UP and n > o or move == Move.DOWN and n < o:
                out.append((new, old))
            elif move == Move.CONVERTED and old == Classification.BACKWARD and n > o:
                out.append((new, old))
    return out


def move_q(move: str, *, new_field="classification", old_field="previous") -> Q:
    q = Q(pk__in=[])
    for new, old in _pairs(move):
        q |= Q(**{new_field: new, old_field: old})
    return q


@dataclass(frozen=True)
class Selection:
    root: Organisation
    year: int | None
    previous: int | None
    years: list
    move: str = ""
    within: Organisation | None = None  # drill-down into the subtree of one organisation under the root


def _records(root: Organisation):
    return ClassificationRecord.objects.filter(subtree_q(root.path, include_self=False, prefix="organisation__"))


def select(root: Organisation, params) -> Selection:
    """Which years to compare and which list to open, from the query string (bad values fall back quietly)."""
    kept = ClassificationCount.objects.filter(node=root.path, n__gt=0)
    years = list(kept.order_by("-year").values_list("year", flat=True).distinct()[:YEARS_SHOWN])
    years.reverse()
    try:
        year = int(params.get("year", ""))
    except ValueError:
        year = None
    if year not in years:
        year = years[-1] if years else None
    earlier = [y for y in years if year is not None and y < year]
    move = params.get("move", "")
    if move not in MOVES + ("weak",):
        move = ""
    code = params.get("within", "").strip()
    within = None
    if code:
        within = Organisation.objects.filter(subtree_q(root.path, include_self=False), code=code).first()
    return Selection(root, year, earlier[-1] if earlier else None, years, move, within)


def _with_previous(qs, previous_year):
    """Each record with the same organisation's classification of `previous_year` (a join, not a subquery per row:
    PostgreSQL would estimate the subqueries so dear that it compiles the query with JIT, which alone takes ~2 s)."""
    last = FilteredRelation(
        "organisation__classification_records", condition=Q(organisation__classification_records__year=previous_year)
    )
    return qs.annotate(last=last).annotate(previous=F("last__classification"))


_MOVES_OF = {
    (new, old): [m for m in MOVES if (new, old) in _pairs(m)]
    for new in CLASSIFICATION_LEVEL
    for old in CLASSIFICATION_LEVEL
}


def _tally(rows, into: dict) -> dict:
    """Add (this year's, last year's classification, n) rows to `into`'s moves and its number compared."""
    for new, old, n in rows:
        into["compared"] += n
        for move in _MOVES_OF.get((new, old), ()):
            into[move] += n
    return into


def children_paths(root: Organisation, limit: int) -> list[str]:
    """The paths of the first `limit` organisations directly under `root`, in tree order: one index seek per child
    (each next child is the first path after the subtree of the one before), not a scan of the whole subtree, which
    at a province's top holds every organisation. One query."""
    table = Organisation._meta.db_table
    upper = path_successor(root.path)
    # paths are upper-case letters and digits: path || '~' sorts after all of that organisation's subtree
    sql = f"""
        WITH RECURSIVE kids(path, n) AS (
            SELECT (SELECT path FROM {table} WHERE path > %s AND path < %s ORDER BY path LIMIT 1), 1
            UNION ALL
            SELECT (SELECT o.path FROM {table} o WHERE o.path > kids.path || '~' AND o.path < %s
                    ORDER BY o.path LIMIT 1), kids.n + 1
            FROM kids WHERE kids.path IS NOT NULL AND kids.n < %s
        )
        SELECT path FROM kids WHERE path IS NOT NULL"""  # noqa: S608 (the table's name from _meta; values are parameters)
    with connection.cursor() as cur:
        cur.execute(sql, [root.path, upper, upper, limit])
        return [row[0] for row in cur.fetchall()]


def _branches(s: Selection) -> list[dict]:
    """Movement under each organisation directly under the root (the first `BRANCH_LIMIT`): the kept counts at each
    of them, and their own records. Four queries whatever the size."""
    root = s.root
    paths = children_paths(root, BRANCH_LIMIT)
    if not paths:
        return []
    orgs = list(Organisation.objects.filter(path__in=paths).order_by("path"))
    rows = {o.path: dict.fromkeys(MOVES, 0) | {"compared": 0} for o in orgs}
    present = set(
        ClassificationCount.objects.filter(node__in=paths, year=s.year, n__gt=0)
        .values_list("node", flat=True)
        .distinct()
    )
    for node, new, old, n in MoveCount.objects.filter(
        node__in=paths, year=s.year, previous_year=s.previous, n__gt=0
    ).values_list("node", "classification", "previous", "n"):
        _tally([(new, old, n)], rows[node])
    own = {}
    for org_id, year, classification in ClassificationRecord.objects.filter(
        organisation_id__in=[o.pk for o in orgs], year__in=[s.year, s.previous]
    ).values_list("organisation_id", "year", "classification"):
        own[(org_id, year)] = classification
    for o in orgs:
        new, old = own.get((o.pk, s.year)), own.get((o.pk, s.previous))
        if new is not None:
            present.add(o.path)
            if old is not None:
                _tally([(new, old, 1)], rows[o.path])
    return [
        {"org": o, "compared": rows[o.path]["compared"], "cells": [{"move": m, "n": rows[o.path][m]} for m in MOVES]}
        for o in orgs
        if o.path in present
    ]


def _moved(s: Selection) -> dict:
    """How many organisations under the root made each move: the kept counts at the root. One query."""
    rows = MoveCount.objects.filter(node=s.root.path, year=s.year, previous_year=s.previous, n__gt=0)
    return _tally(rows.values_list("classification", "previous", "n"), dict.fromkeys(MOVES, 0) | {"compared": 0})


def _moved_within(s: Selection, within: Organisation) -> dict:
    """How many in `within`'s subtree (itself included) made each move: the kept counts at it and its own
    records. Two queries."""
    out = _tally(
        MoveCount.objects.filter(node=within.path, year=s.year, previous_year=s.previous, n__gt=0).values_list(
            "classification", "previous", "n"
        ),
        dict.fromkeys(MOVES, 0) | {"compared": 0},
    )
    own = dict(
        ClassificationRecord.objects.filter(organisation=within, year__in=[s.year, s.previous]).values_list(
            "year", "classification"
        )
    )
    if s.year in own and s.previous in own:
        _tally([(own[s.year], own[s.previous], 1)], out)
    return out


def _drill(s: Selection, moved: dict, number):
    """One page of the organisations that made the chosen move, in tree order. How many there are (`moved`) comes
    from the kept counts, so the paginator asks no COUNT, and the page costs two queries whatever the size.

    The page's records are found the cheaper of two ways, chosen from those counts: when many made the move, by
    walking the organisations in tree order (the path index) and looking up each one's two records (the unique
    index) until the page is full; when few did, by reading the year's records under the root and sorting them."""
    n = moved[s.move]
    page = counted_page(ClassificationRecord.objects.none(), n, number, per_page=DRILL_PAGE)
    start, stop = page.start_index() - 1, page.end_index()
    if not n:
        ids = []
    elif stop * moved["compared"] / n < n:  # organisations walked to fill the page < records sorted
        span = subtree_q(s.within.path) if s.within is not None else subtree_q(s.root.path, include_self=False)
        orgs = Organisation.objects.filter(span).order_by("path")
        if connection.vendor == "postgresql":
            # joins: PostgreSQL estimates the move's share from the column's statistics and walks the path index; a
            # sub-select per row it would guess so rare that it compiles the query with JIT (~0.5 s)
            walk = orgs.annotate(
                this=FilteredRelation("classification_records", condition=Q(classification_records__year=s.year)),
                last=FilteredRelation("classification_records", condition=Q(classification_records__year=s.previous)),
            ).filter(move_q(s.move, new_field="this__classification", old_field="last__classification"))
            ids = list(walk.values_list("this__pk", flat=True)[start:stop])
        else:
            # sub-selects: SQLite keeps the organisations as the outer loop, in path order, and stops at the page
            mine = ClassificationRecord.objects.filter(organisation=OuterRef("pk")).order_by()
            walk = orgs.annotate(
                record=Subquery(mine.filter(year=s.year).values("pk")[:1]),
                this_year=Subquery(mine.filter(year=s.year).values("classification")[:1]),
                last_year=Subquery(mine.filter(year=s.previous).values("classification")[:1]),
            ).filter(move_q(s.move, new_field="this_year", old_field="last_year"))
            ids = list(walk.values_list("record", flat=True)[start:stop])
    else:
        qs = _with_previous(_records(s.root).filter(year=s.year), s.previous).filter(move_q(s.move))
        if s.within is not None:
            qs = qs.filter(subtree_q(s.within.path, prefix="organisation__"))
        ids = list(qs.order_by("organisation__path").values_list("pk", flat=True)[start:stop])
    rows = list(
        _with_previous(ClassificationRecord.objects.filter(pk__in=ids), s.previous)
        .select_related("organisation")
        .order_by("organisation__path")
    )
    labels = dict(Classification.choices)
    for r in rows:
        r.previous_label = labels.get(r.previous, "—")
    page.object_list = rows
    return page


def _weak(root: Organisation, number):
    """One page of the weak-and-lax organisations under the root, longest on the list first (those whose start was
    not recorded last), and how many there are."""
    weak_qs = Organisation.objects.filter(subtree_q(root.path, include_self=False), weak_and_lax=True)
    open_period = WeakAndLaxPeriod.objects.filter(organisation_id=OuterRef("pk"), end__isnull=True)
    listed = weak_qs.annotate(
        since=Subquery(open_period.values("start")[:1]),
        why=Subquery(open_period.values("reason")[:1]),
    ).order_by(F("since").asc(nulls_last=True), "path")
    page = Paginator(listed, WEAK_PAGE).get_page(number)
    page.object_list = list(page.object_list)
    now = today()
    for o in page.object_list:
        o.days = (now - o.since).days if o.since else None
    return page


def year_over_year(s: Selection, *, page=1, drill_page=1, weak_page=1) -> dict:
    """The page's figures and lists: a fixed number of queries, each reading the kept counts or one page of a
    list, whatever the number of organisations under the root."""
    root = s.root
    by_year = {
        y: {"classes": dict.fromkeys(Classification.values, 0), "ratings": dict.fromkeys(Rating.values, 0)}
        for y in s.years
    }
    for year, rating, classification, n in ClassificationCount.objects.filter(
        node=root.path, year__in=s.years, n__gt=0
    ).values_list("year", "rating", "classification", "n"):
        by_year[year]["classes"][classification] += n
        if rating:
            by_year[year]["ratings"][rating] += n

    totals = dict.fromkeys(MOVES, 0)
    branch_rows = []
    drill = None
    if s.year is not None and s.previous is not None:
        moved = _moved(s)
        totals = {m: moved[m] for m in MOVES}
        branch_rows = _branches(s)
        if s.move in MOVES:
            drill = _drill(s, _moved_within(s, s.within) if s.within is not None else moved, drill_page)

    weak = _weak(root, weak_page)

    table = Paginator(
        Organisation.objects.filter(subtree_q(root.path, include_self=False)).order_by("path"), TABLE_PAGE
    ).get_page(page)
    cells = {}
    if table.object_list:
        for r in ClassificationRecord.objects.filter(
            organisation_id__in=[o.pk for o in table.object_list], year__in=s.years
        ):
            cells[(r.organisation_id, r.year)] = r
    for o in table.object_list:
        o.years = [cells.get((o.pk, y)) for y in s.years]

    return {
        "years": s.years,
        "year": s.year,
        "previous": s.previous,
        "by_year": [{"year": y, **by_year[y]} for y in s.years],
        "totals": totals,
        "branches": branch_rows,
        "branches_more": root.numchild > BRANCH_LIMIT,
        "branch_limit": BRANCH_LIMIT,
        "drill": drill.object_list if drill is not None else [],
        "drill_page": drill,
        "weak": weak.object_list,
        "weak_page": weak,
        "table": table,
    }


def chart_json(data: dict) -> dict:
    """What the chart draws: per year, how many organisations were advanced, average and backward."""
    return {
        "years": [str(y["year"]) for y in data["by_year"]],
        "series": [
            {"key": c.value, "label": str(c.label), "data": [y["classes"][c.value] for y in data["by_year"]]}
            for c in Classification
        ],
    }
