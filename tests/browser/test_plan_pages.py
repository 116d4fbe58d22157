import base64

import pytest
from django.urls import reverse
from django_otp.oath import totp
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from empact.plans.tests.factories import make_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tab_to_link(browser, href: str, *, limit: int = 200):
    """Press Tab until the link to `href` has the keyboard focus; return it."""
    for _ in range(limit):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        if (focused.get_attribute("href") or "").endswith(href):
            return focused
    raise AssertionError(f"no link to {href} within {limit} presses of Tab")


def test_keyboard_user_signs_in_and_opens_an_operational_action(
    browser, live_server, member, tmp_path
):
    make_plan("oap-ms")
    wait = WebDriverWait(browser, 10)
    overview = reverse("plans:overview", args=["oap-ms"])
    action = reverse("plans:action", args=["oap-ms", "2.2"])

    browser.get(live_server.url + reverse("login"))
    username = browser.switch_to.active_element  # the form puts focus here
    assert username.get_attribute("name") == "username"
    username.send_keys("alice", Keys.TAB)
    browser.switch_to.active_element.send_keys("alice-password", Keys.ENTER)
    enrol_second_factor(browser, wait)
    wait.until(ec.url_to_be(live_server.url + overview))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(
        "Operational Action Plan 2024-2025"
    )

    tab_to_link(browser, action).send_keys(Keys.ENTER)
    wait.until(ec.url_to_be(live_server.url + action))

    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == "OA 2.2 Action 2"
    kpi_rows = browser.find_elements(By.CSS_SELECTOR, "table.kpis tbody tr")
    assert [row.find_element(By.TAG_NAME, "th").text for row in kpi_rows] == ["a", "b"]
    assert "20 per year" in kpi_rows[0].text
    assert browser.find_element(
        By.CSS_SELECTOR, "table.timeline caption"
    ).is_displayed()
    first = browser.find_elements(By.CSS_SELECTOR, "#activity-1 td.q-on")
    assert [cell.get_attribute("data-quarter") for cell in first] == ["2024-Q1"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#activity-2 td.q-on")) == 8
    bar = browser.find_element(By.CSS_SELECTOR, "#activity-1 td.q-on .bar")
    assert bar.size["width"] > 10 and bar.size["height"] > 5  # visibly filled

    screenshot = tmp_path / "oa.png"
    assert browser.save_screenshot(str(screenshot))
    data = screenshot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def enrol_second_factor(browser, wait) -> None:
    """Read the key the enrolment page shows, type the code an authenticator app
    would show, keep the recovery codes and continue: the real second factor."""
    key = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".totp-key code"))
    ).text
    qr = browser.find_element(By.CSS_SELECTOR, "img.qr-code")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    secret = base64.b32decode(key.replace(" ", "").upper())
    code = f"{totp(secret):06d}"
    browser.find_element(By.NAME, "code").send_keys(code, Keys.ENTER)
    codes = wait.until(
        ec.presence_of_all_elements_located((By.CSS_SELECTOR, ".recovery-codes code"))
    )
    assert len(codes) == 10
    browser.find_element(By.LINK_TEXT, "I have kept them: continue").send_keys(
        Keys.ENTER
    )


def test_skip_link_moves_focus_to_the_main_content(
    browser, live_server, member, settings
):
    settings.DEMO_MODE = True  # no second factor: this test is about the layout
    make_plan("oap-ms")
    browser.get(live_server.url + reverse("login"))
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("alice-password", Keys.ENTER)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "chsg-1")))

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.text == "Skip to main content"
    assert skip.location["y"] >= 0  # shown on focus, not left off-screen
    skip.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
