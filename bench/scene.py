"""The scene most benchmarks start from: a synthetic tree under the city, an oversight office with one officer,
and a draft review cycle over the office's scope (flows.services.synthetic writes the tree)."""

from dataclasses import dataclass


@dataclass
class Scene:
    root: object
    officer: object
    office: object
    cycle: object


def synthetic_cycle(
    *, prefix: str, n: int, label: str, people=False, scope_code: str | None = None, superuser=True, **cycle_options
) -> Scene:
    """`n` synthetic organisations under the root (created if the database has none), the office `<prefix>-ZZB`
    over the root (or over the organisation `scope_code`), its officer, and a draft 2026 cycle named after `label`."""
    from django.utils import timezone

    from flows.models import Kind, Level, Organisation, OversightOffice, User
    from flows.services import cycles as cycle_svc
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
    cycle = cycle_svc.cycle_create(
        by=officer,
        office=office,
        templates=cycle_svc.default_cycle_templates(),
        year=2026,
        name=f"2026年度{label}考核",
        **cycle_options,
        **cycle_svc.due_dates_for_year(2026),
    )
    return Scene(root=root, officer=officer, office=office, cycle=cycle)
