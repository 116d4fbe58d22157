"""The settings of a benchmark server: the site's own, plus the floor's hello view
(bench/urls.py). Everything else, middleware included, is the site's."""

from empact.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
