"""What the operability fault tests share: servers of their own (a Redis, a PostgreSQL cluster, uvicorn with its
supervisor) that a test may stop and start without touching the machine's shared ones, a small HTTP client with
cookies, and a websocket client. Each server is started on a free port in a temporary folder and stopped afterwards."""

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from django.conf import settings

from tests.e2e.conftest import UVICORN_FLAGS, suite_log_name, test_database_url

ROOT = Path(settings.BASE_DIR)
UNAVAILABLE = "服务暂时不可用"  # the 503 page's heading, in Chinese


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing answers on port {port} after {timeout} s")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# ---- Redis -------------------------------------------------------------------------------------------------------


class OwnRedis:
    """A redis-server of the test's own (append-only file, as bin/services starts it): stop() and start() again on
    the same port and folder, so the data comes back as after a real restart."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.process = folder, free_port(), None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self):
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder), "--save", ""]
            + ["--appendonly", "yes", "--appendfsync", "everysec"],
            stdout=open(self.folder / "redis.log", "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, 10)

    def stop(self):
        stop_process(self.process)


@contextlib.contextmanager
def own_redis():
    folder = Path(tempfile.mkdtemp(prefix="zerenzhi-fault-redis-"))
    server = OwnRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


# ---- PostgreSQL --------------------------------------------------------------------------------------------------


class OwnPostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust on loopback), as bin/services starts
    one; run as the postgres user when the tests run as root (initdb refuses root)."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
        assert bins, "PostgreSQL's server programs are missing (bin/services installs them)"
        self.bin = Path(bins[-1])
        self.user = "postgres" if os.geteuid() == 0 else None

    def run(self, program: str, *args: str, check=True):
        return subprocess.run(
            [str(self.bin / program), *args], user=self.user, capture_output=True, text=True, check=check, timeout=120
        )

    def url(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def init(self):
        if self.user:
            shutil.chown(self.folder, self.user)
        self.run(
            "initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"
        )

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        data, log = str(self.folder / "data"), str(self.folder / "log")
        self.run("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast"):
        self.run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop", check=False)


@contextlib.contextmanager
def own_postgres():
    folder = Path(tempfile.mkdtemp(prefix="zerenzhi-fault-pg-"))  # under /tmp: the postgres user must reach it
    server = OwnPostgres(folder)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def copy_test_database_to(server: OwnPostgres, name: str) -> str:
    """The test's PostgreSQL database (schema and rows) copied into `name` on our own cluster; its URL."""
    from django.db import connection

    db = connection.settings_dict
    dump = server.folder / "copy.dump"
    env = os.environ | ({"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {})
    source = ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432), "--username", db["USER"]]
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *source, "--file", str(dump), db["NAME"]],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    if server.user:
        shutil.chown(dump, server.user)
    target = ["--host", "127.0.0.1", "--port", str(server.port), "--username", "postgres"]
    server.run("createdb", *target, name)
    server.run("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *target, "--dbname", name, str(dump))
    return server.url(name)


# ---- the ASGI server ---------------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen
    log: Path


@contextlib.contextmanager
def asgi_server(*, log_name: str, workers: int = 1, **env_extra):
    """uvicorn as bin/scaleout starts it (with --workers N: uvicorn's supervisor, which replaces a process that dies and
    restarts them one at a time on SIGHUP), on the test's database unless DATABASE_URL is given."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "project.settings.test",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
        "BALLOT_WORKERS": "1",
        **env_extra,
    }
    env = {k: v for k, v in env.items() if v is not None}  # None: leave the variable out
    log = ROOT / "var" / f"{suite_log_name(log_name)}.log"
    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port), *UVICORN_FLAGS]
    if workers > 1:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--timeout-graceful-shutdown", "5", "project.asgi:application"],
        env=env,
        cwd=ROOT,
        stdout=open(log, "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, 60)
        server = Server(f"http://127.0.0.1:{port}", port, process, log)
        deadline = time.monotonic() + 60
        while Http(server.url).get("/healthz/live").status != 200:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the server never answered /healthz/live"
            time.sleep(0.1)
        yield server
    finally:
        stop_process(process, 20)


# ---- HTTP and websockets -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: str
    seconds: float
    at: float  # time.monotonic() when the answer came

    @property
    def is_unavailable_page(self) -> bool:
        return self.status == 503 and UNAVAILABLE in self.body and "Traceback" not in self.body

    def json(self) -> dict:
        return json.loads(self.body)


class Http:
    """A browser-like client: keeps cookies, follows redirects, sends the CSRF token with each form. Each request on a
    new connection. A connection refused or reset is status 0."""

    def __init__(self, base: str, timeout: float = 15):
        self.base, self.timeout = base, timeout
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, path: str, form: dict | None = None) -> Answer:
        data = None
        if form is not None:
            data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookie("csrftoken") or ""}).encode()
        start = time.monotonic()
        try:
            with self.opener.open(self.base + path, data=data, timeout=self.timeout) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode("utf-8", "replace")
        except (OSError, urllib.error.URLError) as error:
            status, body = 0, repr(error)
        end = time.monotonic()
        return Answer(status, body, end - start, end)

    def get(self, path: str) -> Answer:
        return self.request(path)

    def post(self, path: str, form: dict) -> Answer:
        if self.cookie("csrftoken") is None:
            self.get(path)
        return self.request(path, form)

    def login(self, username: str, password: str | None = None) -> Answer:
        self.get("/login/")
        return self.post("/login/", {"username": username, "password": password or settings.DEMO_PASSWORD})


def websocket(base: str, http: Http, path: str = "/ws/inbox/", timeout: float = 5):
    """A websocket with the client's session cookie, from the site's own origin."""
    from websockets.sync.client import connect

    cookies = "; ".join(f"{c.name}={c.value}" for c in http.jar)
    return connect(
        base.replace("http://", "ws://") + path,
        origin=base,
        additional_headers={"Cookie": cookies},
        open_timeout=timeout,
        close_timeout=1,
        legacy=True,  # a connection object the test closes itself (not a context manager)
    )


def push_to_user(redis_url: str, user_id: int) -> None:
    """What the site sends when a user's inbox changes, sent from here through the same Redis channel layer."""
    from asgiref.sync import async_to_sync
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url])

    async def send():
        await layer.group_send(f"user.{user_id}", {"type": "inbox.changed", "title": ""})
        await layer.close_pools()

    async_to_sync(send)()


def pids_holding(port: int, client_ports: set[int], pids: list[int]) -> dict[int, int]:
    """Which server process holds each client connection (client port → pid), from /proc: the socket inode of the
    server end (local port `port`, remote port the client's) found among each process's open files."""
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if int(local.rsplit(":", 1)[1], 16) == port and int(remote.rsplit(":", 1)[1], 16) in client_ports:
                    inodes[f"socket:[{inode}]"] = int(remote.rsplit(":", 1)[1], 16)
    holders = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, PermissionError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(FileNotFoundError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target in inodes:
                        holders[inodes[target]] = pid
    return holders
