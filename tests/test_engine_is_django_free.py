"""The engine imports neither Django nor any other empact package (STYLE.md §3.5)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "empact" / "engine"

# Import every engine module, then list what got imported, in a fresh interpreter:
# this process has Django loaded already by pytest-django.
PROBE = """
import importlib, json, pkgutil, sys
import empact.engine
names = [m.name for m in pkgutil.walk_packages(empact.engine.__path__, "empact.engine.")
         if ".tests" not in m.name]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": sorted(sys.modules), "engine": names}))
"""


def test_importing_the_engine_imports_no_django_and_no_other_empact_package(figure):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    modules, engine = found["modules"], found["engine"]
    django = [m for m in modules if m.split(".")[0] == "django"]
    ours = [
        m
        for m in modules
        if m.startswith("empact.") and not m.startswith("empact.engine")
    ]
    figure(
        f"engine import boundary: {len(engine)} engine modules imported, "
        f"{len(django)} django modules, {len(ours)} other empact modules"
    )
    assert len(engine) >= 10
    assert django == []
    assert ours == []


def test_the_empact_package_itself_stays_empty():
    # `import empact.engine` runs empact/__init__.py first: it must import nothing.
    source = (ROOT / "empact" / "__init__.py").read_text()
    code = [
        line
        for line in source.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(line.startswith(("import", "from")) for line in code)
