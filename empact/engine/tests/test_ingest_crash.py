"""T-18 for the engine: an import killed at any moment leaves either the previous
statement file or the new one, whole, never a torn one; running it again finishes."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from empact.engine.ingest import remove_leftovers

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
RUN = """
import datetime as dt, sys
from empact.engine import Provenance, ingest, load_mapping
provenance = Provenance("DE", "crash", dt.date(2026, 1, 1))
mapping = load_mapping(sys.argv[2])
ingest(sys.argv[1], provenance=provenance, out_dir=sys.argv[3], mapping=mapping)
"""


def write_rows(path, n):
    header = (DATA / "people.csv").read_text().splitlines()[0]
    with path.open("w") as f:
        f.write(header + "\n")
        for i in range(n):
            f.write(
                f"p{i},Person {i % 977},1980-05,030 {1000000 + i},,de,suspect,,,,,\n"
            )


def start(source, out):
    args = [sys.executable, "-c", RUN, str(source), str(DATA / "people.yaml"), str(out)]
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_a_killed_import_leaves_the_old_or_the_new_file_whole(tmp_path, figure):
    source = tmp_path / "people.csv"
    out = tmp_path / "out"
    target = out / "crash.parquet"
    write_rows(source, 1_000)
    assert start(source, out).wait() == 0
    old = pq.read_table(target).num_rows
    write_rows(source, 30_000)  # a new version of the dataset
    new = 30_000 * 5  # id, name, birth date, phone and nationality of each person
    rng = random.Random(1)
    kills, seen = 0, []
    for _ in range(5):
        process = start(source, out)
        time.sleep(rng.uniform(1.0, 12.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        seen.append(pq.read_table(target).num_rows)  # raises on a torn file
    assert set(seen) <= {old, new}
    assert start(source, out).wait() == 0
    assert pq.read_table(target).num_rows == new
    left = remove_leftovers(target, older_than=0)
    figure(
        f"T-18 engine ingest: {kills} kills, 0 torn files, "
        f"{seen.count(old)} left the old file and {seen.count(new)} the new one, "
        f"rerun complete, {len(left)} leftovers of killed runs removed"
    )
