"""docs/cli.md, written from the commands' own --help so that it cannot drift.

`make docs` rewrites the file; tests/test_docs_in_sync.py fails when it differs.
"""

import argparse
import os
import sys
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

# Django's own options, present on every command: listed once at the top instead.
COMMON = ("--version", "-v", "--settings", "--pythonpath", "--traceback")
COMMON += ("--no-color", "--force-color", "--skip-checks")
WIDTH = "88"
HEADER = """# The `empact` command line

Every command of the platform is `empact COMMAND [VERB] …` (`manage.py` does the
same). Each also takes Django's common options (`--verbosity`, `--settings`,
`--traceback`, …), left out below.

This file is generated from the commands' `--help` by `make docs`; a test fails
when it is out of date.
"""


def platform_commands() -> list[tuple[str, str]]:
    """(app module, command name) of every command that empact itself defines."""
    from django.apps import apps
    from django.core.management import get_commands

    ours = {c.name for c in apps.get_app_configs() if c.name.startswith("empact.")}
    found = [(app, name) for name, app in get_commands().items() if app in ours]
    return sorted(
        ((app, name) for app, name in found if not _shadows_django(name)),
        key=lambda pair: pair[1],
    )


def cli_markdown() -> str:
    parts = [HEADER]
    with _fixed_width():
        for app, name in platform_commands():
            command = import_module(f"{app}.management.commands.{name}").Command()
            parser = command.create_parser("empact", name)
            parts.append(f"\n## `empact {name}`\n")
            parts.extend(_parser_blocks(parser, f"empact {name}"))
    return "".join(parts)


def _parser_blocks(parser, title: str) -> list[str]:
    _drop_common_options(parser)
    blocks = ["\n```text\n" + parser.format_help() + "```\n"]
    for verb, sub in _subparsers(parser):
        blocks.append(f"\n### `{title} {verb}`\n")
        blocks.extend(_parser_blocks(sub, f"{title} {verb}"))
    return blocks


# argparse offers no public way to walk subcommands or remove options.
def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _drop_common_options(parser) -> None:
    common = [a for a in parser._actions if set(a.option_strings) & set(COMMON)]
    for action in common:
        parser._actions.remove(action)
        for group in parser._action_groups:
            if action in group._group_actions:
                group._group_actions.remove(action)


def _shadows_django(name: str) -> bool:
    import django.core.management as core
    from django.core.management import find_commands

    return name in find_commands(core.__path__[0])


@contextmanager
def _fixed_width():
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact.settings")
    django.setup()
    Path(sys.argv[1]).write_text(cli_markdown())
