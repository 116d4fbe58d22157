"""`make bench`: every benchmark prints its figures, as ratios to a floor measured
in the same run (these machines are shared, so absolute times alone mislead)."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact.settings")
os.environ.setdefault("EMPACT_TESTING", "true")

import django  # noqa: E402

django.setup()

from bench import dashboard, matching, plan_import, reports  # noqa: E402

BENCHMARKS = {
    "plan_import": plan_import.run,
    "dashboard": dashboard.run,
    "reports": reports.run,
    "matching": matching.run,
}


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main(sys.argv[1:])
