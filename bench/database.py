"""A throw-away database for one benchmark run, apart from the test suite's."""

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment, teardown_test_environment

BENCH_NAME = "empact_bench"


@contextmanager
def bench_database(*, shared: bool = False):
    """Create (and afterwards drop) a database named for benchmarks, so that a test
    run on the same PostgreSQL server is never disturbed. `shared`: other processes
    (a server under load) must open it too, so on SQLite it is a file rather than
    the in-memory test database."""
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor != "sqlite":
        test["NAME"] = BENCH_NAME
    elif shared:
        test["NAME"] = str(Path(settings.BASE_DIR) / "var" / f"{BENCH_NAME}.sqlite3")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def database_url() -> str:
    """The benchmark database as a DATABASE_URL, for a server process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    credentials = quote(db["USER"], safe="") + password
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST']}{port}/{db['NAME']}"
