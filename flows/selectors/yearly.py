"""Year over year (逐年对比): ratings and classifications of the organisations under one organisation, across the
years recorded, with who moved up a level (晋位升级), which backward organisations moved up (后进转化), who slipped
down, and the weak-and-lax list (软弱涣散) with how long each has been on it.

The figures come from the counts kept with the classification records (`flows.models.counts`: per leading
organisation, by year, rating and classification, and by the move between two years): the rows at the root, and
at each organisation directly under it (plus those organisations' own records), so the page costs the same
number of queries, and reads about as many rows, for 50 organisations or 100,000. Lists are capped; the table
of organisations is paged.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, Subquery
from django.db.models.functions import Length

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

YEARS_SHOWN = 5
DRILL_LIMIT = 300
WEAK_LIMIT = 300
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


def move_q(move: str) -> Q:
    q = Q(pk__in=[])
    for new, old in _pairs(move):
        q |= Q(classification=new, previous=old)
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


def year_over_year(s: Selection, *, page=1) -> dict:
    root = s.root
    records = _records(root)
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

    # movement between the two years, per subtree directly under the root: the kept counts under each of them, and
    # their own records
    branches: dict[str, dict] = {}
    totals = dict.fromkeys(MOVES, 0)
    if s.year is not None and s.previous is not None:
        width = len(root.path) + root.steplen
        under = (
            Q(node__gt=root.path, node__lt=path_successor(root.path)) if root.path else Q(node__gt="")
        )  # the kept rows of the organisations directly under the root
        grouped = [
            (node, new, old, n)
            for node, new, old, n in MoveCount.objects.annotate(width=Length("node"))
            .filter(under, width=width, year=s.year, previous_year=s.previous, n__gt=0)
            .values_list("node", "classification", "previous", "n")
        ]
        present = ClassificationCount.objects.annotate(width=Length("node")).filter(
            under, width=width, year=s.year, n__gt=0
        )
        grouped += [(node, None, None, 0) for node in present.values_list("node", flat=True).distinct()]
        grouped += list(
            _with_previous(
                records.filter(year=s.year, organisation__depth=root.depth + 1),
                s.previous,
            )
            .values_list("organisation__path", "classification", "previous")
            .annotate(n=Count("pk"))
        )
        for branch, new, old, n in grouped:
            row = branches.setdefault(branch, dict.fromkeys(MOVES, 0) | {"compared": 0})
            if old is None:
                continue
            row["compared"] += n
            for move in MOVES:
                if (new, old) in _pairs(move):
                    row[move] += n
                    totals[move] += n
    names = {o.path: o for o in Organisation.objects.filter(path__in=list(branches))} if branches else {}
    branch_rows = [
        {"org": names[p], "compared": row["compared"], "cells": [{"move": m, "n": row[m]} for m in MOVES]}
        for p, row in sorted(branches.items())
        if p in names
    ]

    drill = []
    if s.move in MOVES and s.year is not None and s.previous is not None:
        qs = _with_previous(records.filter(year=s.year), s.previous).filter(move_q(s.move))
        if s.within is not None:
            qs = qs.filter(subtree_q(s.within.path, prefix="organisation__"))
        drill = list(qs.select_related("organisation").order_by("organisation__path")[:DRILL_LIMIT])
        labels = dict(Classification.choices)
        for r in drill:
            r.previous_label = labels.get(r.previous, "—")

    weak_qs = Organisation.objects.filter(subtree_q(root.path, include_self=False), weak_and_lax=True)
    open_period = WeakAndLaxPeriod.objects.filter(organisation_id=OuterRef("pk"), end__isnull=True)
    weak = list(
        weak_qs.annotate(
            since=Subquery(open_period.values("start")[:1]),
            why=Subquery(open_period.values("reason")[:1]),
        ).order_by("path")[:WEAK_LIMIT]
    )
    now = today()
    for o in weak:
        o.days = (now - o.since).days if o.since else None
    weak.sort(key=lambda o: (o.since is None, o.since or now, o.path))

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
        "drill": drill,
        "drill_limit": DRILL_LIMIT,
        "weak": weak,
        "weak_limit": WEAK_LIMIT,
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
