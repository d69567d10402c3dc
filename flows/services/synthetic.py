"""A synthetic organisation tree of any size, written in bulk, for benchmarks and scale tests.

Shape: a city-like root with counties, townships under each county and grassroots organisations
under each township, rotated through the sectors. Paths are computed here and rows are written with
`bulk_create` in chunks, so 100,000 organisations take seconds rather than the minutes that
node-by-node inserts would.
"""

import itertools
import math

from django.db import transaction

from flows.models import Kind, Level, Organisation, Role, RoleAssignment, Sector, User
from flows.models.people import today

GRASSROOTS_SECTORS = [s for s in Sector.values]
CHUNK = 5000


def _shape(n: int) -> tuple[int, int]:
    """Counties and townships per county for a tree of n organisations under one root."""
    counties = max(1, min(30, n // 3000))
    townships = max(1, min(40, (n - 1 - counties) // (counties * 25)))
    return counties, townships


@transaction.atomic
def synthetic_tree(*, n: int, under: Organisation | None = None, prefix: str = "SYN", people: bool = False) -> int:
    """Add n organisations: under `under` (as a new subtree) or as the root when the tree is empty."""
    if n < 1:
        return 0
    step = Organisation.steplen

    def child_path(parent_path, i):
        return parent_path + Organisation._int2str(i).rjust(step, "0")

    if under is None:
        top_path, top_depth = Organisation._int2str(1).rjust(step, "0"), 1
    else:
        under.refresh_from_db()
        top_path, top_depth = child_path(under.path, under.numchild + 1), under.depth + 1

    counties, townships = _shape(n)
    rows: list[Organisation] = []
    counter = itertools.count(1)

    def make(path, depth, kind, level, sector="", name=""):
        code = f"{prefix}-{next(counter):06d}"
        rows.append(
            Organisation(
                path=path,
                depth=depth,
                numchild=0,
                code=code,
                name=name or code,
                short_name=code,
                kind=kind,
                level=level,
                sector=sector,
            )
        )
        return rows[-1]

    top = make(top_path, top_depth, Kind.LOCAL_COMMITTEE, Level.CITY, name=f"{prefix} 市委")
    if 1 + counties * (1 + townships) > n - 1:
        counties = 0  # too small for counties and townships: grassroots organisations straight under the top
    leaves_total = n - 1 - counties * (1 + townships)
    parents: list[Organisation] = [] if counties else [top]
    for c in range(1, counties + 1):
        county = make(
            child_path(top.path, c), top_depth + 1, Kind.LOCAL_COMMITTEE, Level.COUNTY, name=f"{prefix} 县委 {c}"
        )
        top.numchild += 1
        for t in range(1, townships + 1):
            town = make(
                child_path(county.path, t),
                top_depth + 2,
                Kind.COMMITTEE,
                Level.TOWNSHIP,
                name=f"{prefix} 镇党委 {c}-{t}",
            )
            county.numchild += 1
            parents.append(town)
    per_parent = math.ceil(leaves_total / len(parents)) if leaves_total > 0 else 0
    sectors = itertools.cycle(GRASSROOTS_SECTORS)
    remaining = leaves_total
    for parent in parents:
        for i in range(1, min(per_parent, remaining) + 1):
            make(
                child_path(parent.path, i),
                parent.depth + 1,
                Kind.BRANCH,
                Level.GRASSROOTS,
                sector=next(sectors),
                name=f"{parent.name} 党支部 {i}",
            )
            parent.numchild += 1
        remaining -= min(per_parent, remaining)
    Organisation.objects.bulk_create(rows, batch_size=CHUNK)
    if under is not None:
        Organisation.objects.filter(pk=under.pk).update(numchild=under.numchild + 1)
    if people:
        _synthetic_people(prefix=prefix)
    return len(rows)


def _synthetic_people(*, prefix: str) -> None:
    """A secretary and a leader in charge for every synthetic organisation (unusable passwords)."""
    orgs = list(Organisation.objects.filter(code__startswith=f"{prefix}-").values_list("pk", "code"))
    users = []
    for _pk, code in orgs:
        for suffix in ("s", "d"):
            u = User(username=f"{code.lower()}-{suffix}", real_name=f"{code}{suffix}")
            u.set_unusable_password()
            users.append(u)
    User.objects.bulk_create(users, batch_size=CHUNK)
    by_name = dict(User.objects.filter(username__startswith=f"{prefix.lower()}-").values_list("username", "pk"))
    start = today().replace(month=1, day=1)
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(user_id=by_name[f"{code.lower()}-{suffix}"], organisation_id=pk, role=role, start=start)
            for pk, code in orgs
            for suffix, role in (("s", Role.SECRETARY), ("d", Role.DEPUTY))
        ],
        batch_size=CHUNK,
    )
