"""A server process for the benchmarks that go over HTTP: the project's ASGI application under uvicorn, started as
bin/serve starts it (or as bin/scaleout does with `workers`), on a free loopback port, against the benchmark's own
database, stopped when the block ends.

    with served(workers=1, urlconf="bench.bare_page") as server:
        ... http://127.0.0.1:{server.port}/ ...
        server.cpu_seconds()  # CPU (user + system) of the server and its worker processes so far

`urlconf` mounts a benchmark-only URL configuration (for example the bare page or a peer) over the project's own
URLs in the server process only; the product never mounts it.
"""

import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import time

UVICORN = [
    "-m",
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets-sansio",
    "--no-proxy-headers",
    "--no-access-log",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its child processes (uvicorn --workers), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclasses.dataclass
class Server:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before it answered")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {timeout:.0f} s")


@contextlib.contextmanager
def served(*, workers: int = 1, urlconf: str | None = None, settings_module: str = "project.settings.dev", env=None):
    """Run the ASGI application on a free port for the length of the block (see the module's docstring)."""
    from django.conf import settings

    port = free_port()
    environment = os.environ | {
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": settings_module,
    }
    if urlconf:
        environment["BENCH_ROOT_URLCONF"] = urlconf
    environment |= env or {}
    args = [*UVICORN, "--port", str(port)]
    if workers > 1:
        args += ["--workers", str(workers)]
    app = "bench.served_asgi:application" if urlconf else "project.asgi:application"
    process = subprocess.Popen(
        [sys.executable, *args, app],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("BENCH_SERVER_LOG") else subprocess.DEVNULL,
        cwd=settings.BASE_DIR,
    )
    try:
        _wait_for(port, process)
        if os.environ.get("BENCH_SERVER_PID_FILE"):  # lets a profiler attach to the server
            with open(os.environ["BENCH_SERVER_PID_FILE"], "w") as f:
                f.write(str(process.pid))
        yield Server(port=port, process=process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
