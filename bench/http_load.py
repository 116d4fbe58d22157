"""The HTTP leg of a benchmark: a gunicorn server on loopback, and a closed-loop
load of N connections for a fixed time, written in Python (threads and
http.client) so that it needs nothing beyond the standard library.

Closed loop, as wrk does it: each connection sends its next request as soon as the
previous response is read, so latency includes the wait for a free worker. With C
connections and a server that completes R requests a second, the median latency
is about C / R (Little's law): at 16 connections a p95 of 300 ms needs some 55
requests a second or more.

Server CPU per request is read from /proc (user + system time of the gunicorn
master and workers, and on PostgreSQL of the database backends serving them),
before and after the measured window, divided by the requests completed in it."""

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# One sync worker per core: the benchmark machine has 2 cores, and the dashboard is
# CPU-bound, so more workers would only queue inside the server instead of in the
# listen backlog. Client and server share the cores (no taskset): the client's own
# CPU is reported beside the figures.
WORKERS = 2
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    pid: int
    port: int

    def cpu_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        return [self.pid, *_children(self.pid)]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    median: float
    p95: float
    server_cpu: float  # seconds, gunicorn processes
    database_cpu: float  # seconds, database server processes (PostgreSQL)
    client_cpu: float  # seconds, this process (the load generator)
    failures: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_per_request(self) -> float:
        return (self.server_cpu + self.database_cpu) / max(self.requests, 1)


@contextmanager
def gunicorn(database_url: str, *, workers: int = WORKERS):
    """A gunicorn server of bench.settings on a free loopback port; stopped (and
    its database connections closed) on leaving."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "EMPACT_TESTING": "true",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--backlog=64",
        "--log-level=warning",
        "empact.wsgi:application",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_for(port, process, workers)
        yield Server(process.pid, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load(
    server: Server,
    path: str,
    *,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    database_pids: Callable[[], list[int]] = list,
    warmup_seconds: float = 2.0,
) -> LoadResult:
    """GET `path` over `connections` connections for `seconds`, after a warm-up of
    the same load whose figures are dropped."""
    _closed_loop(server.port, path, headers, connections, warmup_seconds)
    pids = server.cpu_pids()
    db_pids = database_pids()
    server_before, db_before = cpu_seconds(pids), cpu_seconds(db_pids)
    client_before = time.process_time()
    latencies, failures, elapsed = _closed_loop(
        server.port, path, headers, connections, seconds
    )
    client_cpu = time.process_time() - client_before
    server_cpu = cpu_seconds(pids) - server_before
    db_cpu = cpu_seconds(db_pids) - db_before
    latencies.sort()
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        median=statistics.median(latencies),
        p95=latencies[max(int(len(latencies) * 0.95) - 1, 0)],
        server_cpu=server_cpu,
        database_cpu=db_cpu,
        client_cpu=client_cpu,
        failures=failures,
    )


def _closed_loop(port, path, headers, connections, seconds):
    ends = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections

    def connection_loop(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < ends:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[i].append(time.perf_counter() - started)
            if response.status != 200:
                failures[i] += 1
        conn.close()

    started = time.perf_counter()
    threads = [
        threading.Thread(target=connection_loop, args=(i,)) for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return [t for ts in latencies for t in ts], sum(failures), elapsed


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of `pids` (those still running)."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICK


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, workers: int) -> None:
    """Until the server answers on `port` and all its workers are up."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                if len(_children(process.pid)) >= workers:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not listen on 127.0.0.1:{port} within 60 s")
