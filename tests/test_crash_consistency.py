"""T-18 crash consistency (R-LED-13: recovery and integrity): `empact analysis
ingest`, `empact reporting upload` and `empact report` are SIGKILLed at seeded
random moments; each kill leaves their work whole or absent, the audit chain
verifies, and the command run again completes without doing anything twice.

The commands run against a file SQLite database loaded by `empact demo` and an
analysis store in a temporary folder, through tests/crash_launcher.py: each in a
child process of its own, forked from one that has Django imported (so the kill
points fall in the command's work, not in its imports). A kill point is drawn
uniformly between 0 and the command's measured duration; draws that come after
the command ended are not counted as kills, and drawing goes on until KILLS kills
have landed. EMPACT_CRASH_KILLS sets KILLS per command (T-18 asks for 50),
EMPACT_CRASH_SEED the seed, EMPACT_CRASH_COLD=true a fresh Python per command,
and EMPACT_CRASH_PAUSE=SECONDS widens the windows between two writes (see the
launcher) so that more kills land in them.
"""

import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("EMPACT_CRASH_KILLS", "3"))
SEED = int(os.environ.get("EMPACT_CRASH_SEED", "18"))
COLD = os.environ.get("EMPACT_CRASH_COLD", "").lower() in ("1", "true", "yes")
PEOPLE = 3_000  # persons per imported file: a few seconds of work
OPEN_PERIOD = """
from datetime import date
from empact.accounts.models import User
from empact.plans.models import Plan
from empact.reporting import services
driver = User.objects.get(username="driver.de")
period = services.create_period(
    Plan.objects.get(), 2025, 2, deadline=date(2099, 12, 31), actor=driver
)
services.step_period(period, "open", actor=driver)
"""


@dataclass(frozen=True)
class Outcome:
    code: int
    killed: bool
    seconds: float
    output: str


class Launcher:
    """tests/crash_launcher.py, one request at a time."""

    def __init__(self, env: dict, logs: Path) -> None:
        args = [sys.executable, str(ROOT / "tests" / "crash_launcher.py")]
        self.process = subprocess.Popen(
            args + (["--cold"] if COLD else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.logs = logs
        self.count = 0

    def run(self, *argv: str, kill_after: float | None = None) -> Outcome:
        self.count += 1
        out = self.logs / f"{self.count:04d}-{argv[0]}.log"
        request = {"argv": list(argv), "out": str(out), "kill_after": kill_after}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, "the launcher ended (see the test's stderr)"
        result = json.loads(answer)
        return Outcome(
            result["code"], result["killed"], result["seconds"], out.read_text()
        )

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class World:
    root: Path
    store: Path
    database: Path
    empact: Launcher

    def rows(self, query: str, *params) -> list[tuple]:
        # A connection of its own each time, opened after the command ended (and
        # after `audit verify`, which rolls back what a killed one left).
        with closing(sqlite3.connect(self.database, timeout=30)) as db:
            return db.execute(query, params).fetchall()

    def one(self, query: str, *params):
        return self.rows(query, *params)[0][0]

    def entries(self, action: str, object_id=None) -> int:
        if object_id is None:
            return self.one(
                "SELECT count(*) FROM audit_auditentry WHERE action = ?", action
            )
        return self.one(
            "SELECT count(*) FROM audit_auditentry WHERE action = ? AND object_id = ?",
            action,
            str(object_id),
        )

    def audit_verifies(self) -> bool:
        return self.empact.run("audit", "verify").code == 0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("t18")
    (root / "logs").mkdir()
    env = {
        **os.environ,
        "EMPACT_TESTING": "true",
        "EMPACT_DEMO": "true",
        "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
        "EMPACT_ANALYSIS_DIR": str(root / "store"),
        "PYTHONPATH": str(ROOT),
    }
    launcher = Launcher(env, root / "logs")
    try:
        demo = launcher.run("demo")
        assert demo.code == 0, demo.output
        yield World(root, root / "store", root / "db.sqlite3", launcher)
    finally:
        launcher.close()


class Kills:
    """Seeded kill points, until KILLS of them have landed, and their tally.

    A point is drawn between 0 and the median of the command's complete runs
    so far: the load of a shared machine changes while the test runs."""

    def __init__(self, name: str, duration: float) -> None:
        self.name = name
        self.rng = random.Random(f"{SEED}-{name}")
        self.durations = [duration]
        self.tally = Counter()

    @property
    def duration(self) -> float:
        return statistics.median(self.durations)

    def __iter__(self):
        trial = 0
        while self.tally["kills"] < KILLS and trial < 3 * KILLS:
            trial += 1
            yield trial, self.rng.uniform(0, self.duration)

    def measured(self, outcome: Outcome) -> None:
        """A complete run of the command, from start to its end."""
        assert outcome.code == 0, outcome.output
        self.durations.append(outcome.seconds)

    def note(self, outcome: Outcome, *, state: str, verifies: bool, idempotent: bool):
        """Tally a landed kill; a command that ended before its kill point must
        have left what a completed run leaves."""
        if not outcome.killed:
            self.measured(outcome)
            assert (state, verifies, idempotent) == ("whole", True, True)
            return
        self.tally.update(
            kills=1, verifies=verifies, idempotent=idempotent, **{state: 1}
        )

    def figure(self, extra: str) -> str:
        t, k = self.tally, self.tally["kills"]
        consistent = t["whole"] + t["absent"] + t["uncommitted"]
        awaiting = f", {t['uncommitted']} file awaiting its record" * bool(
            t["uncommitted"]
        )
        return (
            f"T-18 {self.name}: {k} kills in 0-{self.duration:.1f} s "
            f"(median of {len(self.durations)} complete runs), "
            f"{consistent}/{k} all-or-nothing "
            f"({t['absent']} nothing, {t['whole']} done{awaiting}), "
            f"re-run idempotent {t['idempotent']}/{k}, {extra}, "
            f"audit chain verifies {t['verifies']}/{k}"
        )

    def check(self) -> None:
        t = self.tally
        assert t["kills"] == KILLS, f"only {t['kills']} kills landed"
        assert t["whole"] + t["absent"] + t["uncommitted"] == KILLS
        assert t["verifies"] == t["idempotent"] == KILLS


# Ingest


def write_people(path: Path, trial: int) -> Path:
    with path.open("w") as f:
        for i in range(PEOPLE):
            entity = {
                "id": f"t18-{trial}-{i}",
                "schema": "Person",
                "properties": {
                    "name": [f"Person {i} of trial {trial}"],
                    "phone": [f"+49 151 {2_000_000 + trial * PEOPLE + i}"],
                    "birthDate": [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}"],
                },
            }
            f.write(json.dumps(entity) + "\n")
    return path


def ingest_argv(path: Path) -> list[str]:
    return [
        "analysis", "ingest", str(path), "--contributor", "DE", "--handling", "H2",
        "--purpose", "OA 2.4 / T-18 crash test", "--as", "analyst.europol",
    ]  # fmt: skip


def torn_parquet_files(store: Path) -> int:
    torn = 0
    for path in store.glob("*.parquet"):
        try:
            pq.read_table(path)
        except Exception:  # noqa: BLE001 - any failure to read is a torn file
            torn += 1
    return torn


def dataset_state(world: World, name: str) -> str:
    """whole, absent, or uncommitted (its file whole, its record not committed);
    anything else fails the test."""
    rows = world.rows("SELECT id FROM analysis_dataset WHERE name = ?", name)
    published = (world.store / f"{name}.parquet").exists()
    # One import entry per dataset, committed with it, and no other.
    assert world.entries("analysis.dataset_imported") == world.one(
        "SELECT count(*) FROM analysis_dataset"
    )
    if rows:
        assert published, f"{name}: a dataset without its file"
        assert world.entries("analysis.dataset_imported", rows[0][0]) == 1
        return "whole"
    return "uncommitted" if published else "absent"


def store_snapshot(world: World) -> tuple:
    files = sorted(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size)
        for p in world.store.glob("*.parquet")
    )
    datasets = world.one("SELECT count(*) FROM analysis_dataset")
    return files, datasets, world.one("SELECT max(seq) FROM audit_auditentry")


def test_a_killed_ingest_leaves_the_dataset_whole_or_absent(world, figure):
    first = world.empact.run(*ingest_argv(write_people(world.root / "p0.jsonl", 0)))
    assert first.code == 0 and ": imported;" in first.output, first.output
    kills = Kills("ingest", first.seconds)
    torn = 0

    for trial, delay in kills:
        path = write_people(world.root / f"p{trial}.jsonl", trial)
        name = "de-" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        outcome = world.empact.run(*ingest_argv(path), kill_after=delay)
        verifies = world.audit_verifies()  # the first to open the DB after the kill
        state = dataset_state(world, name)
        torn += torn_parquet_files(world.store)

        again = world.empact.run(*ingest_argv(path))
        assert again.code == 0, again.output
        assert dataset_state(world, name) == "whole"
        if state == "absent":
            kills.measured(again)
        before = store_snapshot(world)
        third = world.empact.run(*ingest_argv(path))
        idempotent = "already imported, unchanged" in third.output
        kills.note(
            outcome,
            state=state,
            verifies=verifies,
            idempotent=idempotent and store_snapshot(world) == before,
        )

    # What killed imports left (staging folders, files never recorded) goes with
    # the retention job once a day old; the datasets' own files stay.
    live = {n for (n,) in world.rows("SELECT name FROM analysis_dataset")}
    left = [p for p in world.store.iterdir() if p.stem not in live]
    folders = sum(p.is_dir() for p in left)
    past = time.time() - 2 * 86_400
    for path in left:
        for p in [path, *path.rglob("*")]:
            os.utime(p, (past, past))
    retention = world.empact.run("analysis", "retention", "--apply")
    kept = sorted(p.name for p in world.store.iterdir())

    figure(
        kills.figure(f"{torn} torn Parquet files")
        + f"; retention removed what killed imports left: {folders} staging "
        f"folder(s), {len(left) - folders} file(s) never recorded"
    )
    kills.check()
    assert torn == 0
    assert retention.code == 0, retention.output
    assert kept == sorted(f"{n}.parquet" for n in live)
    assert world.audit_verifies()


# Upload


def contribution_state(world: World, pk: int) -> tuple:
    version, narrative = world.rows(
        "SELECT version, narrative FROM reporting_contribution WHERE id = ?", pk
    )[0]
    values = world.rows(
        "SELECT kpi_id, value, weight, evidence FROM reporting_kpivalue "
        "WHERE contribution_id = ? ORDER BY kpi_id",
        pk,
    )
    return version, narrative, values, world.entries("contribution.changed", pk)


def filled(template: bytes, trial: int) -> bytes:
    """The template with a figure in every KPI row and the trial named in the
    evidence and narrative, so that a half-saved upload cannot pass for either
    side."""
    book = load_workbook(BytesIO(template))
    kpis = book["KPIs"]
    for row in range(2, kpis.max_row + 1):
        if kpis[f"A{row}"].value:
            kpis[f"F{row}"] = (trial * 7 + row) % 90 + 1
            kpis[f"G{row}"] = 10 + row
            kpis[f"H{row}"] = f"T-18 trial {trial}"
    book["Narrative"]["A2"] = f"T-18 crash test, trial {trial}"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload_argv(verb: str, *rest: str) -> list[str]:
    return [
        "reporting", verb, *rest, "--oa", "2.4", "--org", "IT",
        "--period", "2025-H2", "--as", "leader.it",
    ]  # fmt: skip


def refused_as_stale(outcome: Outcome) -> bool:
    return outcome.code == 1 and "version" in outcome.output


def test_a_killed_upload_saves_every_value_or_none(world, figure):
    opened = world.empact.run("shell", "-c", OPEN_PERIOD)
    assert opened.code == 0, opened.output

    def workbook(trial: int) -> Path:
        template = world.root / f"t{trial}.xlsx"
        made = world.empact.run(*upload_argv("template", "-o", str(template)))
        assert made.code == 0, made.output
        path = world.root / f"u{trial}.xlsx"
        path.write_bytes(filled(template.read_bytes(), trial))
        return path

    first = world.empact.run(*upload_argv("upload", str(workbook(0))))
    assert first.code == 0 and "saved, now version" in first.output, first.output
    (pk,) = world.rows(
        "SELECT c.id FROM reporting_contribution c "
        "JOIN organisations_organisation o ON o.id = c.organisation_id "
        "JOIN plans_action a ON a.id = c.action_id "
        "JOIN reporting_reportingperiod p ON p.id = c.period_id "
        "WHERE o.code = 'IT' AND a.ref = '2.4' AND p.year = 2025 AND p.half = 2"
    )[0]
    kills = Kills("upload", first.seconds)
    half_saved = 0

    for trial, delay in kills:
        path = workbook(trial)
        before = contribution_state(world, pk)
        outcome = world.empact.run(*upload_argv("upload", str(path)), kill_after=delay)
        verifies = world.audit_verifies()
        after = contribution_state(world, pk)
        again = world.empact.run(*upload_argv("upload", str(path)))
        done = contribution_state(world, pk)
        third = world.empact.run(*upload_argv("upload", str(path)))
        unchanged = contribution_state(world, pk) == done

        saved_once = (done[0], done[3]) == (before[0] + 1, before[3] + 1)
        assert saved_once and done[1] == f"T-18 crash test, trial {trial}"
        if after == before:
            state = "absent"
            kills.measured(again)  # not saved: saved now
        elif after == done:
            state = "whole"
            assert refused_as_stale(again), again.output  # saved: not twice
        else:
            state = "half"
            half_saved += 1
        kills.note(
            outcome,
            state=state,
            verifies=verifies,
            idempotent=refused_as_stale(third) and unchanged,
        )

    figure(kills.figure(f"{half_saved} half-saved contributions"))
    kills.check()
    assert half_saved == 0


# Report


def exported(world: World) -> tuple[int, str]:
    """How many exports the audit log holds, and the sha256 of the last one."""
    rows = world.rows(
        "SELECT extra FROM audit_auditentry WHERE action = 'report.exported' "
        "ORDER BY seq"
    )
    return len(rows), json.loads(rows[-1][0])["sha256"] if rows else ""


def report_argv(output: Path) -> list[str]:
    return [
        "report", "factsheet", "--year", "2024", "--format", "pdf",
        "-o", str(output), "--as", "driver.de",
    ]  # fmt: skip


def whole_pdf(path: Path, sha256: str) -> bool:
    """A PDF from its header to its end marker, the one the last export recorded."""
    data = path.read_bytes()
    return (
        data.startswith(b"%PDF-")
        and data.rstrip().endswith(b"%%EOF")
        and hashlib.sha256(data).hexdigest() == sha256
    )


def test_a_killed_report_export_leaves_the_file_whole_or_absent(world, figure):
    folder = world.root / "reports"
    folder.mkdir()
    first = world.empact.run(*report_argv(folder / "r0.pdf"))
    assert first.code == 0, first.output
    assert whole_pdf(folder / "r0.pdf", exported(world)[1])
    kills = Kills("report", first.seconds)
    partial = 0

    for trial, delay in kills:
        output = folder / f"r{trial}.pdf"
        count, _ = exported(world)
        outcome = world.empact.run(*report_argv(output), kill_after=delay)
        verifies = world.audit_verifies()
        after, last = exported(world)
        # Recorded before the bytes are written: a kill in between leaves the
        # disclosure recorded and no file, never a file that was not recorded.
        assert after - count in (0, 1)
        if output.exists():
            whole = after == count + 1 and whole_pdf(output, last)
            partial += not whole
            state = "whole" if whole else "torn"
        else:
            state = "absent"
        again = world.empact.run(*report_argv(output))
        kills.measured(again)
        total, last = exported(world)
        kills.note(
            outcome,
            state=state,
            verifies=verifies,
            idempotent=again.code == 0
            and total == after + 1
            and whole_pdf(output, last),
        )

    temporary = [p for p in folder.iterdir() if p.name.startswith(".")]
    figure(
        kills.figure(f"{partial} partial files at the -o path")
        + f"; {len(temporary)} temporary file(s) of killed writes beside them"
    )
    kills.check()
    assert partial == 0
