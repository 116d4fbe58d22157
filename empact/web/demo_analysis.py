"""Synthetic analysis data for the demo: six contributors' datasets with planted
overlaps, imported and cross-matched (shared identifiers and probable person
matches), so that `make run` shows hits.

Everything comes from the engine's seeded generator (empact demo entities) and is
marked synthetic in each dataset's purpose.
"""

import tempfile
from pathlib import Path

from django.utils import timezone

from empact.accounts.models import User
from empact.analysis import crossmatching, services
from empact.analysis.models import Dataset
from empact.engine.synthetic import generate
from empact.organisations.models import Organisation

# The generator's anonymous contributors, as the demo's organisations, with the
# handling codes they attach (so the demo shows released and withheld content).
CONTRIBUTORS = {
    "C01": ("IT", "H0"),
    "C02": ("ES", "H1"),
    "C03": ("FR", "H2"),
    "C04": ("NL", "H0"),
    "C05": ("PL", "H3"),
    "C06": ("EL", "H0"),
}
PERSONS = 300
SEED = 7
PURPOSE = "[SYNTHETIC DEMO DATA] OA 2.4 analysis project demo"


def load_demo_analysis(*, analyst: User) -> int:
    """Import and cross-match the synthetic datasets; 0 if they are there."""
    if Dataset.objects.filter(purpose=PURPOSE).exists():
        return 0
    today = timezone.localdate()
    with tempfile.TemporaryDirectory(prefix="empact-demo-entities-") as tmp:
        generate(PERSONS, len(CONTRIBUTORS), SEED, tmp)
        for folder, (code, handling) in CONTRIBUTORS.items():
            given = services.Contribution(
                contributor=Organisation.objects.get(code=code),
                handling=handling,
                purpose=PURPOSE,
                collected_on=today,
                source_code="B",
                info_code=2,
                role="suspect",
            )
            path = Path(tmp) / folder / "entities.ftm.json"
            services.ingest_dataset(path, given, actor=analyst)
    crossmatching.run_crossmatch(actor=analyst, today=today, persons=True)
    return len(CONTRIBUTORS)
