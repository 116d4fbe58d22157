"""The analysis engine: pure Python, no Django, tables in and tables out.

Imports neither Django nor any other empact package
(tests/test_engine_is_django_free.py checks it).
"""

from empact.engine.errors import InputError, InputRejected
from empact.engine.ingest import IngestResult, ingest
from empact.engine.mapping import load_mapping
from empact.engine.tables import IDENTIFIERS, STATEMENTS, Provenance, register

__all__ = [
    "IDENTIFIERS",
    "STATEMENTS",
    "IngestResult",
    "InputError",
    "InputRejected",
    "Provenance",
    "ingest",
    "load_mapping",
    "register",
]
