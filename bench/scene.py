"""The scene most benchmarks start from: a synthetic tree under the city, an oversight office with one officer,
a draft review cycle over the office's scope (flows.services.synthetic writes the tree), and closed assessments
with spread scores where a benchmark needs a finished year."""

import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Scene:
    root: object
    officer: object
    office: object
    cycle: object = None


def synthetic_office(
    *, prefix: str, n: int, label: str, people=False, scope_code: str | None = None, superuser=True
) -> Scene:
    """`n` synthetic organisations under the root (created if the database has none), the office `<prefix>-ZZB`
    over the root (or over the organisation `scope_code`) and its officer."""
    from django.utils import timezone

    from flows.models import Kind, Level, Organisation, OversightOffice, User
    from flows.services.indicators import templates_load_defaults
    from flows.services.people import office_join
    from flows.services.synthetic import synthetic_tree

    templates_load_defaults()
    root = Organisation.objects.filter(depth=1).first() or Organisation.objects.add_root(
        {"code": prefix, "name": f"{label}市委", "kind": Kind.LOCAL_COMMITTEE, "level": Level.CITY}
    )
    synthetic_tree(n=n, under=root, prefix=prefix, people=people)
    scope = Organisation.objects.get(code=scope_code) if scope_code else root
    officer = User.objects.create(username=f"{prefix.lower()}-officer", real_name=label, is_superuser=superuser)
    office = OversightOffice.objects.create(
        code=f"{prefix}-ZZB", name=f"{label}组织部", kind="organisation_department", scope=scope
    )
    office_join(
        by=None, user=officer, office=office, role="officer", start=timezone.localdate().replace(month=1, day=1)
    )
    return Scene(root=root, officer=officer, office=office)


def synthetic_cycle(*, prefix: str, n: int, label: str, year: int = 2026, **options) -> Scene:
    """The office's scene and a draft cycle of `year` named after `label`; options other than the tree's go to
    cycle_create."""
    from flows.services import cycles as cycle_svc

    tree = {k: options.pop(k) for k in ("people", "scope_code", "superuser") if k in options}
    scene = synthetic_office(prefix=prefix, n=n, label=label, **tree)
    scene.cycle = cycle_svc.cycle_create(
        by=scene.officer,
        office=scene.office,
        templates=cycle_svc.default_cycle_templates(),
        year=year,
        name=f"{year}年度{label}考核",
        **options,
        **cycle_svc.due_dates_for_year(year),
    )
    return scene


def closed_assessments(cycle, org_ids, *, seed: int) -> int:
    """A finished year for `org_ids`: closed assessments with scores from 55 to 100, the rating they earn and the
    outcome it allows, written in one bulk insert."""
    from flows.models import Assessment

    template = cycle.templates.first().template
    rnd = random.Random(seed)
    rows = []
    for o in org_ids:
        s = Decimal(rnd.randint(550, 1000)) / 10
        rating = "good" if s >= 90 else "fairly_good" if s >= 80 else "average" if s >= 60 else "poor"
        rows.append(
            Assessment(
                cycle=cycle,
                organisation_id=o,
                template=template,
                state="closed",
                self_score=s,
                mass_score=s - 1,
                superior_score=s - 2,
                combined_score=s - 1,
                rating=rating,
                outcome="none" if rating in ("good", "fairly_good") else "rectification",
            )
        )
    Assessment.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
