"""Where the shipped default plan lives."""

from pathlib import Path

DEFAULT_PLAN_FILE = (
    Path(__file__).parent / "data" / "oap-2024-2025-migrant-smuggling.yaml"
)
