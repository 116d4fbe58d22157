import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_in_settings_is_documented():
    source = (ROOT / "empact" / "settings.py").read_text()
    names = set(
        re.findall(r'(?:env_bool|env_int|env_secret|getenv)\("([A-Z_]+)"', source)
    )
    documented = set(
        re.findall(
            r"^\| `([A-Z_]+)`", (ROOT / "docs" / "settings.md").read_text(), re.M
        )
    )

    assert len(names) >= 9
    assert names - documented == set()
    assert documented - names == set()


def test_the_command_line_reference_is_generated_from_the_commands():
    from empact.web.clidocs import cli_markdown

    documented = (ROOT / "docs" / "cli.md").read_text()

    assert "## `empact plan`" in documented
    assert documented == cli_markdown(), "docs/cli.md is out of date: run make docs"
