"""A throw-away database for one benchmark run, apart from the test suite's."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import setup_test_environment, teardown_test_environment


@contextmanager
def bench_database():
    """Create (and afterwards drop) a database named for benchmarks, so that a test
    run on the same PostgreSQL server is never disturbed."""
    if connection.vendor != "sqlite":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = "empact_bench"
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
