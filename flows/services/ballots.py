"""Anonymous ballots: campaigns, single-use codes, casting, the tally with small-group suppression, receipts.

A code is random (`secrets`), shown once (on the printed sheet) and stored only as a keyed hash. Casting redeems
the code and inserts the ballot in one transaction: `UPDATE … SET used = true WHERE used = false` must touch
exactly one row, or nothing is stored. The ballot gets a fresh random receipt code, unrelated to the voting code;
only the receipt's hash is kept, and after the close the list of receipt hashes is published with the tally.

Weights and turnout (issue 17). Each voter group has a weight (`VoterGroup`, 1 unless the office changed it while
the campaign was prepared): every mark of a ballot of that group counts `weight` times, so a subject's score is
Σ_g w_g·points_g / Σ_g w_g·marks_g over the groups that voted — equal weights give the plain mean of all ballots,
as before weights existed; with equal group sizes it is Σ w_g·score_g / Σ w_g. Groups too small to show (the
tally's hidden groups, topped up with the smallest shown group while they hold fewer than k ballots together)
count as one: each of their ballots with the ballot-weighted mean of their weights. So the published score, the
weights and the counts never isolate the marks of fewer than k voters; no per-group score is shown anywhere.
The turnout of a campaign is the share of its issued codes that voted (every ballot marks every subject, so
this is each subject's turnout too). Under the campaign's minimum turnout no mass score counts: the assessments
move on without one (the cycle's weights then rescale, see `domain.scoring`), and the reason is written in the
audit row of the close and shown with the results.
"""

import functools
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.domain import ballot_seal, numbers
from flows.models import (
    POINTS_BY_VALUE,
    AppraisalMark,
    AuditEntry,
    Ballot,
    BallotForm,
    BallotMark,
    Campaign,
    CampaignKind,
    CampaignState,
    CampaignSubject,
    LeaderComment,
    MemberRating,
    Satisfaction,
    Stage,
    VoterToken,
)
from flows.models.ballots import VoterGroup
from flows.policy import access
from flows.selectors.audit_head import audit_head
from flows.services.audit import audit_record
from flows.services.steps import step_take

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
CODE_LENGTH = 10  # 50 bits
MAX_BATCH = 5000


class BallotRefused(Exception):
    """A clear reason why this code cannot vote (shown on the public page); nothing was stored."""


class BallotIncomplete(BallotRefused):
    """The ballot misses an answer or has one that is not on the form; the code is still unused."""


def _key() -> bytes:
    return (settings.BALLOT_KEY or settings.SECRET_KEY).encode()


def normalise_code(text: str) -> str:
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def code_hash(campaign: Campaign, code: str) -> str:
    return hmac.new(_key(), f"{campaign.pk}:{normalise_code(code)}".encode(), hashlib.sha256).hexdigest()


def receipt_hash(receipt: str) -> str:
    return hashlib.sha256(normalise_code(receipt).encode()).hexdigest()


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _new_code() -> str:
    """CODE_LENGTH symbols drawn uniformly from CODE_ALPHABET (5 random bits each, from one call to the OS's
    random source: ten calls of secrets.choice cost a quarter of a cast's CPU time)."""
    bits = int.from_bytes(secrets.token_bytes((5 * CODE_LENGTH + 7) // 8), "big")
    return "".join(CODE_ALPHABET[(bits >> (5 * n)) & 31] for n in range(CODE_LENGTH))


def answers_for(campaign: Campaign) -> list[tuple[str, str]]:
    if campaign.form == BallotForm.MEMBER_RATING:
        return list(MemberRating.choices)
    if campaign.form == BallotForm.APPRAISAL:
        return list(AppraisalMark.choices)
    return list(Satisfaction.choices)


def dimensions_for(campaign: Campaign) -> list[tuple[str, str]]:
    """The marks a ballot gives each subject: one overall, or one per 五好 dimension."""
    if campaign.form != BallotForm.DIMENSIONS:
        return [("", "")]
    subject = campaign.subjects.exclude(assessment=None).select_related("assessment__template").first()
    if subject is None:
        return [("", "")]
    return list(subject.assessment.template.dimensions.values_list("code", "name"))


# ---- campaigns -----------------------------------------------------------------------------------------


def _min_turnout(value) -> Decimal:
    try:
        number = numbers.number_in(value, field=_("Minimum turnout (%)"), low=0, high=100, places=1)
    except numbers.NotANumber as exc:
        raise ValidationError({"min_turnout_percent": exc.message}) from None
    return Decimal(0) if number is None else number


@transaction.atomic
def campaign_create(
    *,
    by,
    office,
    kind,
    form,
    title,
    closes_at,
    subjects,
    cycle=None,
    k_threshold=5,
    min_turnout_percent=0,
    for_meeting=False,
) -> Campaign:
    """`subjects`: a list of {"organisation", "assessment" (optional), "person" (optional), "label"}.
    `min_turnout_percent`: the share of issued codes that must vote before a mass score counts (0 = none).
    A report-and-review meeting's appraisal is made only with its meeting (`meetings.meeting_create`,
    `for_meeting`), which turns its ballots into each reporter's result; on its own it would reach no result."""
    if office.pk not in access.offices_of(by):
        raise PermissionDenied(_("Only officers of the oversight office run its evaluations."))
    if kind == CampaignKind.REPORT_MEETING and not for_meeting:
        raise ValidationError(
            {
                "kind": _(
                    "The appraisal of a report-and-review meeting is prepared with the meeting itself "
                    "(述职评议 → 新建述职评议会), so that its ballots give each reporter a result."
                )
            }
        )
    min_turnout_percent = _min_turnout(min_turnout_percent)
    if not subjects:
        raise ValidationError({"subjects": _("Choose who is evaluated.")})
    if closes_at <= timezone.now():
        raise ValidationError({"closes_at": _("The closing time must be in the future.")})
    if k_threshold < 3:
        raise ValidationError({"k_threshold": _("The smallest group shown must be at least 3.")})
    for s in subjects:
        if not s["organisation"].path.startswith(office.scope.path):
            raise ValidationError(
                {"subjects": _("%(org)s is outside the office's scope.") % {"org": s["organisation"]}}
            )
        a = s.get("assessment")
        if a is not None:
            a.refresh_from_db()
        if a is not None and (kind != CampaignKind.MASS or a.state != Stage.MASS_EVALUATION):
            raise ValidationError(
                {"subjects": _("%(org)s is not at the mass evaluation stage.") % {"org": a.organisation}}
            )
    c = Campaign.objects.create(
        office=office,
        kind=kind,
        form=form,
        title=title.strip(),
        closes_at=closes_at,
        cycle=cycle,
        k_threshold=k_threshold,
        min_turnout_percent=min_turnout_percent,
        created_by=by,
    )
    CampaignSubject.objects.bulk_create(
        [
            CampaignSubject(
                campaign=c,
                organisation=s["organisation"],
                assessment=s.get("assessment"),
                person=s.get("person"),
                label=s.get("label") or str(s.get("person") or s["organisation"]),
                order=n,
            )
            for n, s in enumerate(subjects)
        ]
    )
    audit_record(actor=by, action="campaign.create", subject=c, to_value=c.state)
    return c


def campaign_for_assessment(
    *, by, assessment, closes_at, form=BallotForm.SATISFACTION, k_threshold=5, min_turnout_percent=0
) -> Campaign:
    return campaign_create(
        by=by,
        office=assessment.cycle.office,
        kind=CampaignKind.MASS,
        form=form,
        cycle=assessment.cycle,
        title=_("Mass evaluation of %(org)s") % {"org": assessment.organisation.name},
        closes_at=closes_at,
        subjects=[
            {"organisation": assessment.organisation, "assessment": assessment, "label": assessment.organisation.name}
        ],
        k_threshold=k_threshold,
        min_turnout_percent=min_turnout_percent,
    )


@transaction.atomic
def campaign_weights_set(*, by, campaign, weights: dict, min_turnout_percent) -> Campaign:
    """The office sets each voter group's weight and the minimum turnout while the campaign is prepared.
    `weights`: {group name: weight as typed}. Refused once voting has opened: the rules of a vote are fixed
    before anyone votes."""
    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not access.can_run_campaign(by, c):
        raise PermissionDenied(_("Only officers of the oversight office run its evaluations."))
    if c.state != CampaignState.DRAFT:
        raise ValidationError(
            _("The weights and the minimum turnout are fixed once voting has opened: they can no longer be changed.")
        )
    groups = {g.name: g for g in c.voter_groups.all()}
    unknown = [name for name in weights if name not in groups]
    if unknown:
        raise ValidationError({"weights": _("Unknown voter group: %(groups)s") % {"groups": "、".join(unknown)}})
    parsed = {}
    for name, value in weights.items():
        field = _("Weight of %(group)s") % {"group": name}
        try:
            number = numbers.number_in(value, field=field, low=Decimal("0.01"), high=100, places=2)
        except numbers.NotANumber as exc:
            raise ValidationError({"weights": exc.message}) from None
        if number is None:
            raise ValidationError({"weights": _("%(field)s: enter a weight.") % {"field": field}})
        parsed[name] = number
    c.min_turnout_percent = _min_turnout(min_turnout_percent)
    c.save(update_fields=["min_turnout_percent"])
    for name, number in parsed.items():
        groups[name].weight = number
    VoterGroup.objects.bulk_update([groups[name] for name in parsed], ["weight"])
    minimum = _("minimum turnout")
    summary = "；".join(f"{g.name} × {_plain(g.weight)}" for g in groups.values())
    audit_record(
        actor=by,
        action="campaign.weights",
        subject=c,
        to_value=f"{summary}；{minimum} {_plain(c.min_turnout_percent)}%",
    )
    return c


def _plain(number: Decimal) -> str:
    """A number as people write it: 2 not 2.00, 0.5 not 0.50."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _move(c: Campaign, method_name: str, *, by, system=False, comment=""):
    step_take(
        c,
        method_name,
        by=by,
        system=system,
        comment=comment,
        stale=ValidationError(
            _("The evaluation is “%(state)s”: this cannot be done now.") % {"state": c.get_state_display()}
        ),
        refused=PermissionDenied(_("Only officers of the oversight office run its evaluations.")),
        unmet=ValidationError(_("Add who is evaluated first.")),
    )


@transaction.atomic
def campaign_open(*, by, campaign) -> Campaign:
    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _move(c, "open", by=by)
    return c


@transaction.atomic
def campaign_close(*, by, campaign, system=False) -> Campaign:
    """Close the voting. For a mass evaluation, each assessment gets the tally as its mass score and moves on to
    the superior review (a subject with fewer than k ballots gets no score: too few to be reliable or anonymous;
    under the campaign's minimum turnout no subject gets one, and the close's audit row says why)."""
    from flows.services import assessments as assessment_services

    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    check = turnout_check(c)
    digest, counts = count_digest(c)  # the count is sealed with the close, in its transaction
    head = audit_head()  # the audit chain's end when the count was sealed, printed with the results
    counts["audit_head"] = {"seq": head[0], "hash": head[1]} if head else None
    # the close's own audit row carries the seal too: digest, ballots, totals and the head (the seal row below
    # keeps them as data for the results page and the results file)
    sealed = (
        f"digest={digest} ballots={counts['ballots']} totals="
        + ",".join(f"{mark}:{n}" for mark, n in counts["totals"].items())
        + (f" head={head[0]}:{head[1]}" if head else "")
    )
    note = check["note"] if c.min_turnout_percent else ""
    _move(c, "close", by=by, system=system, comment=f"{note}\n{sealed}" if note else sealed)
    audit_record(
        actor=None if system else by,
        action="campaign.seal",
        subject=c,
        to_value=digest,
        comment=json.dumps(counts, ensure_ascii=False, separators=(",", ":")),
    )
    if c.kind == CampaignKind.MASS:
        result = tally(c)
        for row in result.subjects:
            a = row["subject"].assessment
            if a is None or a.state != Stage.MASS_EVALUATION:
                continue
            assessment_services.mass_evaluation_close(
                assessment=a, by=by, mass_score=row["mass_score"], expected_state=Stage.MASS_EVALUATION, system=system
            )
    return c


def campaigns_close_due(now=None) -> int:
    """Close every open campaign whose deadline has passed (run by the scheduler; safe to run twice)."""
    now = now or timezone.now()
    closed = 0
    for c in Campaign.objects.filter(state=CampaignState.OPEN, closes_at__lte=now):
        try:
            campaign_close(by=None, campaign=c, system=True)
            closed += 1
        except ValidationError:
            continue  # closed meanwhile by hand or by a parallel run
    return closed


# ---- codes ---------------------------------------------------------------------------------------------


@transaction.atomic
def tokens_issue(*, by, campaign, count: int, group: str) -> tuple[int, list[str]]:
    """A batch of new single-use codes for a voter group. The plain codes are returned once, for printing."""
    c = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not access.can_run_campaign(by, c):
        raise PermissionDenied(_("Only officers of the oversight office run its evaluations."))
    if c.state == CampaignState.CLOSED:
        raise ValidationError(_("The evaluation is closed."))
    if not 1 <= count <= MAX_BATCH:
        raise ValidationError({"count": _("Issue between 1 and %(max)s codes at a time.") % {"max": MAX_BATCH}})
    group = group.strip()[:40]
    if not group:
        raise ValidationError({"group": _("Name the voter group (e.g. 党员, 群众代表).")})
    VoterGroup.objects.get_or_create(campaign=c, name=group)  # weight 1 until the office changes it (in draft)
    batch = (c.tokens.order_by("-batch").values_list("batch", flat=True).first() or 0) + 1
    codes = [_new_code() for _ in range(count)]
    VoterToken.objects.bulk_create(
        [VoterToken(campaign=c, code_hash=code_hash(c, code), group=group, batch=batch) for code in codes]
    )
    audit_record(actor=by, action="campaign.issue_codes", subject=c, to_value=f"{group} × {count}")
    return batch, [format_code(code) for code in codes]


def campaign_by_public_id(public_id: str) -> Campaign | None:
    return Campaign.objects.filter(public_id=public_id).first()


@dataclass(frozen=True)
class CastingView:
    """What the cast page needs of a campaign: the campaign as read a moment ago, its subjects and dimensions."""

    campaign: Campaign
    subjects: list
    dimensions: list
    expires: float


CASTING_VIEW_SECONDS = 5.0
_casting_views: dict[str, CastingView] = {}


def campaign_for_casting(public_id: str) -> CastingView | None:
    """The campaign, its subjects and dimensions for the cast page, kept per process for a few seconds: a voting
    day asks for the same campaign thousands of times a minute, and building those queries cost more than the cast.
    Safe to keep: subjects and dimensions never change once a campaign exists, and whether voting is open is
    checked by ballot_cast inside its transaction, never taken from here (only the title shown may lag)."""
    now = time.monotonic()
    view = _casting_views.get(public_id)
    if view is not None and view.expires > now:
        return view
    campaign = campaign_by_public_id(public_id)
    if campaign is None:
        return None
    view = CastingView(campaign, list(campaign.subjects.all()), dimensions_for(campaign), now + CASTING_VIEW_SECONDS)
    if len(_casting_views) >= 256:
        _casting_views.clear()
    _casting_views[public_id] = view
    return view


def check_code(campaign: Campaign, code: str) -> None:
    """Whether the code may vote now; raises BallotRefused with the reason. Consumes nothing.

    The state is read with a query of its own, not refresh_from_db(): the campaign object may be the one
    campaign_for_casting shares between worker threads, and django-fsm-2's refresh_from_db switches the state
    field's protection off and on for every instance, so two threads refreshing at once made one of them fail."""
    state, closes_at = Campaign.objects.filter(pk=campaign.pk).values_list("state", "closes_at").get()
    if state != CampaignState.OPEN or closes_at <= timezone.now():
        raise BallotRefused(_("Voting in this evaluation is closed."))
    token = VoterToken.objects.filter(code_hash=code_hash(campaign, code)).values_list("campaign_id", "used").first()
    if token is None or token[0] != campaign.pk:
        raise BallotRefused(_("This code is not valid for this evaluation. Check the code you typed."))
    if token[1]:
        raise BallotRefused(_("This code has already been used to vote. Each code votes once."))


def _clean_marks(campaign: Campaign, subjects, marks: dict, dimensions=None) -> list[tuple[int, str, str]]:
    allowed = {value for value, _label in answers_for(campaign)}
    dims = [code for code, _name in (dimensions_for(campaign) if dimensions is None else dimensions)]
    rows = []
    for subject in subjects:
        for dim in dims:
            value = marks.get((subject.pk, dim))
            if value not in allowed:
                raise BallotIncomplete(_("Please give an answer for every question."))
            rows.append((subject.pk, dim, value))
    return rows


@functools.cache
def _cast_sql() -> dict:
    """The statements of a cast. Table and column names come from the models and are quoted by the database
    backend; every value is a query parameter."""
    q = connection.ops.quote_name
    campaign, token, ballot, mark = (q(m._meta.db_table) for m in (Campaign, VoterToken, Ballot, BallotMark))
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""  # SQLite has one writer
    return {
        "open": f"SELECT 1 FROM {campaign} WHERE id = %s AND state = %s AND closes_at > %s",  # noqa: S608
        "redeem": f"UPDATE {token} SET used = %s WHERE campaign_id = %s AND code_hash = %s AND used = %s "  # noqa: S608
        f"RETURNING {q('group')}",
        "ballot": f"INSERT INTO {ballot} (id, campaign_id, {q('group')}, receipt_hash, seal, slot) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s)",
        "mark": f"INSERT INTO {mark} (id, ballot_id, subject_id, dimension, value) VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
        # taking the place of a random earlier ballot of the campaign (see _store)
        "count": f"SELECT COUNT(*) FROM {ballot} WHERE campaign_id = %s",  # noqa: S608
        "pick": f"SELECT id, {q('group')}, receipt_hash, seal FROM {ballot} "  # noqa: S608
        f"WHERE campaign_id = %s AND slot = %s LIMIT 1{lock}",
        "marks_of": f"SELECT id, subject_id, dimension, value FROM {mark} "  # noqa: S608
        "WHERE ballot_id = %s ORDER BY subject_id, dimension",
        "take_place": f"UPDATE {ballot} SET id = %s, {q('group')} = %s, receipt_hash = %s, seal = %s "  # noqa: S608
        "WHERE id = %s",
        "mark_take_place": f"UPDATE {mark} SET id = %s, ballot_id = %s, subject_id = %s, dimension = %s, value = %s "  # noqa: S608
        "WHERE id = %s",
    }


def ballot_cast(*, campaign: Campaign, code: str, marks: dict, subjects=None, dimensions=None) -> str:
    """Redeem the code and store the ballot, in one transaction; returns the receipt code (shown once).

    `marks`: {(subject_id, dimension_code or ""): answer}. This is the hot path of a voting day, so it speaks
    SQL directly (no ORM query building): the campaign is open; `UPDATE … WHERE used = false` touches exactly one
    token row and returns its voter group; then the ballot, sealed, and its marks are stored in the place of a
    random earlier ballot (`_store`).
    `subjects` and `dimensions`, when given, come from campaign_for_casting (they never change)."""
    if subjects is None:
        subjects = list(campaign.subjects.all())
    rows = _clean_marks(campaign, subjects, marks, dimensions)
    h = code_hash(campaign, code)
    receipt = _new_code()
    sql = _cast_sql()
    uuid_value = Ballot._meta.pk.get_db_prep_value
    ballot_id = uuid_value(uuid.uuid4(), connection)
    now = Campaign._meta.get_field("closes_at").get_db_prep_value(timezone.now(), connection)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql["open"], [campaign.pk, CampaignState.OPEN, now])
        if cur.fetchone() is None:
            raise BallotRefused(_("Voting in this evaluation is closed."))
        cur.execute(sql["redeem"], [True, campaign.pk, h, False])
        redeemed = cur.fetchall()
        if len(redeemed) != 1:
            check_code(campaign, code)  # says why: unknown, foreign or used
            raise BallotRefused(_("This code has already been used to vote. Each code votes once."))
        sealed = ballot_seal.seal(campaign.public_id, receipt, ballot_seal.marks_text(rows))
        new_ballot = [ballot_id, campaign.pk, redeemed[0][0], receipt_hash(receipt), sealed]
        new_marks = [[uuid_value(uuid.uuid4(), connection), ballot_id, s, d, v] for s, d, v in sorted(rows)]
        _store(cur, sql, campaign, new_ballot, new_marks)
    return format_code(receipt)


def _store(cur, sql, campaign, new_ballot, new_marks) -> None:
    """Store a cast so that the rows' storage order (SQLite's rowid, PostgreSQL's ctid) is at every moment a random
    permutation of the casting order — the inside-out shuffle: with n ballots stored, a slot j is drawn uniformly
    from 0…n; for j < n the new ballot is written into the rows of slot j (an update in place: SQLite keeps the
    rowid, PostgreSQL keeps the row on its page, for which fillfactor 30 leaves room) and slot j's earlier ballot,
    unchanged, into new rows as slot n; for j = n the new ballot is added as slot n. A slot being moved by a
    concurrent cast is skipped (SKIP LOCKED): the new ballot is then simply added."""
    cur.execute(sql["count"], [campaign.pk])
    n = cur.fetchone()[0]
    j = secrets.randbelow(n + 1)
    earlier = None
    if j < n:
        cur.execute(sql["pick"], [campaign.pk, j])
        earlier = cur.fetchone()
    old_marks = []
    if earlier is not None:
        cur.execute(sql["marks_of"], [earlier[0]])
        old_marks = cur.fetchall()
    if earlier is not None and len(old_marks) == len(new_marks):
        cur.execute(sql["take_place"], [*new_ballot[:1], *new_ballot[2:], earlier[0]])
        if cur.rowcount == 1:
            cur.execute(sql["ballot"], [earlier[0], campaign.pk, *earlier[1:], n])
            cur.executemany(
                sql["mark_take_place"], [[*new, old[0]] for new, old in zip(new_marks, old_marks, strict=True)]
            )
            cur.executemany(sql["mark"], [[old[0], earlier[0], *old[1:]] for old in old_marks])
            return
    cur.execute(sql["ballot"], [*new_ballot, n])
    cur.executemany(sql["mark"], new_marks)


def ballots_cast_together(*, casts: list[dict]) -> list[str | BallotRefused]:
    """Several ballot_cast calls (each a dict of its keyword arguments) in one transaction. Returns, in order, each
    receipt or the refusal; a refused cast stores nothing and consumes nothing. The caller answers voters only after
    this returns, that is after the commit. Nothing about the batch is written: each ballot keeps its own random id
    and receipt, and the rows are the same rows single casts write, stored in a random order (so that even the order
    of storing says nothing about the order in which a batch's voters arrived).

    On PostgreSQL the whole batch is a handful of prepared statements whatever its size (`_cast_batch_pg`); on
    SQLite (one writer, in-process calls that cost microseconds) each cast runs ballot_cast in its own savepoint."""
    order = list(range(len(casts)))
    secrets.SystemRandom().shuffle(order)
    if connection.vendor == "postgresql":
        return _cast_batch_pg(casts, order)
    outcomes: dict[int, str | BallotRefused] = {}
    with transaction.atomic():
        for n in order:
            try:
                outcomes[n] = ballot_cast(**casts[n])
            except BallotRefused as refusal:
                outcomes[n] = refusal
    return [outcomes[n] for n in range(len(casts))]


@functools.cache
def _batch_sql() -> dict:
    """The statements of a batch of casts on PostgreSQL, each one statement for the whole batch (arrays in, unnest
    out), prepared once per connection. Table and column names come from the models; every value is a parameter."""
    q = connection.ops.quote_name
    campaign, token, ballot, mark = (q(m._meta.db_table) for m in (Campaign, VoterToken, Ballot, BallotMark))
    group = q("group")
    return {
        "open": f"SELECT 1 FROM {campaign} WHERE id = %s AND state = %s AND closes_at > %s",  # noqa: S608
        # every code of the batch at once; a code that is unknown, foreign or used (or taken by a concurrent cast:
        # the row lock makes this wait for it) is not returned
        "redeem": f"UPDATE {token} SET used = true WHERE campaign_id = %s AND code_hash = ANY(%s) AND NOT used "  # noqa: S608
        f"AND EXISTS (SELECT 1 FROM {campaign} WHERE id = %s AND state = %s AND closes_at > %s) "
        f"RETURNING code_hash, {group}",
        # the next free slot (the (campaign, slot) index read backwards, not a count of every ballot)
        "slots": f"SELECT COALESCE(MAX(slot) + 1, 0) FROM {ballot} WHERE campaign_id = %s",  # noqa: S608
        # the earlier ballots whose places the new ones take, locked, with their marks
        "pick": f"WITH picked AS (SELECT slot, id, {group}, receipt_hash, seal FROM {ballot} "  # noqa: S608
        "WHERE campaign_id = %s AND slot = ANY(%s) FOR UPDATE SKIP LOCKED) "
        f"SELECT p.slot, p.id, p.{group}, p.receipt_hash, p.seal, m.id, m.subject_id, m.dimension, m.value "
        f"FROM picked p LEFT JOIN {mark} m ON m.ballot_id = p.id ORDER BY p.slot, p.id, m.subject_id, m.dimension",
        "take_place": f"UPDATE {ballot} AS b SET id = v.id, {group} = v.grp, receipt_hash = v.rh, seal = v.seal "  # noqa: S608
        "FROM unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[]) AS v(old, id, grp, rh, seal) "
        "WHERE b.id = v.old",
        "mark_take_place": f"UPDATE {mark} AS m SET id = v.id, ballot_id = v.ballot, subject_id = v.subject, "  # noqa: S608
        "dimension = v.dim, value = v.val "
        "FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::bigint[], %s::text[], %s::text[]) "
        "AS v(old, id, ballot, subject, dim, val) WHERE m.id = v.old",
        # rows in the order given (the order of their slots), which is the order they are stored in
        "ballots": f"INSERT INTO {ballot} (id, campaign_id, {group}, receipt_hash, seal, slot) "  # noqa: S608
        "SELECT v.id, %s, v.grp, v.rh, v.seal, v.slot "
        "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], %s::int[]) WITH ORDINALITY "
        "AS v(id, grp, rh, seal, slot, n) ORDER BY v.n",
        "marks": f"INSERT INTO {mark} (id, ballot_id, subject_id, dimension, value) "  # noqa: S608
        "SELECT v.id, v.ballot, v.subject, v.dim, v.val "
        "FROM unnest(%s::uuid[], %s::uuid[], %s::bigint[], %s::text[], %s::text[]) WITH ORDINALITY "
        "AS v(id, ballot, subject, dim, val, n) ORDER BY v.n",
    }


def _columns(rows: list, width: int) -> list[list]:
    """Rows as `width` columns (arrays for unnest)."""
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def _cursor(raw):
    """A psycopg cursor that binds parameters on the server, so that prepare=True prepares (Django's connections
    make client-side binding cursors, which never prepare and quote every array element in Python)."""
    import psycopg

    return psycopg.Cursor(raw)


def _cast_batch_pg(casts: list[dict], order: list[int]) -> list[str | BallotRefused]:
    """ballots_cast_together on PostgreSQL: the same checks, rows and storage order as ballot_cast, in a few
    statements per batch instead of about eleven per cast (each of them a round trip, a parse and a plan): one
    redeems every code (`UPDATE … WHERE code_hash = ANY(…) AND NOT used RETURNING`, so a code is used at most once,
    as before, and two casts of one code in a batch count once), one locks the earlier ballots whose places the new
    ones take, and one statement each moves and adds the ballots and their marks. The statements go through
    psycopg's own cursor on Django's connection and transaction, prepared on the server."""
    outcomes: list[str | BallotRefused | None] = [None] * len(casts)
    pending: dict[int, list] = defaultdict(list)  # campaign id -> [(n, campaign, rows, code hash)], in `order`
    for n in order:
        cast = casts[n]
        campaign = cast["campaign"]
        subjects = cast.get("subjects")
        try:
            rows = _clean_marks(
                campaign,
                list(campaign.subjects.all()) if subjects is None else subjects,
                cast["marks"],
                cast.get("dimensions"),
            )
        except BallotRefused as refusal:
            outcomes[n] = refusal
            continue
        pending[campaign.pk].append((n, campaign, sorted(rows), code_hash(campaign, cast["code"])))
    if not pending:
        return outcomes
    sql = _batch_sql()
    with transaction.atomic(), connection.wrap_database_errors:
        raw = connection.connection
        if raw.prepare_threshold is None:  # Django turns preparing off; its own (client-side) cursors never prepare,
            raw.prepare_threshold = 1 << 30  # so this lets only the explicit prepare=True of _cursor()s prepare
        for items in pending.values():
            _cast_campaign_pg(raw, sql, items, outcomes)
        for n, outcome in enumerate(outcomes):
            if outcome is None:  # not redeemed: say why (unknown, foreign or used), as ballot_cast does
                try:
                    check_code(casts[n]["campaign"], casts[n]["code"])
                    outcomes[n] = BallotRefused(_("This code has already been used to vote. Each code votes once."))
                except BallotRefused as refusal:
                    outcomes[n] = refusal
    return outcomes


def _cast_campaign_pg(raw, sql: dict, items: list, outcomes: list) -> None:
    """The casts of one campaign in a batch (see _cast_batch_pg); fills `outcomes` for those it stores or refuses
    because voting is closed, and leaves None for codes that were not redeemed. Whether voting is open, the
    redeeming (only while open) and the next slot go in one round trip (psycopg's pipeline mode)."""
    campaign = items[0][1]
    now = timezone.now()
    with raw.pipeline(), _cursor(raw) as is_open, _cursor(raw) as redeem, _cursor(raw) as slots:
        is_open.execute(sql["open"], [campaign.pk, CampaignState.OPEN, now], prepare=True)
        redeem.execute(
            sql["redeem"],
            [campaign.pk, [h for *_rest, h in items], campaign.pk, CampaignState.OPEN, now],
            prepare=True,
        )
        slots.execute(sql["slots"], [campaign.pk], prepare=True)
        still_open = is_open.fetchone() is not None
        groups = dict(redeem.fetchall())
        n = slots.fetchone()[0]
    if not still_open:
        if groups:  # reopened between the two statements: never keep a code used without its ballot
            raise RuntimeError("voting opened while a batch was cast")
        for k, *_rest in items:
            outcomes[k] = BallotRefused(_("Voting in this evaluation is closed."))
        return
    new = []  # (n, id, group, receipt hash, seal, marks as (id, subject, dimension, value)), in `order`
    for k, _campaign, rows, h in items:
        group = groups.pop(h, None)  # a code cast twice in the batch counts for its first cast only
        if group is None:
            continue
        receipt = _new_code()
        sealed = ballot_seal.seal(campaign.public_id, receipt, ballot_seal.marks_text(rows))
        new.append((k, uuid.uuid4(), group, receipt_hash(receipt), sealed, [(uuid.uuid4(), *r) for r in rows]))
        outcomes[k] = format_code(receipt)
    if new:
        _store_batch_pg(raw, sql, campaign, new, n)


def _store_batch_pg(raw, sql: dict, campaign: Campaign, new: list, n: int) -> None:
    """_store for a batch: the inside-out shuffle of _store, run for each new ballot in turn over the slots as they
    stand after the batch's earlier casts, then written at once. With n slots stored, the i-th new ballot draws j
    uniformly from 0…n+i; its own slot n+i then holds what slot j held (an earlier ballot, or a new one of this batch
    placed there a moment before) and slot j holds the new ballot, or for j = n+i it simply takes slot n+i. Slots
    j < n keep their rows (updated in place); slots n… are new rows, inserted in slot order. An earlier slot that a
    concurrent batch is moving (SKIP LOCKED), or that is missing, is not taken: the new ballot takes slot n+i."""
    draws = [secrets.randbelow(n + i + 1) for i in range(len(new))]
    earlier: dict[int, tuple] = {}  # slot -> (id, group, receipt hash, seal, marks)
    wanted = sorted({j for j in draws if j < n})
    if wanted:
        with _cursor(raw) as cur:
            cur.execute(sql["pick"], [campaign.pk, wanted], prepare=True)
            for slot, ballot_id, group, rh, seal, *mark in cur.fetchall():
                row = earlier.setdefault(slot, (ballot_id, group, rh, seal, []))  # one ballot per slot
                if row[0] == ballot_id and mark[0] is not None:
                    row[4].append(mark)
        for slot, row in list(earlier.items()):
            if len(row[4]) != len(new[0][5]):
                del earlier[slot]  # not the ballot it should be: leave it where it is
    # the shuffle, in memory: what each touched slot holds at the end ("new", index into `new`) or ("old", row)
    held: dict[int, tuple] = {}
    for i, j in enumerate(draws):
        slot = n + i
        if j == slot or (j < n and j not in held and j not in earlier):
            held[slot] = ("new", i)
            continue
        held[slot] = held[j] if j in held else ("old", earlier[j])
        held[j] = ("new", i)
    moved = [(earlier[slot], new[held[slot][1]]) for slot in sorted(held) if slot < n]
    added_ballots, added_marks = [], []
    for slot in range(n, n + len(new)):
        kind, what = held[slot]
        if kind == "new":
            b = new[what]
            added_ballots.append((b[1], b[2], b[3], b[4], slot))
            added_marks += [(m[0], b[1], m[1], m[2], m[3]) for m in b[5]]
        else:  # an earlier ballot, unchanged, with its own ids
            added_ballots.append((what[0], what[1], what[2], what[3], slot))
            added_marks += [(m[0], what[0], m[1], m[2], m[3]) for m in what[4]]
    # every write in one round trip, in this order: earlier rows take the new ballots (and their marks the new
    # ballots' marks), then the new rows, in slot order
    with raw.pipeline(), _cursor(raw) as take_place, _cursor(raw) as cur:
        if moved:
            ballots = [(old[0], b[1], b[2], b[3], b[4]) for old, b in moved]
            take_place.execute(sql["take_place"], _columns(ballots, 5), prepare=True)
            marks = [
                (old_mark[0], m[0], b[1], m[1], m[2], m[3])
                for old, b in moved
                for old_mark, m in zip(old[4], b[5], strict=True)
            ]
            cur.execute(sql["mark_take_place"], _columns(marks, 6), prepare=True)
        cur.execute(sql["ballots"], [campaign.pk, *_columns(added_ballots, 5)], prepare=True)
        cur.execute(sql["marks"], _columns(added_marks, 5), prepare=True)
    if moved and take_place.rowcount != len(moved):
        raise RuntimeError("a ballot locked for this batch was not found")  # the whole batch rolls back


def receipt_counted(campaign: Campaign, receipt: str) -> bool:
    return Ballot.objects.filter(campaign=campaign, receipt_hash=receipt_hash(receipt)).exists()


# ---- the tally -----------------------------------------------------------------------------------------


@dataclass
class Tally:
    campaign: Campaign
    ballots: int
    issued: int
    subjects: list  # per subject: {"subject", "counts": {dimension: Counter}, "n", "score", "shown", "mass_score",
    # "weighted"}
    groups: list  # per voter group: {"group", "n", "shown", "counts"}
    total_shown: bool
    weights: list = None  # per voter group: {"group", "issued", "weight", "weight_text"} (published with the tally)
    turnout: dict = None  # turnout_check(): {"issued", "voted", "percent", "minimum", "met", "note"}


def _score(counter: Counter) -> Decimal | None:
    n = sum(counter.values())
    if not n:
        return None
    points = sum(POINTS_BY_VALUE[v] * c for v, c in counter.items())
    return (Decimal(points) / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weighted_sums(by_group: dict, weight_of: dict) -> tuple[Decimal, Decimal]:
    """(Σ_g w_g·points_g, Σ_g w_g·marks_g): each mark counts its group's weight times."""
    points = sum((weight_of[g] * POINTS_BY_VALUE[v] * c for g, counter in by_group.items() for v, c in counter.items()))
    marks = sum((weight_of[g] * c for g, counter in by_group.items() for c in counter.values()))
    return Decimal(points), Decimal(marks)


def weighted_score(points: Decimal, marks: Decimal) -> Decimal | None:
    """Σ_g w_g·points_g / Σ_g w_g·marks_g (equal weights: the mean), to two places; None without marks."""
    if not marks:
        return None
    return (points / marks).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def group_weights(campaign: Campaign) -> list[dict]:
    """Each voter group of the campaign with its codes issued and its weight (1 for a group without a row)."""
    issued = dict(campaign.tokens.values_list("group").annotate(n=Count("pk")).values_list("group", "n"))
    rows = {
        g.name: {"group": g.name, "issued": issued.get(g.name, 0), "weight": g.weight, "pk": g.pk}
        for g in campaign.voter_groups.all()
    }
    for name, n in issued.items():
        rows.setdefault(name, {"group": name, "issued": n, "weight": Decimal(1), "pk": None})
    for row in rows.values():
        row["weight_text"] = _plain(row["weight"])
    return list(rows.values())


def _percent_shown(number: Decimal) -> str:
    """A percentage for people, cut (not rounded) to one place so that 49.96 never reads as 50."""
    return _plain(number.quantize(Decimal("0.1"), rounding=ROUND_DOWN))


def turnout_check(campaign: Campaign, *, issued: int | None = None, voted: int | None = None) -> dict:
    """Whether the campaign's turnout (ballots cast / codes issued) reaches its minimum, with the sentence that
    says so (recorded in the close's audit row and shown with the results)."""
    issued = campaign.tokens.count() if issued is None else issued
    voted = campaign.ballots.count() if voted is None else voted
    minimum = campaign.min_turnout_percent or Decimal(0)
    percent = Decimal(voted * 100) / issued if issued else Decimal(0)
    met = not minimum or (issued > 0 and voted * 100 >= minimum * issued)
    values = {"turnout": _percent_shown(percent), "minimum": _plain(minimum)}
    if not minimum:
        note = _("Turnout %(turnout)s%%; no minimum turnout is set.") % values
    elif met:
        note = _("Turnout %(turnout)s%%, meets the minimum turnout of %(minimum)s%%.") % values
    else:
        note = (
            _(
                "Turnout %(turnout)s%%, below the minimum turnout of %(minimum)s%%: "
                "the mass evaluation score does not count."
            )
            % values
        )
    return {
        "issued": issued,
        "voted": voted,
        "percent": values["turnout"],
        "minimum": values["minimum"],
        "has_minimum": bool(minimum),
        "met": met,
        "note": note,
    }


def _pooled_groups(group_sizes: Counter, hidden: set, k: int) -> set:
    """The groups whose ballots count together, with one common weight: the hidden ones, topped up with the
    smallest shown groups while they hold fewer than k ballots (so the weighted total never isolates fewer than k
    voters' marks)."""
    pooled = set(hidden)
    if not pooled:
        return pooled
    shown = sorted((n, g) for g, n in group_sizes.items() if g not in pooled)
    while shown and sum(group_sizes[g] for g in pooled) < k:
        pooled.add(shown.pop(0)[1])
    return pooled


def tally(campaign: Campaign) -> Tally:
    """Counts per subject (and dimension) and per voter group. A group with fewer than k ballots is hidden, and so
    is the next smallest group beside it, so that nobody can subtract their way to a hidden group. Scores weigh
    each voter group's ballots by its weight (see the module's docstring)."""
    k = campaign.k_threshold
    per_subject = defaultdict(lambda: defaultdict(Counter))
    per_subject_group = defaultdict(lambda: defaultdict(Counter))
    per_group = defaultdict(Counter)
    group_sizes = Counter(dict(campaign.ballots.values_list("group").annotate(n=Count("pk")).values_list("group", "n")))
    for subject_id, dim, value, group in BallotMark.objects.filter(ballot__campaign=campaign).values_list(
        "subject_id", "dimension", "value", "ballot__group"
    ):
        per_subject[subject_id][dim][value] += 1
        per_subject_group[subject_id][group][value] += 1
        per_group[group][value] += 1
    total = sum(group_sizes.values())
    hidden = {g for g, n in group_sizes.items() if n < k}
    if len(hidden) == 1 and len(group_sizes) > 1:
        visible = sorted((n, g) for g, n in group_sizes.items() if g not in hidden)
        hidden.add(visible[0][1])
    weights = group_weights(campaign)
    weight_of = defaultdict(lambda: Decimal(1), {w["group"]: w["weight"] for w in weights})
    weight_of_given = weight_of.copy()
    pooled = _pooled_groups(group_sizes, hidden, k)
    if pooled:
        pooled_ballots = sum(group_sizes[g] for g in pooled)
        common = sum(weight_of[g] * group_sizes[g] for g in pooled) / pooled_ballots
        for g in pooled:
            weight_of[g] = common
    check = turnout_check(campaign, issued=sum(w["issued"] for w in weights), voted=total)
    pooled_weight = (
        Fraction(sum(int(weight_of_given[g] * 100) * group_sizes[g] for g in pooled), 100 * pooled_ballots)
        if pooled
        else None
    )
    subjects = []
    for s in campaign.subjects.select_related("assessment", "organisation", "person"):
        counts = per_subject.get(s.pk, {})
        n = max((sum(c.values()) for c in counts.values()), default=0)
        sums = weighted_sums(per_subject_group.get(s.pk, {}), weight_of)
        score = weighted_score(*sums) if n >= k else None
        subjects.append(
            {
                "subject": s,
                "counts": dict(counts),
                "n": n,
                "score": score,
                "shown": n >= k,
                "mass_score": score if check["met"] else None,
                "weighted": sums,  # (weighted points, weighted marks), for a meeting adding its paper count
                "by_group": _subject_by_group(per_subject_group.get(s.pk, {}), weight_of_given, pooled, pooled_weight)
                if n >= k
                else None,
            }
        )
    groups = [
        {
            "group": g,
            "n": n if g not in hidden else None,
            "shown": g not in hidden,
            "counts": per_group[g] if g not in hidden else None,
        }
        for g, n in sorted(group_sizes.items())
    ]
    return Tally(
        campaign=campaign,
        ballots=total,
        issued=check["issued"],
        subjects=subjects,
        groups=groups,
        total_shown=total >= k,
        weights=[{key: w[key] for key in ("group", "issued", "weight", "weight_text")} for w in weights],
        turnout=check,
    )


def _subject_by_group(by_group: dict, weight_of: dict, pooled: set, pooled_weight: Fraction | None) -> list[dict]:
    """A shown subject's counts per voter group with the group's weight, as published for a recount: the groups
    too small to show merged into one line with their common weight (an exact fraction, e.g. "7/4")."""
    rows, merged = [], Counter()
    for g in sorted(by_group):
        if g in pooled:
            merged.update(by_group[g])
        else:
            rows.append({"group": g, "weight": _plain(weight_of[g]), "counts": dict(sorted(by_group[g].items()))})
    if merged:
        weight = f"{pooled_weight.numerator}/{pooled_weight.denominator}"
        rows.append(
            {"group": _("smaller groups counted together"), "weight": weight, "counts": dict(sorted(merged.items()))}
        )
    return rows


def turnout(campaign: Campaign) -> dict:
    issued = campaign.tokens.count()
    voted = campaign.ballots.count()
    return {
        "issued": issued,
        "voted": voted,
        "percent": round(voted * 100 / issued, 1) if issued else 0,
        "state": campaign.state,
    }


def _ballot_lines(campaign: Campaign) -> list[dict]:
    """Every ballot of the campaign: its published hash (the seal; the receipt's hash for a ballot cast before
    seals existed), its marks as (subject label, dimension, answer) and as the sealed marks text."""
    marks, labels = defaultdict(list), {}
    for ballot_id, subject_id, label, dim, value in BallotMark.objects.filter(ballot__campaign=campaign).values_list(
        "ballot_id", "subject_id", "subject__label", "dimension", "value"
    ):
        marks[ballot_id].append((subject_id, dim, value))
        labels[subject_id] = label
    lines = []
    for b, receipt_h, seal in campaign.ballots.values_list("id", "receipt_hash", "seal"):
        rows = sorted(marks[b])
        lines.append(
            {
                "hash": seal or receipt_h,
                "sealed": bool(seal),
                "receipt_hash": receipt_h,
                "marks": [(labels[s], d, v) for s, d, v in rows],
                "marks_text": ballot_seal.marks_text(rows),
            }
        )
    lines.sort(key=lambda line: line["hash"])  # sorted by hash, so no order can be read
    return lines


def published_receipts(campaign: Campaign) -> list[dict]:
    """After the close: every ballot's published hash with its marks, sorted by hash (so no order can be read)."""
    campaign.refresh_from_db(fields=["state"])
    if campaign.state != CampaignState.CLOSED:
        return []
    return _ballot_lines(campaign)


def count_digest(campaign: Campaign) -> tuple[str, dict]:
    """The digest of the count as it stands (ballot_seal.digest over every ballot's line) and the totals per
    subject, dimension and answer: {"ballots": n, "totals": {"<subject>:<dimension>:<answer>": count}}."""
    lines = _ballot_lines(campaign)
    totals = Counter()
    for line in lines:
        for mark in line["marks_text"].split(","):
            if mark:
                totals[mark] += 1
    return ballot_seal.digest((line["hash"], line["marks_text"]) for line in lines), {
        "ballots": len(lines),
        "totals": dict(sorted(totals.items())),
    }


def sealed_count(campaign: Campaign) -> dict | None:
    """What closing wrote (the `campaign.seal` audit row): {"digest", "ballots", "totals", "at", "matches"}, where
    `matches` says whether the ballots stored now still give the same digest. None before the close (or for a
    campaign closed before closing sealed the count)."""
    row = (
        AuditEntry.objects.filter(action="campaign.seal", subject_type="flows.campaign", subject_id=str(campaign.pk))
        .order_by("-at", "-pk")
        .first()
    )
    if row is None:
        return None
    recorded = json.loads(row.comment or "{}")
    digest_now, _counts = count_digest(campaign)
    return {
        "digest": row.to_value,
        "ballots": recorded.get("ballots"),
        "totals": recorded.get("totals", {}),
        "audit_head": recorded.get("audit_head"),
        "at": row.at,
        "matches": digest_now == row.to_value,
    }


def may_comment(user, subject: CampaignSubject) -> bool:
    return access.is_reviewer(user, subject.organisation) or access.can_run_campaign(user, subject.campaign)


@transaction.atomic
def leader_comment_add(*, by, subject: CampaignSubject, comment: str) -> LeaderComment:
    """领导点评: a leader of the leading organisation (or an officer of the office) comments, by name."""
    if not may_comment(by, subject):
        raise PermissionDenied(_("Only the leading organisation's leaders comment here."))
    if not comment.strip():
        raise ValidationError({"comment": _("Write the comment.")})
    row = LeaderComment.objects.create(campaign=subject.campaign, subject=subject, author=by, comment=comment.strip())
    audit_record(actor=by, action="campaign.leader_comment", subject=subject.campaign, comment=comment.strip())
    return row


def campaigns_for(user):
    """The campaigns of the offices this user is an officer of (all of them for superusers)."""
    qs = Campaign.objects.select_related("office", "cycle").order_by("-closes_at")
    if user.is_superuser:
        return qs
    return qs.filter(office_id__in=access.offices_of(user))


def subjects_from_codes(*, kind: str, codes: list[str], office) -> list[dict]:
    """Subjects of a report-and-review meeting (each organisation's secretary) or of a member appraisal (the
    members of one branch), from organisation codes typed by the office."""
    from flows.models import Organisation, Role, RoleAssignment

    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in orgs]
    if unknown:
        raise ValidationError({"subjects": _("Unknown organisation codes: %(codes)s") % {"codes": "、".join(unknown)}})
    if kind == CampaignKind.MEMBER_PEER:
        if len(orgs) != 1:
            raise ValidationError({"subjects": _("An appraisal of Party members covers one branch.")})
        org = next(iter(orgs.values()))
        roles = (
            RoleAssignment.objects.current().filter(organisation=org).select_related("user").order_by("user__real_name")
        )
        seen, out = set(), []
        for r in roles:
            if r.user_id not in seen:
                seen.add(r.user_id)
                out.append({"organisation": org, "person": r.user, "label": r.user.real_name})
        return out
    out = []
    for code in codes:
        org = orgs[code]
        secretary = RoleAssignment.objects.current().filter(organisation=org, role=Role.SECRETARY).first()
        person = secretary.user if secretary else None
        label = f"{org.short_name or org.name} · {person.real_name}" if person else org.name
        out.append({"organisation": org, "person": person, "label": label})
    return out


RESULTS_FORMAT = "zerenzhi-results-1"


def results_file(campaign: Campaign) -> dict:
    """The closed count as a file anyone can recount without the database (`python -m zerenzhi_verify tally`):
    the rules in words, each answer's points, the subjects, every ballot's published line, the digest and totals
    that closing sealed, and each shown subject's counts per voter group with the weights and its score."""
    result = tally(campaign)
    sealed = sealed_count(campaign)
    return {
        "format": RESULTS_FORMAT,
        "evaluation": campaign.public_id,
        "title": campaign.title,
        "k": campaign.k_threshold,
        "rules": {
            "marks": _(
                "A ballot's marks: one subject:dimension:answer per mark (subject number, dimension code, "
                "answer code; the codes percent-encoded as in a URL), sorted as strings, joined with commas."
            ),
            "seal": _(
                "A ballot's seal: SHA-256, lower-case hex, of the UTF-8 text "
                "zerenzhi-ballot-2|<evaluation>|<receipt without its dash, in capitals>|<marks>."
            ),
            "digest": _(
                "The count's digest: SHA-256 of the UTF-8 text of one line '<published hash> <marks>' per "
                "ballot, each line ending with a newline, the lines sorted as strings."
            ),
            "score": _(
                "A subject's score: the sum over voter groups of weight × points of each answer × its count, "
                "divided by the sum of weight × count, rounded half up to two places; shown only from k "
                "ballots on."
            ),
        },
        "points": {value: POINTS_BY_VALUE[value] for value, _label in answers_for(campaign)},
        "subjects": [{"number": s.pk, "label": s.label} for s in campaign.subjects.all()],
        "ballots": [
            {"hash": line["hash"], "sealed": line["sealed"], "marks": line["marks_text"]}
            for line in published_receipts(campaign)
        ],
        "sealed": None if sealed is None else {k: sealed[k] for k in ("digest", "ballots", "totals", "audit_head")},
        "scores": [
            {
                "subject": row["subject"].pk,
                "score": None if row["score"] is None else str(row["score"]),
                "by_group": row["by_group"],
            }
            for row in result.subjects
        ],
    }
