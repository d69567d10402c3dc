"""The organisation tree with its people and roles (组织 and 任职 sheets).

An officer imports only within their office's scope: every organisation a row creates or changes, and every
organisation a role is given in, must be one they oversee (or one the same file creates under such).
"""

from django.utils.translation import gettext as _

from flows.excel import choices, reading
from flows.excel.import_rows import CHANGED, NEW, UNCHANGED, Importer
from flows.models import Kind, Level, Organisation, Regime, Role, RoleAssignment, Sector, User
from flows.policy.access import can_oversee_organisation
from flows.services import organisations as org_services
from flows.services import people as people_services

ORG_SHEETS = ("组织", "组织架构", "党组织")
ROLE_SHEETS = ("任职", "人员", "花名册")
ORG_COLUMNS = [
    reading.Column("code", "组织编码", ("编码", "组织代码", "党组织编码"), required=True),
    reading.Column(
        "name", "组织名称", ("名称", "党组织名称"), required=True, max_length=reading.field_length(Organisation, "name")
    ),
    reading.Column("short_name", "简称", max_length=reading.field_length(Organisation, "short_name")),
    reading.Column("kind", "组织类别", ("类别", "组织类型"), required=True),
    reading.Column("sector", "领域"),
    reading.Column("level", "层级", ("行政层级",), required=True),
    reading.Column("leading", "上级党组织编码", ("领导组织编码", "上级编码", "上级组织编码")),
    reading.Column("regime", "管理体制"),
    reading.Column("weak_and_lax", "软弱涣散"),
]
ROLE_COLUMNS = [
    reading.Column("username", "用户名", ("账号", "登录名"), required=True),
    reading.Column("real_name", "姓名", required=True, max_length=reading.field_length(User, "real_name")),
    reading.Column("title", "职务"),
    reading.Column("org", "组织编码", ("编码", "党组织编码"), required=True),
    reading.Column("role", "角色", ("责任角色",), required=True),
    reading.Column("start", "任职开始日期", ("开始日期", "任职日期"), required=True),
    reading.Column("end", "任职结束日期", ("结束日期", "离任日期")),
]
CHOICE_FIELDS = {"kind": Kind, "sector": Sector, "level": Level, "regime": Regime}
COMPARED = ("name", "short_name", "kind", "sector", "level", "regime", "weak_and_lax")
IN_CHUNK = 5000
TITLE_MAX = User._meta.get_field("title").max_length


def _chunked(values, size=IN_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


class OrganisationsImporter(Importer):
    kind = "organisations"

    def __init__(self, user, **kw):
        super().__init__(user, **kw)
        self._update_steps = []  # (sheet, row, organisation, changed fields, new leading code or None)
        self.created_orgs = {}

    def read(self, wb):
        self.orgs = reading.read_table(wb, ORG_SHEETS, ORG_COLUMNS, optional=True, progress=self.progress)
        self.roles = reading.read_table(wb, ROLE_SHEETS, ROLE_COLUMNS, optional=True, progress=self.progress)
        if self.orgs is None and self.roles is None:
            raise reading.Refused(
                _("Neither an organisation sheet nor a role sheet was found. Required columns: %(cols)s.")
                % {"cols": "、".join(c.label for c in ORG_COLUMNS if c.required)}
            )

    def plan(self, report):
        self.lookups = {f: choices.lookup(c) for f, c in CHOICE_FIELDS.items()}
        steps, creating = [], {}
        if self.orgs is not None:
            steps += self._plan_orgs(report, creating)
        if self.roles is not None:
            steps += self._plan_roles(report, creating)
        return steps

    # ---- organisations -------------------------------------------------------------------------------

    def _choice(self, report, table, n, rec, field, required):
        raw = reading.label(rec.get(field))
        if not raw:
            if required:
                report.error(table, n, field, _("This column must be filled in."))
            return ""
        value = self.lookups[field].get(raw)
        if value is None:
            report.error(
                table,
                n,
                field,
                _("“%(value)s” is not one of: %(allowed)s.")
                % {"value": raw, "allowed": "、".join(choices.zh_labels(CHOICE_FIELDS[field]))},
            )
            return ""
        return value

    def _plan_orgs(self, report, creating):
        t = self.orgs
        codes = [reading.code(rec["code"]) for _n, rec in t.rows]
        leading_codes = [reading.code(rec.get("leading")) for _n, rec in t.rows]
        existing = {}
        for chunk in _chunked(set(codes) | set(leading_codes)):
            existing.update({o.code: o for o in Organisation.objects.filter(code__in=chunk)})
        code_by_path = {o.path: o.code for o in existing.values()}
        parent_paths = {o.path[: -o.steplen] for o in existing.values() if o.depth > 1} - set(code_by_path)
        code_by_path.update(dict(Organisation.objects.filter(path__in=parent_paths).values_list("path", "code")))
        seen, rows = {}, []
        for (n, rec), code, leading in zip(t.rows, codes, leading_codes, strict=True):
            if not code:
                report.error(t, n, "code", _("This column must be filled in."))
                continue
            if code in seen:
                report.error(
                    t,
                    n,
                    "code",
                    _("Code %(code)s appears again (first in row %(row)s).") % {"code": code, "row": seen[code]},
                )
                continue
            seen[code] = n
            fields = {
                "name": reading.text(rec["name"]),
                "short_name": reading.text(rec.get("short_name")),
                "kind": self._choice(report, t, n, rec, "kind", True),
                "sector": self._choice(report, t, n, rec, "sector", False),
                "level": self._choice(report, t, n, rec, "level", True),
                "regime": self._choice(report, t, n, rec, "regime", False) or "local",
            }
            if not fields["name"]:
                report.error(t, n, "name", _("This column must be filled in."))
            try:
                fields["weak_and_lax"] = bool(reading.yes_no(rec.get("weak_and_lax")))
            except ValueError:
                report.error(t, n, "weak_and_lax", _("Write 是 or 否."))
            rows.append((n, code, leading, fields))
        new_codes = {code for _n, code, _l, _f in rows if code not in existing}
        for n, code, leading, fields in rows:
            org = existing.get(code)
            if leading and leading not in existing and leading not in new_codes:
                report.error(t, n, "leading", _("No organisation has the code %(code)s.") % {"code": leading})
                continue
            if leading == code:
                report.error(t, n, "leading", _("An organisation cannot lead itself."))
                continue
            if org is not None:
                if not can_oversee_organisation(self.user, org):
                    report.error(t, n, "code", _("%(code)s is outside the scope of your office.") % {"code": code})
                    continue
                current_leading = code_by_path.get(org.path[: -org.steplen], "") if org.depth > 1 else ""
                changes = {f: v for f, v in fields.items() if getattr(org, f) != v}
                move = leading and leading != current_leading
                if move and leading in existing and not can_oversee_organisation(self.user, existing[leading]):
                    report.error(
                        t, n, "leading", _("%(code)s is outside the scope of your office.") % {"code": leading}
                    )
                    continue
                if not changes and not move:
                    report.add(t.sheet, n, UNCHANGED, code)
                    continue
                summary = f"{code} {fields['name']}：" + "、".join(
                    [str(Organisation._meta.get_field(f).verbose_name) for f in changes]
                    + ([_("leading organisation")] if move else [])
                )
                report.add(t.sheet, n, CHANGED, summary)
                self._update_steps.append((t.sheet, n, org, changes, leading if move else None))
            else:
                if not leading:
                    if not self.user.is_superuser:
                        report.error(t, n, "leading", _("Give the code of the leading organisation."))
                        continue
                elif leading in existing and not can_oversee_organisation(self.user, existing[leading]):
                    report.error(
                        t, n, "leading", _("%(code)s is outside the scope of your office.") % {"code": leading}
                    )
                    continue
                report.add(t.sheet, n, NEW, f"{code} {fields['name']}")
                creating[code] = (n, leading, fields)
        return self._org_steps(report, existing, creating)

    def _org_steps(self, report, existing, creating):
        """New organisations in an order where each one's leading organisation exists before it."""
        orgs = dict(existing)
        ordered, placed = [], set(existing)
        pending = dict(creating)
        while pending:
            ready = [c for c, (_n, leading, _f) in pending.items() if not leading or leading in placed]
            if not ready:
                for c, (n, _l, _f) in pending.items():
                    report.error(self.orgs, n, "leading", _("The leading chain of %(code)s loops.") % {"code": c})
                break
            for c in ready:
                ordered.append((c, *pending.pop(c)))
                placed.add(c)

        def create(code, leading, fields):
            def step():
                orgs[code] = org_services.organisation_create(
                    by=self.user, leading=orgs[leading] if leading else None, code=code, **fields
                )

            return step

        def update(org, changes, leading):
            def step():
                kwargs = {"leading": orgs[leading]} if leading else {}
                org_services.organisation_update(by=self.user, organisation=org, **changes, **kwargs)

            return step

        self.created_orgs = orgs
        steps = [(self.orgs.sheet, n, create(code, leading, fields)) for code, n, leading, fields in ordered]
        steps += [(sheet, n, update(org, ch, lead)) for sheet, n, org, ch, lead in self._update_steps]
        return steps

    # ---- roles -----------------------------------------------------------------------------------------

    def _plan_roles(self, report, creating):
        t = self.roles
        role_lookup = choices.lookup(Role)
        parsed = []
        for n, rec in t.rows:
            username, real_name = reading.code(rec["username"]), reading.text(rec["real_name"])
            org_code = reading.code(rec["org"])
            ok = True
            for key, value in (("username", username), ("real_name", real_name), ("org", org_code)):
                if not value:
                    report.error(t, n, key, _("This column must be filled in."))
                    ok = False
            role = role_lookup.get(reading.label(rec["role"]))
            if role is None:
                report.error(
                    t,
                    n,
                    "role",
                    _("“%(value)s” is not one of: %(allowed)s.")
                    % {"value": reading.text(rec["role"]), "allowed": "、".join(choices.zh_labels(Role))},
                )
                ok = False
            dates = {}
            for key in ("start", "end"):
                try:
                    dates[key] = reading.date(rec.get(key))
                except ValueError:
                    report.error(t, n, key, _("Not a date: write it as 2026-03-01 or 2026年3月1日."))
                    ok = False
            if ok and dates["start"] is None:
                report.error(t, n, "start", _("This column must be filled in."))
                ok = False
            if ok and dates["end"] is not None and dates["end"] < dates["start"]:
                report.error(t, n, "end", _("The end date cannot be before the start date."))
                ok = False
            if ok:
                parsed.append((n, rec, username, real_name, org_code, role, dates["start"], dates["end"]))
        usernames = {p[2] for p in parsed}
        org_codes = {p[4] for p in parsed}
        users, orgs = {}, {}
        for chunk in _chunked(usernames):
            users.update({u.username: u for u in User.objects.filter(username__in=chunk)})
        for chunk in _chunked(org_codes):
            orgs.update({o.code: o for o in Organisation.objects.filter(code__in=chunk)})
        role_labels = {v: choices.zh_label(Role, v) for v in Role.values}  # not one translation switch per row
        held, single_holders = {}, {}
        code_of = {o.pk: c for c, o in orgs.items()}
        for chunk in _chunked([o.pk for o in orgs.values()]):
            for ra in RoleAssignment.objects.filter(organisation_id__in=chunk).select_related("user"):
                held[(ra.user_id, ra.organisation_id, ra.role, ra.start)] = ra
                if ra.role in people_services.SINGLE_HOLDER_ROLES:
                    single_holders.setdefault((code_of[ra.organisation_id], ra.role), []).append(
                        (ra.user_id, ra.start, ra.end, ra.user.real_name)
                    )
        overseen = {}
        new_people, new_roles, ends, seen = {}, [], [], {}
        retitles = {}  # user id (username for a new person) -> (user or None, title, first row)
        for n, rec, username, real_name, org_code, role, start, end in parsed:
            org = orgs.get(org_code)
            if org is None and org_code not in creating:
                report.error(t, n, "org", _("No organisation has the code %(code)s.") % {"code": org_code})
                continue
            if org is not None:
                if org.pk not in overseen:
                    overseen[org.pk] = can_oversee_organisation(self.user, org)
                if not overseen[org.pk]:
                    report.error(t, n, "org", _("%(code)s is outside the scope of your office.") % {"code": org_code})
                    continue
            user = users.get(username)
            if user is not None and user.real_name != real_name:
                report.error(
                    t,
                    n,
                    "real_name",
                    _("User name %(username)s belongs to %(name)s, not %(typed)s.")
                    % {"username": username, "name": user.real_name, "typed": real_name},
                )
                continue
            title = reading.text(rec.get("title"))
            if len(title) > TITLE_MAX:
                report.error(t, n, "title", _("At most %(n)s characters.") % {"n": TITLE_MAX})
                continue
            # a job title (职务) is the person's own: typed differently from the stored one it changes it (every row
            # that changes it must agree); left empty, it changes nothing
            retitle = user is not None and bool(title) and title != reading.text(user.title)
            first = retitles.get(user.pk if user else username) if (retitle or (user is None and title)) else None
            if first and first[1] != title:
                report.error(
                    t,
                    n,
                    "title",
                    _("User name %(username)s is given two job titles (“%(first)s” in row %(row)s).")
                    % {"username": username, "first": first[1], "row": first[2]},
                )
                continue
            if retitle or (user is None and title):
                retitles.setdefault(user.pk if user else username, (user, title, n))
            if user is None:
                other = new_people.get(username)
                if other and other["real_name"] != real_name:
                    report.error(
                        t, n, "real_name", _("User name %(username)s is given two names.") % {"username": username}
                    )
                    continue
                person = new_people.setdefault(username, {"username": username, "real_name": real_name, "title": ""})
                person["title"] = person["title"] or title
            key = (username, org_code, role, start)
            if key in seen:
                report.error(
                    t, n, "username", _("The same role appears again (first in row %(row)s).") % {"row": seen[key]}
                )
                continue
            seen[key] = n
            existing = held.get((user.pk, org.pk, role, start)) if (user and org) else None
            label = f"{real_name} · {org_code} · {role_labels[role]} · {start}"
            if retitle:
                label += f"（{_('job title')} {user.title or '—'} → {title}）"
            if existing is not None:
                if existing.end != end:
                    label += f"（{_('end date')} {end or '—'}）"
                    ends.append((existing, end))
                report.add(t.sheet, n, CHANGED if existing.end != end or retitle else UNCHANGED, label)
                continue
            if role in people_services.SINGLE_HOLDER_ROLES:
                holders = single_holders.setdefault((org_code, role), [])
                who = user.pk if user else username
                clash = next(
                    (
                        h
                        for h in holders
                        if h[0] != who and (h[2] is None or h[2] >= start) and (end is None or h[1] <= end)
                    ),
                    None,
                )
                if clash:
                    report.error(
                        t,
                        n,
                        "role",
                        _("%(org)s already has a %(role)s in this period (%(person)s). End that role first.")
                        % {"org": org_code, "role": role_labels[role], "person": clash[3]},
                    )
                    continue
                holders.append((who, start, end, real_name))
            report.add(t.sheet, n, NEW, label)
            new_roles.append(
                {
                    "username": username,
                    "user": user,
                    "org_code": org_code,
                    "role": role,
                    "start": start,
                    "end": end,
                    "row": n,
                }
            )
        steps = []
        changes = [(user, title, n) for user, title, n in retitles.values() if user is not None]
        if changes:

            def retitle_step():
                people_services.people_retitle(by=self.user, titles=[(user, title) for user, title, _n in changes])

            steps.append((t.sheet, changes[0][2], retitle_step))
        if not new_people and not new_roles and not ends:
            return steps

        def step():
            organisations = self.created_orgs | orgs
            roles = [
                {
                    "user": r["user"],
                    "username": r["username"],
                    "organisation": organisations[r["org_code"]],
                    "role": r["role"],
                    "start": r["start"],
                    "end": r["end"],
                }
                for r in new_roles
            ]
            if any(r["organisation"].pk is None for r in roles):  # created in this import: fetch their keys
                fresh = {o.code: o for o in Organisation.objects.filter(code__in=[r["org_code"] for r in new_roles])}
                for r, spec in zip(roles, new_roles, strict=True):
                    r["organisation"] = fresh[spec["org_code"]]
            people_services.roster_import(by=self.user, people=list(new_people.values()), roles=roles, role_ends=ends)

        self.progress(len(t.rows), len(t.rows))
        return [*steps, (t.sheet, new_roles[0]["row"] if new_roles else t.header_row, step)]
