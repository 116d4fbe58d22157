"""Headless Chromium driven by Selenium against pytest-django's live server.

Tests here are marked `browser`; they skip, saying why, when Debian's chromium
and chromedriver packages are not installed.
"""

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = Path(shutil.which("chromedriver") or "/usr/bin/chromedriver")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
]


@pytest.fixture
def plain_http(settings):
    """The live server speaks plain HTTP: secure-only cookies would never come back."""
    if settings.SECURE_SSL_REDIRECT:
        pytest.fail(
            "SECURE_SSL_REDIRECT is on, so the live server redirects to https; "
            "run the tests with EMPACT_TESTING=true (as `make test` does)"
        )
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def browser(tmp_path, plain_http):
    """A fresh headless Chromium with its own profile directory."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"needs {' and '.join(missing)} (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in [*CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()
