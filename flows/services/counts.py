"""Keeping the counts of `flows.models.counts` equal to what they count, in the transaction of each write.

Writers call, inside their transaction:

* `before_change(subject)` / `after_change(subject, before)` around a write to an assessment's stage or rating
  (the step service does it for every step; `rating_change` for ratings changed after the review). The stored
  row is read before the write, so whatever the caller changed on the object in memory is counted right.
* `assessments_added(cycle, org_ids)` after a launch chunk's bulk insert.
* `records_before(org_id)` / `records_after(org_id, before)` around a write to one organisation's classification
  records; `classifications_rebuild(year=...)` after a bulk write of a year (a cycle closing).
* `organisation_changed(org, moved=...)` after an organisation's sector, level or place in the tree changed: the
  counts of the cycles and years it takes part in are rebuilt (rare, and the only way all of its subtree's rows
  move at once).

Each change is one `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` statement with its rows in key order,
so concurrent writers on PostgreSQL add up without losing an update and lock the rows in the same order (no
deadlock between two steps); SQLite serialises writers (immediate transactions). `cycle_counts_rebuild`,
`classifications_rebuild` and the `*_drift` checks recount from the source rows (`manage.py counts`).
"""

from collections import Counter, defaultdict
from itertools import combinations

from django.db import connection, transaction
from django.db.models import Q

from flows.models import Assessment, ClassificationRecord, Organisation, ReviewCycle
from flows.models.compiled import CompiledQuery
from flows.models.counts import AssessmentCount, ClassificationCount, MoveCount
from flows.models.state_groups import OUTCOME_STAGES

STEP = Organisation.steplen
BATCH = 500
ASSESSMENT_KEY = ("node", "state", "rating", "sector", "level")
YEAR_KEY = ("node", "year", "rating", "classification")
MOVE_KEY = ("node", "year", "previous_year", "classification", "previous")
_SOURCE = ("state", "rating", "organisation__path", "organisation__sector", "organisation__level")
_RECORD = ("organisation_id", "organisation__path", "year", "rating", "classification")


def nodes_of(path: str) -> list[str]:
    """Where an assessment is counted: the whole cycle (""), each leading organisation and its own."""
    return [""] + [path[:i] for i in range(STEP, len(path) + 1, STEP)]


def leading_of(path: str) -> list[str]:
    """Where a classification record is counted: each leading organisation (year over year leaves out the root)."""
    return [path[:i] for i in range(STEP, len(path), STEP)]


# ---- the arithmetic, on plain tuples (the migration that fills the tables uses it too) --------------------------


def assessment_counter(source) -> Counter:
    """(state, rating, path, sector, level) rows → counts keyed like `ASSESSMENT_KEY`. The rating is counted only
    where it is a result (a stage the review decided; `flows.selectors.results.counted`): the review writes it onto
    the assessment just before its step, and that write changes no figure."""
    out = Counter()
    for state, rating, path, sector, level in source:
        rating = rating if state in OUTCOME_STAGES else ""
        for node in nodes_of(path):
            out[(node, state, rating, sector or "", level or "")] += 1
    return out


def assessment_rows(source) -> list[dict]:
    return [dict(zip(ASSESSMENT_KEY, k, strict=True), n=n) for k, n in assessment_counter(source).items() if n]


def classification_counters(records) -> tuple[Counter, Counter]:
    """(organisation_id, path, year, rating, classification) rows → (counts keyed like `YEAR_KEY`, like `MOVE_KEY`)."""
    years, moves = Counter(), Counter()
    by_org = defaultdict(list)
    for org_id, path, year, rating, classification in records:
        by_org[org_id].append((path, year, rating or "", classification or ""))
    for rows in by_org.values():
        path = rows[0][0]
        leading = leading_of(path)
        for node in leading:
            for _p, year, rating, classification in rows:
                years[(node, year, rating, classification)] += 1
            for (_p1, y1, _r1, c1), (_p2, y2, _r2, c2) in combinations(rows, 2):
                later, earlier = ((y1, c1), (y2, c2)) if y1 > y2 else ((y2, c2), (y1, c1))
                moves[(node, later[0], earlier[0], later[1], earlier[1])] += 1
    return years, moves


def classification_rows(records) -> tuple[list[dict], list[dict]]:
    years, moves = classification_counters(records)
    return (
        [dict(zip(YEAR_KEY, k, strict=True), n=n) for k, n in years.items() if n],
        [dict(zip(MOVE_KEY, k, strict=True), n=n) for k, n in moves.items() if n],
    )


# ---- adding to the stored counts ------------------------------------------------------------------------------


def _add(model, key: tuple, deltas: Counter, **fixed) -> None:
    """Add `deltas` (key tuple → ±n) to `model`'s rows, creating missing rows: one upsert per batch, rows in key
    order."""
    rows = sorted((k, d) for k, d in deltas.items() if d)
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = [*fixed, *key]
    names = ", ".join(q(c) for c in columns)
    one = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    for i in range(0, len(rows), BATCH):
        batch = rows[i : i + BATCH]
        params = []
        for k, d in batch:
            params += [*fixed.values(), *k, d]
        # table and column names from _meta and fixed fragments; every value is a parameter
        sql = (
            f"INSERT INTO {table} ({names}, {q('n')}) VALUES {', '.join([one] * len(batch))} "  # noqa: S608
            f"ON CONFLICT ({names}) DO UPDATE SET {q('n')} = {table}.{q('n')} + excluded.{q('n')}"
        )
        with connection.cursor() as cur:
            cur.execute(sql, params)


def _in_transaction():
    assert transaction.get_connection().in_atomic_block, "counts change inside the writer's transaction"


# what `before_change` reads (compiled once per process: it runs on every step)
_COUNTED_AS = CompiledQuery(
    lambda pk: Assessment.objects.filter(pk=pk).order_by().values_list("cycle_id", *_SOURCE), pk=int
)


def before_change(subject):
    """What the stored row counts as now (None for anything these counts do not count)."""
    if not isinstance(subject, Assessment) or subject.pk is None:
        return None
    found = _COUNTED_AS(pk=subject.pk)
    return found[0] if found else None


def after_change(subject, before) -> None:
    """Move the assessment's count from what `before_change` read to its stage and rating now (saved)."""
    if before is None:
        return
    _in_transaction()
    cycle_id, state, rating, path, sector, level = before
    if (subject.state, subject.rating if subject.state in OUTCOME_STAGES else "") == (
        state,
        rating if state in OUTCOME_STAGES else "",
    ):
        return
    deltas = assessment_counter([(subject.state, subject.rating, path, sector, level)])
    deltas.subtract(assessment_counter([(state, rating, path, sector, level)]))
    _add(AssessmentCount, ASSESSMENT_KEY, deltas, cycle_id=cycle_id)


def assessments_added(cycle: ReviewCycle, org_ids) -> None:
    """Count the assessments just inserted for `org_ids` in `cycle` (a launch chunk)."""
    _in_transaction()
    source = Assessment.objects.filter(cycle=cycle, organisation_id__in=list(org_ids)).values_list(*_SOURCE)
    _add(AssessmentCount, ASSESSMENT_KEY, assessment_counter(source), cycle_id=cycle.pk)


def _org_records(org_id) -> list:
    return list(ClassificationRecord.objects.filter(organisation_id=org_id).values_list(*_RECORD))


def records_before(org_id):
    """One organisation's classification records as stored now (for `records_after`)."""
    return _org_records(org_id)


def records_after(org_id, before) -> None:
    """Move the counts from the organisation's records as they were (`records_before`) to what is stored now."""
    _in_transaction()
    years, moves = classification_counters(_org_records(org_id))
    old_years, old_moves = classification_counters(before)
    years.subtract(old_years)
    moves.subtract(old_moves)
    _add(ClassificationCount, YEAR_KEY, years)
    _add(MoveCount, MOVE_KEY, moves)


# ---- recounting -----------------------------------------------------------------------------------------------


def _cycle_source(cycle_id):
    return Assessment.objects.filter(cycle_id=cycle_id).values_list(*_SOURCE).iterator(chunk_size=5000)


@transaction.atomic
def cycle_counts_rebuild(cycle: ReviewCycle) -> int:
    """Recount the cycle's assessments from scratch; returns the number of rows written."""
    AssessmentCount.objects.filter(cycle_id=cycle.pk).delete()
    rows = [AssessmentCount(cycle_id=cycle.pk, **r) for r in assessment_rows(_cycle_source(cycle.pk))]
    AssessmentCount.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def cycle_counts_drift(cycle: ReviewCycle) -> dict:
    """{key: (stored, counted)} wherever the stored counts differ from a recount (empty: none)."""
    counted = assessment_counter(_cycle_source(cycle.pk))
    stored = Counter(
        {
            tuple(row[:-1]): row[-1]
            for row in AssessmentCount.objects.filter(cycle_id=cycle.pk).values_list(*ASSESSMENT_KEY, "n")
        }
    )
    return _differences(stored, counted)


def _differences(stored: Counter, counted: Counter) -> dict:
    return {k: (stored[k], counted[k]) for k in set(stored) | set(counted) if stored[k] != counted[k]}


def _records(year=None):
    qs = ClassificationRecord.objects.all()
    if year is not None:
        qs = qs.filter(organisation_id__in=ClassificationRecord.objects.filter(year=year).values("organisation_id"))
    return qs.values_list(*_RECORD).iterator(chunk_size=5000)


@transaction.atomic
def classifications_rebuild(*, year: int | None = None) -> int:
    """Recount year over year from the classification records: all years, or only what involves `year` (after a
    cycle of that year closed). Returns the number of rows written."""
    years, moves = classification_counters(_records(year))
    if year is None:
        ClassificationCount.objects.all().delete()
        MoveCount.objects.all().delete()
    else:
        ClassificationCount.objects.filter(year=year).delete()
        MoveCount.objects.filter(Q(year=year) | Q(previous_year=year)).delete()
        years = Counter({k: n for k, n in years.items() if k[1] == year})
        moves = Counter({k: n for k, n in moves.items() if year in (k[1], k[2])})
    year_rows = [ClassificationCount(**dict(zip(YEAR_KEY, k, strict=True)), n=n) for k, n in years.items() if n]
    move_rows = [MoveCount(**dict(zip(MOVE_KEY, k, strict=True)), n=n) for k, n in moves.items() if n]
    ClassificationCount.objects.bulk_create(year_rows, batch_size=2000)
    MoveCount.objects.bulk_create(move_rows, batch_size=2000)
    return len(year_rows) + len(move_rows)


def classifications_drift() -> dict:
    years, moves = classification_counters(_records())
    stored_years = Counter({tuple(r[:-1]): r[-1] for r in ClassificationCount.objects.values_list(*YEAR_KEY, "n")})
    stored_moves = Counter({tuple(r[:-1]): r[-1] for r in MoveCount.objects.values_list(*MOVE_KEY, "n")})
    return {("year", *k): v for k, v in _differences(stored_years, years).items()} | {
        ("move", *k): v for k, v in _differences(stored_moves, moves).items()
    }


def organisation_changed(org: Organisation, *, moved: bool) -> None:
    """After an organisation's sector or level changed, or it moved in the tree (with its subtree): recount the
    cycles it is assessed in (all of its subtree's cycles if it moved), and year over year if it moved."""
    _in_transaction()
    org.refresh_from_db(fields=["path"])
    orgs = Organisation.objects.filter(pk=org.pk) if not moved else org.subtree()
    cycles = Assessment.objects.filter(organisation__in=orgs).order_by().values_list("cycle_id", flat=True).distinct()
    for cycle in ReviewCycle.objects.filter(pk__in=list(cycles)):
        cycle_counts_rebuild(cycle)
    if moved:
        classifications_rebuild()
