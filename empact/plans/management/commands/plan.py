import getpass
import json
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.organisations.services import (
    CATALOGUE_PATH,
    load_organisations,
    read_catalogue,
)
from empact.plans import versions
from empact.plans.defaults import DEFAULT_PLAN_FILE
from empact.plans.document import plan_from_document
from empact.plans.export import plan_as_dict
from empact.plans.lint import ERROR, lint_plan
from empact.plans.models import Plan
from empact.plans.planfile import (
    dump_plan_json,
    dump_plan_yaml,
    normalise_plan,
    read_plan_file,
)
from empact.plans.schema import PLAN_SCHEMA, check_plan_structure
from empact.plans.services import import_plan


class Command(BaseCommand):
    help = "The plan as data: import, export, diff, lint, from-document, schema."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
        p = sub.add_parser("import", help="create or update a plan from a plan file")
        p.add_argument("file", type=Path)
        p.add_argument("--reason", default="", help="why: kept with the plan version")
        p.add_argument("--by", default="", help="who (default: your login name)")
        p = sub.add_parser("export", help="write a plan as a plan file")
        p.add_argument("--plan", help="plan id (needed when there are several)")
        p.add_argument("--format", choices=["yaml", "json"], default="yaml")
        p.add_argument("-o", "--output", type=Path, help="file (default: stdout)")
        p = sub.add_parser("diff", help="what changed since adoption or a version")
        p.add_argument("--plan")
        p.add_argument(
            "--since",
            help="a version number or a date (YYYY-MM-DD); "
            "default: the plan as adopted (version 1)",
        )
        p = sub.add_parser(
            "lint", help="check a plan file, or the plan in the database"
        )
        p.add_argument("file", type=Path, nargs="?")
        p.add_argument("--plan")
        p = sub.add_parser("from-document", help="plan file from an OAP document text")
        p.add_argument("file", type=Path)
        p.add_argument("-o", "--output", type=Path, help="file (default: stdout)")
        p = sub.add_parser("schema", help="the JSON Schema of plan files")
        p.add_argument("-o", "--output", type=Path)

    def handle(self, *args, verb, **options):
        try:
            getattr(self, "do_" + verb.replace("-", "_"))(**options)
        except UserError as e:
            raise CommandError(str(e)) from None
        except DatabaseError as e:
            if _has_tables():
                raise
            raise CommandError(
                f"the database has no tables yet ({e}): run "
                "`empact migrate` or `empact demo` first"
            ) from None

    def do_import(self, *, file, reason, by, **_):
        if not Organisation.objects.exists():
            load_organisations()
        result = import_plan(
            read_plan_file(file),
            by=by or f"cli:{getpass.getuser()}",
            reason=reason,
            source=str(file),
        )
        for change in result.changes[:200]:
            self.stdout.write(str(change))
        if len(result.changes) > 200:
            self.stdout.write(f"... and {len(result.changes) - 200} more")
        self.stdout.write(result.summary())

    def do_export(self, *, plan, format, output, **_):
        plan = _plan(plan)
        data = plan_as_dict(plan)
        record(
            "plan.exported",
            actor=None,
            actor_name=f"cli:{getpass.getuser()}",
            operation="disclosure",
            obj=plan,
            extra={"format": format, "to": str(output or "stdout")},
        )
        _write(
            self,
            dump_plan_json(data) if format == "json" else dump_plan_yaml(data),
            output,
        )

    def do_diff(self, *, plan, since, **_):
        plan = _plan(plan)
        base = versions.version_at(plan, _since(since))
        changes = versions.changes_since(plan, base)
        self.stdout.write(
            f"{plan.slug}: {len(changes)} change(s) since version "
            f"{base.number} ({base.created_at:%Y-%m-%d}, "
            f"{base.reason or 'no reason given'})"
        )
        for change in changes:
            self.stdout.write(str(change))

    def do_lint(self, *, file, plan, **_):
        if file:
            data = read_plan_file(file)
            check_plan_structure(data, name=str(file))
            data = normalise_plan(data)
        elif _has_tables() and Plan.objects.exists():
            data = plan_as_dict(_plan(plan))
        else:
            data = normalise_plan(read_plan_file(DEFAULT_PLAN_FILE))
        codes = {e["code"] for e in read_catalogue(CATALOGUE_PATH)}
        if not file or _has_tables():
            codes |= set(Organisation.objects.values_list("code", flat=True))
        findings = lint_plan(data, organisation_codes=codes)
        for finding in findings:
            self.stdout.write(str(finding))
        errors = sum(f.severity == ERROR for f in findings)
        self.stdout.write(
            f"{data['id']}: {errors} error(s), {len(findings) - errors} warning(s)"
        )
        if errors:
            sys.exit(1)

    def do_from_document(self, *, file, output, **_):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"{file}: cannot read the document ({e})") from None
        _write(self, dump_plan_yaml(plan_from_document(text, source=str(file))), output)

    def do_schema(self, *, output, **_):
        _write(self, json.dumps(PLAN_SCHEMA, indent=2) + "\n", output)


def _has_tables() -> bool:
    return Plan._meta.db_table in connection.introspection.table_names()


def _plan(slug: str | None) -> Plan:
    if slug:
        plan = Plan.objects.filter(slug=slug).first()
        if plan is None:
            raise UserError(f"--plan {slug}: no such plan")
        return plan
    plans = list(Plan.objects.all()[:2])
    if not plans:
        raise UserError("there is no plan yet: run `empact plan import FILE` first")
    if len(plans) > 1:
        raise UserError("there are several plans: say which with --plan ID")
    return plans[0]


def _since(value: str | None) -> int | date | None:
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(
            f"--since {value}: give a version number or a date YYYY-MM-DD"
        ) from None


def _write(command: BaseCommand, text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        command.stdout.write(text, ending="")
