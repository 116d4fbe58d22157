"""`empact analysis ingest|crossmatch|handling|retention`: the analysis project for
analysts and scripted runs.

The command line has no signed-in user: `--as USERNAME` names the person on whose
behalf it acts, and the permission module decides as for a page. Retention runs as
the system (a scheduled job), so it needs no --as.
"""

import csv
import sys
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone
from tqdm import tqdm

from empact.analysis import crossmatching, services
from empact.analysis.handling import tighten_handling
from empact.analysis.models import Dataset, Hit
from empact.commandline import acting_user, add_as_argument
from empact.errors import UserError
from empact.files import whole_file
from empact.organisations.models import Organisation

PAIR_HEADER = ["left_id", "right_id", "score", "reason"]


class Command(BaseCommand):
    help = "The analysis project: import datasets, cross-match them, apply retention."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        p = sub.add_parser(
            "ingest",
            help="import a CSV, XLSX or followthemoney JSON lines file as one "
            "dataset of a contributor, all or nothing",
        )
        p.add_argument("file", type=Path)
        p.add_argument(
            "--contributor", required=True, help="organisation code, e.g. DE"
        )
        p.add_argument("--handling", required=True, choices=["H0", "H1", "H2", "H3"])
        p.add_argument(
            "--mapping", type=Path, help="mapping file (YAML); not for JSON lines"
        )
        p.add_argument(
            "--purpose",
            required=True,
            help="the case or OA reference the data is contributed for",
        )
        p.add_argument(
            "--collected",
            type=date.fromisoformat,
            help="date of collection (default: today)",
        )
        p.add_argument("--source-code", default="X", choices=["A", "B", "C", "X"])
        p.add_argument("--info-code", type=int, default=4, choices=[1, 2, 3, 4])
        p.add_argument(
            "--role", default="other", choices=["suspect", "victim", "witness", "other"]
        )
        p.add_argument("--restrictions", default="", help="the provider's H3 terms")
        add_as_argument(p)
        p = sub.add_parser(
            "crossmatch",
            help="match every dataset the rules allow; the hits replace the last "
            "run's; optionally write the pairs as CSV",
        )
        p.add_argument(
            "--deterministic-only",
            action="store_true",
            help="shared identifiers only, no probabilistic person matching",
        )
        p.add_argument(
            "--retrain",
            action="store_true",
            help="train the person model afresh, even if the stored one still fits",
        )
        p.add_argument(
            "--out", type=Path, help="write left_id,right_id,score,reason here"
        )
        add_as_argument(p)
        p = sub.add_parser(
            "handling",
            help="tighten a dataset's handling code at its provider's request, never "
            "loosen it; every hit of the dataset takes the stricter code at once",
        )
        p.add_argument("dataset", help="the dataset's name, e.g. de-0123456789abcdef")
        p.add_argument(
            "--to",
            dest="code",
            required=True,
            choices=["H0", "H1", "H2", "H3"],
            help="the new code, stricter than the dataset's",
        )
        p.add_argument(
            "--reason",
            required=True,
            help="the provider's request or the case reference (audited)",
        )
        add_as_argument(p)
        p = sub.add_parser(
            "retention",
            help="list datasets past their review date; --apply erases them",
        )
        p.add_argument("--apply", action="store_true", help="erase them (audited)")

    def handle(self, *args, verb, **options):
        try:
            getattr(self, f"_{verb}")(**options)
        except UserError as e:
            raise CommandError(str(e)) from None
        except (PermissionDenied, Http404):
            raise CommandError(
                f"{options.get('as_user')} may not do this (see docs/permissions.md)"
            ) from None

    def _ingest(self, *, file, contributor, as_user, **o):
        actor = acting_user(as_user)
        given = services.Contribution(
            contributor=_organisation(contributor),
            handling=o["handling"],
            purpose=o["purpose"],
            collected_on=o["collected"] or timezone.localdate(),
            source_code=o["source_code"],
            info_code=o["info_code"],
            role=o["role"],
            restrictions=o["restrictions"],
        )
        dataset, created = services.ingest_dataset(
            file, given, actor=actor, mapping_path=o["mapping"]
        )
        state = "imported" if created else "already imported, unchanged"
        self.stdout.write(
            f"{dataset.name}: {state}; {dataset.entities} entities, "
            f"{dataset.statements} statements, review date {dataset.review_date}"
        )

    def _crossmatch(self, *, deterministic_only, retrain, out, as_user, **o):
        actor = acting_user(as_user)
        with tqdm(desc="hits", unit=" pairs", file=sys.stderr, leave=False) as bar:
            run = crossmatching.run_crossmatch(
                actor=actor,
                today=timezone.localdate(),
                persons=not deterministic_only,
                retrain=retrain,
                progress=bar.update,
            )
        if out:
            _write_pairs(run, out)
        self.stdout.write(
            f"run {run.pk}: {run.datasets} datasets, {run.pairs} pairs across "
            "contributors" + (f", written to {out}" if out else "")
        )
        if run.note:
            self.stdout.write(f"run {run.pk}: {run.note}")
        if run.model_id:
            how = "trained" if run.model_trained else "stored, reused"
            self.stdout.write(
                f"run {run.pk}: person model {run.model_id} ({how}; "
                f"{run.model.persons} persons)"
            )

    def _handling(self, *, dataset, code, reason, as_user, **o):
        actor = acting_user(as_user)
        held = Dataset.objects.filter(name=dataset).select_related("contributor")
        if not held:
            raise CommandError(f"{dataset}: there is no dataset of that name")
        done = tighten_handling(held[0], code, actor=actor, reason=reason)
        if not done.changed:
            self.stdout.write(f"{dataset}: already {code}, unchanged")
            return
        self.stdout.write(
            f"{dataset}: handling code {done.previous} -> {done.code}; "
            f"{done.hits} hit(s) took the stricter code"
        )

    def _retention(self, *, apply, **o):
        today = timezone.localdate()
        due = Dataset.objects.filter(erased_at=None, review_date__lt=today)
        for dataset in due:
            self.stdout.write(
                f"{dataset.name} ({dataset.contributor.code}): review date "
                f"{dataset.review_date} has passed"
            )
        if not apply:
            self.stdout.write(f"{due.count()} dataset(s) due; --apply erases them")
            return
        erased = services.erase_due(today=today, actor_name="cli:retention")
        self.stdout.write(f"{len(erased)} dataset(s) erased")
        # The scheduled job also clears what interrupted imports left in the store.
        removed = services.remove_leftovers(
            now=timezone.now(), actor_name="cli:retention"
        )
        if removed:
            self.stdout.write(
                f"{len(removed)} leftover(s) of interrupted imports removed from "
                f"the analysis store: {', '.join(removed)}"
            )


def _organisation(code: str) -> Organisation:
    try:
        return Organisation.objects.get(code=code.upper())
    except Organisation.DoesNotExist:
        raise CommandError(
            f"--contributor {code}: no organisation has that code"
        ) from None


def _write_pairs(run, out: Path) -> None:
    """The run's pairs as CSV, written whole: an interrupted command leaves the
    previous file or none, never half of one."""
    hits = Hit.objects.filter(run=run).order_by("left_entity", "right_entity")
    with whole_file(out, text=True) as f:
        writer = csv.writer(f)
        writer.writerow(PAIR_HEADER)
        for hit in hits.iterator(chunk_size=5000):
            writer.writerow(
                [hit.left_entity, hit.right_entity, f"{hit.score:.4f}", hit.reason]
            )
