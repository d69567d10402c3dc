"""The locustfile of the deadline-day load test (bench/deadline_day.py starts it; never imported by the bench's
own process: locust patches the standard library with gevent).

    DEADLINE_DAY_CONFIG=/tmp/…/config.json locust -f bench/deadline_day_locust.py --headless … Official Officer

The configuration (written by bench/deadline_day.py) names the officials and officers, their passwords and the
sessions they carry from earlier in the day, the cycle, the bare page's path, and where to write what the load
test saw (every submit it got a success for), which the bench then checks against the database.

* `Official` (person in direct charge, 分管领导): logs in through the real form (CSRF token, password; tried
  again when the server fails it) unless they carry a session already; then, over and over, one request per task
  call: 我的待办, open the first self-assessment task listed, and either save a draft (scores, notes, the work report
  and evidence files where an item requires them: multipart), open it again (the browser follows the redirect) and
  submit, or (every other task) submit at once with the evidence. Every `DOUBLE_CLICK_EVERY`-th submit of the run
  is a double click: two POSTs at once, of which exactly one may succeed and the other must be told "already
  handled" (409). When the run stops, an official with a filled-in page open submits it (`on_stop`).
* `Officer` (of the oversight office): 我的待办 and the cycle dashboard.
* `BarePage`: the floor, the least a Django page does for a signed-in user (bench/bare_page.py), nothing else.

No think time: every simulated user sends its next request when the last one is answered, so throughput is what
the server can do, and both the mix and the bare page are measured the same way.
"""

import itertools
import json
import os
import re
import time
import uuid
from http.cookiejar import Cookie

import gevent
from locust import FastHttpUser, between, constant, events, task

with open(os.environ["DEADLINE_DAY_CONFIG"], encoding="utf-8") as _f:
    CONFIG = json.load(_f)

DOUBLE_CLICK_EVERY = CONFIG.get("double_click_every", 10)
LOGIN_ATTEMPTS = 3
THINK = float(CONFIG.get("think", 0))  # mean seconds between a user's requests; 0: none (the bench's default)
TASK_LINK = re.compile(r'href="(/flow/[^"/]+/(\d+)/draft_self/(\d+)/)"')  # the step's link in 我的待办
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
POINTS = re.compile(r'<td>([0-9.]+)</td>\s*<td><input name="points_(\d+)"')
EVIDENCE_REQUIRED = re.compile(r'<input type="file" name="(evidence_\d+)"[^>]*data-required')
EXPECTED_STATE = re.compile(r'name="expected_state" value="([^"]*)"')
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# what the load test saw, written at the end for the bench to check against the database
SEEN = {
    "submit_attempted": [],  # [process id, task id] before the POST is sent
    "submit_ok": [],  # answered 302 to my tasks: the step was taken
    "double_click": [],  # [process id, task id, status of one click, status of the other]
    "saves_ok": 0,
    "logins_ok": 0,
    "logins_failed": 0,  # people who still could not log in after LOGIN_ATTEMPTS tries (they go on trying)
    "ran_out": 0,  # officials who had no task left
    "anomalies": [],  # anything the server answered that it should not have
}
_counters = {}


def _next_credentials(kind):
    people = CONFIG[kind]
    i = next(_counters.setdefault(kind, itertools.count()))
    return people[i % len(people)]


def _anomaly(text):
    if len(SEEN["anomalies"]) < 50:
        SEEN["anomalies"].append(text)


@events.test_stop.add_listener
def _write_results(**_kwargs):
    with open(CONFIG["results"], "w", encoding="utf-8") as f:
        json.dump(SEEN, f)


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = between(0, 2 * THINK) if THINK else constant(0)
    kind = ""

    def on_start(self):
        # never follow a redirect: every answer is checked as sent. (FastHttpSession's allow_redirects=False swaps
        # this set on the shared client for the length of a request, so of two concurrent requests of one user, a
        # double click, one could follow its redirect after all.)
        self.client.client.redirect_response_codes = frozenset()
        self.person = _next_credentials(self.kind)
        self.signed_in = not self.person.get("login")
        if self.signed_in:  # signed in earlier in the day: the session the bench made for them
            self.client.cookiejar.set_cookie(_cookie(CONFIG["session_cookie"], self.person["session"]))
        self.login_attempts = 0

    def ensure_signed_in(self) -> bool:
        """Log in through the form when not signed in yet; a login the server failed is tried again a little later,
        as a person would. True when signed in."""
        if self.signed_in:
            return True
        if self.login_attempts:
            gevent.sleep(min(5, self.login_attempts))
        self.login_attempts += 1
        self.signed_in = self.log_in()
        if not self.signed_in and self.login_attempts == LOGIN_ATTEMPTS:
            SEEN["logins_failed"] += 1  # counted once per person who had to try this often
        return self.signed_in

    def log_in(self) -> bool:
        page = self.client.get("/login/", name="login page")
        token = _csrf(page.text or "")
        with self.client.post(
            "/login/",
            data={
                "username": self.person["username"],
                "password": self.person["password"],
                "next": "",
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302 and "login" not in r.headers.get("Location", ""):
                SEEN["logins_ok"] += 1
                r.success()
                return True
            r.failure(f"login answered {r.status_code}: {_why(r)}")
            return False


class Official(SignedIn):
    """A person in direct charge on deadline day: drafting and submitting self-assessments. One request per call
    of `work`, so that at the end of the run every request sent is answered (--stop-timeout) before the users stop."""

    weight = 1
    kind = "officials"

    def on_start(self):
        super().on_start()
        self.step = "inbox"
        self.tasks_opened, self.saved = 0, False
        self.url = self.page = None
        self.process_id = self.task_id = 0

    @task
    def work(self):
        if self.ensure_signed_in():
            getattr(self, f"step_{self.step}")()

    def step_inbox(self):
        with self.client.get("/tasks/", name="我的待办 /tasks/", catch_response=True) as r:
            if r.status_code != 200 or 'data-total="' not in (r.text or ""):
                r.failure(f"我的待办 answered {r.status_code}: {_why(r)}")
                return
            links = TASK_LINK.findall(r.text)
        if not links:
            if not getattr(self, "out_of_work", False):
                self.out_of_work = True
                SEEN["ran_out"] += 1
            gevent.sleep(0.5)  # nothing left to do: look again in a while
            return
        self.url, process_id, task_id = links[0]
        self.process_id, self.task_id = int(process_id), int(task_id)
        self.step = "open"

    def step_open(self):
        self.page = self.open(self.url)
        self.tasks_opened += 1
        # every other task is saved as a draft first and opened again; the others are filled in and submitted at once
        self.step = ("save" if self.tasks_opened % 2 else "submit") if self.page else "inbox"
        self.saved = False

    def step_save(self):
        fields, files = self.form_fields(self.page, report="本年度党建工作述职（草稿）")
        body, content_type = _multipart(fields, files)
        self.step = "inbox"
        with self.client.post(
            self.url,
            data=body,
            headers={"Content-Type": content_type, "Referer": self.host + self.url},
            name="save draft",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302 and r.headers.get("Location", "").endswith(self.url):
                SEEN["saves_ok"] += 1
                self.step, self.saved = "reopen", True
                r.success()
            else:
                r.failure(f"save draft answered {r.status_code}: {_why(r)}")

    def step_reopen(self):
        self.page = self.open(self.url)  # the browser follows the redirect back to the step
        self.step = "submit" if self.page else "inbox"

    def step_submit(self):
        fields, files = self.form_fields(
            self.page, report="本年度党建工作述职报告：三会一课、主题党日、组织生活会均按时开展。"
        )
        fields.append(("action", "submit"))
        body = _multipart(fields, [] if self.saved else files)  # the evidence goes with it unless saved before
        self.step = "inbox"  # where the browser is sent next
        done = [self.process_id, self.task_id]
        SEEN["submit_attempted"].append(done)
        if len(SEEN["submit_attempted"]) % DOUBLE_CLICK_EVERY == 0:  # every 10th submit of the whole run
            self.double_click(self.url, body, *done)
        elif self.submit(self.url, body, name="submit") == 302:
            SEEN["submit_ok"].append(done)

    def on_stop(self):
        """The run is over: an official with a filled-in page open submits it before leaving (the deadline)."""
        if getattr(self, "step", "") == "submit" and self.signed_in:
            self.step_submit()

    def open(self, url):
        with self.client.get(url, name="open task", catch_response=True) as r:
            if r.status_code != 200 or not CSRF.search(r.text or ""):
                r.failure(f"open task answered {r.status_code}: {_why(r)}")
                return None
            return r.text

    def form_fields(self, page, *, report):
        state = EXPECTED_STATE.search(page)
        fields = [("csrfmiddlewaretoken", _csrf(page)), ("expected_state", state[1] if state else "")]
        for max_points, pk in POINTS.findall(page):
            fields += [(f"points_{pk}", max_points), (f"note_{pk}", "已完成，见佐证材料")]
        fields.append(("report", report))
        files = [(name, f"{name}.pdf", PDF) for name in EVIDENCE_REQUIRED.findall(page)]
        return fields, files

    def submit(self, url, body, *, name, double=False):
        with self.client.post(
            url,
            data=body[0],
            headers={"Content-Type": body[1], "Referer": self.host + url},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as r:
            location = r.headers.get("Location", "") if r.status_code == 302 else ""
            if location in ("/", f"{self.host}/"):  # to my tasks: the step was taken
                r.success()
                return 302
            if double and r.status_code == 409:  # the other click took the step: "already handled"
                r.success()
                return 409
            r.failure(f"{name} answered {r.status_code}: {_why(r)}")
            return r.status_code

    def double_click(self, url, body, process_id, task_id):
        clicks = [gevent.spawn(self.submit, url, body, name="submit (double click)", double=True) for _ in range(2)]
        gevent.joinall(clicks)
        statuses = sorted(c.value for c in clicks)
        SEEN["double_click"].append([process_id, task_id, *statuses])
        if statuses.count(302) == 1:
            SEEN["submit_ok"].append([process_id, task_id])
        if statuses.count(302) > 1:
            _anomaly(f"both clicks of one submit succeeded: process {process_id}")


class Officer(SignedIn):
    """An officer of the oversight office watching the cycle on deadline day."""

    kind = "officers"
    fixed_count = len(CONFIG.get("officers", []))

    @task(3)
    def dashboard(self):
        if self.ensure_signed_in():
            self.get_page(f"/cycles/{CONFIG['cycle']}/dashboard/", "cycle dashboard")

    @task(1)
    def inbox(self):
        if self.ensure_signed_in():
            self.get_page("/tasks/", "我的待办 /tasks/")

    def get_page(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{name} answered {r.status_code}: {_why(r)}")


class BarePage(SignedIn):
    """The floor: an authenticated GET of bench/bare_page.py's page."""

    kind = "everyone"

    @task
    def bare(self):
        with self.client.get(CONFIG["bare_path"], name="bare page", catch_response=True) as r:
            if r.status_code != 200 or not (r.text or "").strip().isdigit():
                r.failure(f"bare page answered {r.status_code}: {_why(r)}")


def _why(response) -> str:
    """What a refused page says: its title, or the start of its text."""
    text = response.text or ""
    m = re.search(r"<title>(.*?)</title>", text, re.S) or re.search(r"<h1>(.*?)</h1>", text, re.S)
    return (m[1] if m else re.sub(r"<[^>]+>|\\s+", " ", text)).strip()[:80]


def _csrf(page: str) -> str:
    m = CSRF.search(page)
    return m[1] if m else ""


def _cookie(name, value):
    return Cookie(
        0,
        name,
        value,
        None,
        False,
        "127.0.0.1",
        False,
        False,
        "/",
        True,
        False,
        int(time.time()) + 86400,
        False,
        None,
        None,
        {"HttpOnly": None},
    )


def _multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
