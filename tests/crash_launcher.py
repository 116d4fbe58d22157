"""Runs `empact` commands for the crash-consistency test (T-18) and SIGKILLs them.

Reads one JSON request a line on stdin: {"argv": [...], "out": PATH, "kill_after":
SECONDS or null}. Each command runs in a child process of its own, its output in
PATH; after `kill_after` seconds, a child still running gets SIGKILL. Answers one
JSON line: {"code": exit code (-9 when killed), "killed": bool, "seconds": float}.

Warm by default: Django and the heavy modules are imported once here, and each
command runs in a forked child, so the kill points fall in the command's own work
rather than in eight seconds of imports (on a loaded machine, half a minute). With
--cold, each command is a fresh `python -m empact.cli` process instead.

EMPACT_CRASH_PAUSE=SECONDS (warm only) is a fault-injection hook: the children
pause before every rename (a staged file about to be published) and after the
engine has published a dataset (its record not yet committed), so that kills land
in the windows between two writes far more often than at random.

Only this process reaps its children, so a pid is never signalled after it could
have been reused.
"""

import json
import os
import signal
import subprocess
import sys
import time
import traceback

HEAVY = (
    "duckdb",
    "pyarrow.parquet",
    "openpyxl",
    "weasyprint",
    "empact.engine.ingest",
    "empact.reports.render.pdf",
    "empact.reporting.xlsx",
)
COMMANDS = ("analysis", "audit", "report", "reporting", "shell")


def warm_up() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact.settings")
    import importlib

    import django

    django.setup()
    from django.core.management import get_commands, load_command_class
    from django.db import connections
    from django.urls import get_resolver

    assert get_resolver().url_patterns  # the system checks of every command load it
    for name in HEAVY:
        importlib.import_module(name)
    for name in COMMANDS:
        load_command_class(get_commands()[name], name)
    connections.close_all()  # a child must not share the parent's connection
    pause = float(os.environ.get("EMPACT_CRASH_PAUSE") or 0)
    if pause:
        widen_windows(pause)


def widen_windows(pause: float) -> None:
    from empact.analysis import services

    def paused(call):
        def run(*args, **kwargs):
            time.sleep(pause)
            return call(*args, **kwargs)

        return run

    def then_paused(call):
        def run(*args, **kwargs):
            result = call(*args, **kwargs)
            time.sleep(pause)
            return result

        return run

    os.replace = paused(os.replace)
    services.ingest = then_paused(services.ingest)


class Forked:
    """A command in a forked child, with Popen's poll/kill/wait."""

    def __init__(self, argv: list[str], out: str) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        open(out, "wb").close()  # there even if the child is killed at once
        self.returncode = None
        self.pid = os.fork()
        if self.pid == 0:
            os._exit(self._child(argv, out))

    @staticmethod
    def _child(argv: list[str], out: str) -> int:
        fd = os.open(out, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        code = 0
        try:
            from empact.cli import main

            main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else int(e.code is not None)
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        return code

    def poll(self):
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def wait(self):
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode


def cold(argv: list[str], out: str) -> subprocess.Popen:
    with open(out, "wb") as f:
        return subprocess.Popen(
            [sys.executable, "-m", "empact.cli", *argv], stdout=f, stderr=f
        )


def serve(start) -> None:
    for line in sys.stdin:
        request = json.loads(line)
        kill_after = request["kill_after"]
        began = time.monotonic()
        child = start(request["argv"], request["out"])
        killed = False
        while child.poll() is None:
            elapsed = time.monotonic() - began
            if kill_after is not None and elapsed >= kill_after:
                child.kill()
                # It may have ended just before the signal: then it was not killed.
                killed = child.wait() == -signal.SIGKILL
                break
            wait = 0.05 if kill_after is None else kill_after - elapsed
            time.sleep(min(max(wait, 0.001), 0.05))
        answer = {
            "code": child.returncode,
            "killed": killed,
            "seconds": time.monotonic() - began,
        }
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    if "--cold" in sys.argv:
        serve(cold)
    else:
        warm_up()
        serve(Forked)
