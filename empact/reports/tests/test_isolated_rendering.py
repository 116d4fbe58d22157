"""V-8: a PDF is laid out in a child process held to limits of time and memory, so
a runaway document stops with a clear message and the asking process lives on."""

import os
import time

import pytest

from empact.reports.render.isolated import RenderingStopped, run_in_child
from empact.reports.render.pdf import pdf_from_html

LIMITS = {"cpu_seconds": 1, "memory_bytes": 64 * 2**20, "wall_seconds": 5}


def burn_cpu():
    while True:
        pass


def take_memory():
    hoard = []
    while True:
        hoard.append(bytearray(16 * 2**20))


def test_the_result_and_the_pid_come_from_a_child():
    pid = run_in_child(os.getpid, **LIMITS)
    assert pid != os.getpid()
    assert run_in_child(lambda: b"%PDF-" * 3, **LIMITS) == b"%PDF-%PDF-%PDF-"


def test_an_error_in_the_child_is_raised_in_the_parent_as_it_was():
    def fail():
        raise ValueError("no such figure")

    with pytest.raises(ValueError, match="no such figure"):
        run_in_child(fail, **LIMITS)


def test_a_layout_that_runs_away_is_stopped_at_its_cpu_limit():
    started = time.monotonic()
    with pytest.raises(RenderingStopped, match="more than 1 s of CPU time"):
        run_in_child(burn_cpu, **LIMITS)
    assert time.monotonic() - started < 5


def test_a_layout_that_eats_memory_is_stopped_at_its_memory_limit():
    with pytest.raises(RenderingStopped, match="more than 64 MiB of memory"):
        run_in_child(take_memory, **LIMITS)


def test_a_layout_that_hangs_is_stopped_at_the_deadline():
    with pytest.raises(RenderingStopped, match="still being laid out after 1 s"):
        run_in_child(
            lambda: time.sleep(30), cpu_seconds=5, memory_bytes=2**26, wall_seconds=1
        )


def test_a_pdf_too_long_to_lay_out_stops_with_a_message(settings):
    settings.EMPACT_PDF_SECONDS = 1
    rows = "".join(f"<tr><td>{n}</td><td>{'word ' * 40}</td></tr>" for n in range(4000))

    with pytest.raises(RenderingStopped, match="more than 1 s of CPU time"):
        pdf_from_html(f"<!DOCTYPE html><table>{rows}</table>")

    # the process that asked goes on: the next document is made
    assert pdf_from_html("<p>Next</p>").startswith(b"%PDF-")
