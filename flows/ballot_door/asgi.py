"""The public cast POST (`/v/<evaluation>/cast/`) served in front of Django's request cycle: the hot path of a voting
day, measured in bench/ballots.py.

Why: through Django a cast cost ~3.5 ms of server CPU, most of it the request cycle itself (nine middlewares, the
sync/async hops that whitenoise's and viewflow's sync-only middlewares force, request and response objects); the
cast itself is four SQL statements. Here a small ASGI app reads the urlencoded form, checks what Django would
check, casts on the ballot worker thread (flows/ballot_door/workers.py: the kept connection, the single SQLite writer),
several queued casts in one transaction (services.ballots.ballots_cast_together: on PostgreSQL a few statements
for the whole batch, on SQLite a savepoint per cast), and
answers with the cached receipt page only after the commit.

It answers only the one case that ends in a receipt. Everything else — a refused, used, foreign or mistyped code,
a closed evaluation, a ballot missing an answer, a client over the wrong-code limit, an unknown evaluation, a
missing or wrong CSRF token, a foreign Origin, a disallowed Host, an https Referer check, an unusual body or
configuration — goes to Django unchanged (the body replayed), which decides and renders the same pages as before.
A refusal consumed nothing, so Django's second look finds the same reason, and it counts a wrong code once.

What it checks before casting, each one the same as or stricter than Django (never more lenient):
- Host: in ALLOWED_HOSTS (CommonMiddleware would answer 400 otherwise);
- https: when SECURE_SSL_REDIRECT asks for https and the request is not secure, Django redirects;
- CSRF (double submit, as CsrfViewMiddleware): the csrftoken cookie and the form's csrfmiddlewaretoken are
  well-formed and match (Django's own token functions), and an Origin header, when sent, is this site's origin.
  A code-authenticated anonymous POST has no ambient credential to abuse, but without the check any web page
  could make its visitors' browsers try codes, spreading a guessing run over their addresses past the per-address
  limit; so the check stays."""

import asyncio
import functools
import logging
import re
import time
import weakref
from dataclasses import dataclass
from urllib.parse import parse_qsl

from csp.constants import HEADER as CSP_HEADER
from csp.utils import build_policy
from django.conf import settings
from django.http import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import (  # Django's own token checks, so that a token means the same here
    CSRF_SECRET_LENGTH,
    InvalidTokenFormat,
    _check_token_format,
    _does_token_match,
    _unmask_cipher_token,
)
from django.urls import reverse, set_script_prefix
from django.utils import translation
from django.utils.http import http_date

from flows.ballot_door import ratelimit
from flows.ballot_door import workers as ballot_workers
from flows.services import ballots as svc
from flows.web.client_address import address_from_meta

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a ballot of many subjects and dimensions is a few kB; anything bigger goes to Django
MAX_BATCH = 64  # casts in one transaction
# what browsers send; another charset (Django would decode with it) or anything else goes to Django
FORM_TYPES = ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=utf-8")


@dataclass
class Cast:
    public_id: str
    form: dict
    address: str
    language: str


@functools.cache
def _cast_path() -> re.Pattern:
    """/v/<public_id>/cast/ as flows/urls.py routes it (<str:...> is one path segment)."""
    marker = "PUBLICID"
    before, after = reverse("ballot_cast", args=[marker]).split(marker)
    return re.compile(f"^{re.escape(before)}([^/]+){re.escape(after)}$")


def _headers(scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower().replace("_", "-")  # Django's META maps "_" and "-" alike
        value = value.decode("latin-1")
        out[key] = f"{out[key]},{value}" if key in out else value  # as Django joins repeated headers
    return out


def _client_address(scope, headers) -> str:
    """The address the rate limit counts, chosen as for a Django request (flows/web/client_address.py)."""
    meta = {"REMOTE_ADDR": (scope.get("client") or ("", 0))[0] or ""}
    name = settings.CLIENT_IP_HEADER
    if name.startswith("HTTP_"):
        meta[name] = headers.get(name[5:].lower().replace("_", "-"), "")
    return address_from_meta(meta)


def _is_secure(scope, headers) -> bool:
    """As HttpRequest.is_secure()."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, expected = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower()
        value = headers.get(name)
        if value is not None:
            return value.split(",", 1)[0].strip() == expected
    return scope.get("scheme") == "https"


def _host(headers) -> str | None:
    """The Host header when ALLOWED_HOSTS allows it (as HttpRequest.get_host()), else None."""
    host = headers.get("host")
    if not host or settings.USE_X_FORWARDED_HOST:
        return None
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    return host if domain and validate_host(domain, allowed) else None


def _csrf_passes(headers, cookies, form, secure: bool, host: str) -> bool:
    """True only where CsrfViewMiddleware accepts: the cookie's secret and the form token match, and an Origin, if
    sent, is this site's. Every other case (no Origin on https, a trusted other origin, the X-CSRFToken header,
    sessions-kept secrets) is left to Django."""
    if settings.CSRF_USE_SESSIONS:
        return False
    origin = headers.get("origin")
    if origin is None:
        if secure:
            return False  # Django checks the Referer
    elif origin != f"{'https' if secure else 'http'}://{host}":
        return False
    secret, token = cookies.get(settings.CSRF_COOKIE_NAME), form.get("csrfmiddlewaretoken", "")
    if not secret or not token:
        return False
    try:
        _check_token_format(secret)
        _check_token_format(token)
    except InvalidTokenFormat:
        return False
    if len(secret) == 2 * CSRF_SECRET_LENGTH:  # a secret masked before storing (Django < 4.0)
        secret = _unmask_cipher_token(secret)
    return _does_token_match(token, secret)


def _language(cookies) -> str:
    """As flows.web.middleware.ChineseFirstLocaleMiddleware: Chinese unless the voter chose another language."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _receipt_headers(secure: bool, language: str, length: int) -> list[tuple[bytes, bytes]]:
    """The headers Django's middlewares and never_cache give the receipt page (tests/test_ballots__cast_asgi.py
    compares them with Django's own response)."""
    headers = {"Content-Type": f"text/html; charset={settings.DEFAULT_CHARSET}"}
    headers["Expires"] = http_date(time.time())  # never_cache
    headers["Cache-Control"] = "max-age=0, no-cache, no-store, must-revalidate, private"
    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS.upper()
    headers["Content-Length"] = str(length)
    headers["Vary"] = "Accept-Language"
    headers["Content-Language"] = language
    if settings.SECURE_HSTS_SECONDS and secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        sts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        sts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers["Strict-Transport-Security"] = sts
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    policy = settings.SECURE_REFERRER_POLICY
    if policy:
        headers["Referrer-Policy"] = (
            ",".join(v.strip() for v in policy.split(",")) if isinstance(policy, str) else ",".join(policy)
        )
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if getattr(settings, "CONTENT_SECURITY_POLICY", None):  # as django-csp's middleware sends it
        headers[CSP_HEADER] = build_policy()
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _cast_batch(casts: list[Cast]) -> list[str | None]:
    """On the ballot worker: the receipt page of each cast that was stored, None for each one Django should answer
    (refused, blocked, unknown evaluation). One transaction for the batch, returned only after its commit."""
    from flows.views.ballots import BUCKET, _receipt_page

    set_script_prefix("/")
    pages: list[str | None] = [None] * len(casts)
    wanted, views = [], []
    blocked = ratelimit.addresses_blocked([cast.address for cast in casts], BUCKET, settings.BALLOT_GUESS_LIMIT)
    for n, cast in enumerate(casts):
        view = svc.campaign_for_casting(cast.public_id)
        if view is None or cast.address in blocked:
            continue
        marks = {(s.pk, dim): cast.form.get(f"m_{s.pk}_{dim}") for s in view.subjects for dim, _ in view.dimensions}
        wanted.append(
            {
                "campaign": view.campaign,
                "code": cast.form.get("code", ""),
                "marks": marks,
                "subjects": view.subjects,
                "dimensions": view.dimensions,
            }
        )
        views.append((n, view))
    if not wanted:
        return pages
    try:
        outcomes = svc.ballots_cast_together(casts=wanted)
    except Exception:  # the whole batch rolled back: nothing stored, Django casts each one again
        log.exception("a batch of casts failed; Django answers each of them")
        return pages
    for (n, view), cast, outcome in zip(views, wanted, outcomes, strict=True):
        if isinstance(outcome, str):
            with translation.override(casts[n].language):
                pages[n] = _receipt_page(view, outcome, cast["marks"])
    return pages


class _Batcher:
    """Per event loop: casts waiting for a worker. While BALLOT_WORKERS batches are running, new casts queue, and
    the next free worker takes all of them (up to MAX_BATCH) as one batch. A lone cast goes at once."""

    def __init__(self):
        self.waiting: list[tuple[Cast, asyncio.Future]] = []
        self.running = 0

    async def cast(self, cast: Cast) -> str | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((cast, future))
        self._start()
        return await future

    def _start(self):
        while self.waiting and self.running < max(settings.BALLOT_WORKERS, 1):
            batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
            self.running += 1
            done = asyncio.wrap_future(ballot_workers.submit(_cast_batch, [cast for cast, _f in batch]))
            done.add_done_callback(functools.partial(self._finished, batch))

    def _finished(self, batch, done: asyncio.Future):
        self.running -= 1
        if done.exception() is not None:
            log.error("a batch of casts failed", exc_info=done.exception())
            pages = [None] * len(batch)
        else:
            pages = done.result()
        for (_cast, future), page in zip(batch, pages, strict=True):
            if not future.done():
                future.set_result(page)
        self._start()


_batchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher]" = weakref.WeakKeyDictionary()


def _batcher() -> _Batcher:
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    return batcher


async def _read_body(receive) -> tuple[bytes, bool, bool]:
    """(body so far, whether more follows, whether the client left)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", False, True
        body = message.get("body", b"")
        chunks.append(body)
        size += len(body)
        more = message.get("more_body", False)
        if not more or size > MAX_BODY:
            return b"".join(chunks), more, False


def cast_first(django_app):
    """Wrap Django's ASGI app: the receipt of a well-formed cast comes from here, every other request from Django."""

    async def app(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not settings.BALLOT_WORKERS:
            return await django_app(scope, receive, send)
        match = _cast_path().match(scope["path"])
        if match is None or scope.get("root_path") or settings.FORCE_SCRIPT_NAME:
            return await django_app(scope, receive, send)
        body, more, gone = await _read_body(receive)
        if gone:
            return None
        page = None
        if not more and len(body) <= MAX_BODY:
            page = await _try_cast(scope, match.group(1), body)
        if page is None:
            return await django_app(scope, _replaying(body, more, receive), send)
        await send({"type": "http.response.start", "status": 200, "headers": page[1]})
        await send({"type": "http.response.body", "body": page[0]})
        return None

    return app


async def _try_cast(scope, public_id: str, body: bytes) -> tuple[bytes, list] | None:
    headers = _headers(scope)
    if headers.get("content-type", "").lower().replace(" ", "") not in FORM_TYPES:
        return None
    secure = _is_secure(scope, headers)
    host = _host(headers)
    if host is None or (settings.SECURE_SSL_REDIRECT and not secure) or settings.PREPEND_WWW:
        return None
    if settings.DISALLOWED_USER_AGENTS:
        return None
    try:  # as QueryDict does
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")
    pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8")
    if settings.DATA_UPLOAD_MAX_NUMBER_FIELDS is not None and len(pairs) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        return None
    form = dict(pairs)  # the last of repeated fields, as QueryDict.get
    cookies = parse_cookie(headers.get("cookie", ""))
    if not _csrf_passes(headers, cookies, form, secure, host):
        return None
    language = _language(cookies)
    page = await _batcher().cast(
        Cast(public_id=public_id, form=form, address=_client_address(scope, headers), language=language)
    )
    if page is None:
        return None
    payload = page.encode(settings.DEFAULT_CHARSET)
    return payload, _receipt_headers(secure, language, len(payload))


def _replaying(body: bytes, more: bool, receive):
    """A receive that first hands Django the body already read."""
    replayed = False

    async def replay():
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay
