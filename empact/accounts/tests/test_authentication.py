"""Signing in: lock-outs, the second factor, recovery codes, sessions (T-23).

Prints `authentication: A checks, F failures` at the end of the module.
"""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from empact.accounts.auth import services
from empact.accounts.auth.devices import RecoveryCode, looks_like_recovery_code
from empact.accounts.auth.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from empact.accounts.auth.sessions import UserSession
from empact.accounts.models import RoleAssignment, User
from empact.accounts.tests.helpers import module_figure, sign_in
from empact.audit.models import AuditEntry
from empact.plans.tests.factories import make_organisation

PASSWORD = "officer-password-2024"
HOME = "/"

pytestmark = pytest.mark.django_db  # keeps the module together, for its figure
figure = module_figure("authentication")


@pytest.fixture(autouse=True)
def outside_demo_mode(settings):
    settings.DEMO_MODE = False


@pytest.fixture
def officer(db):
    return User.objects.create_user(
        "officer", password=PASSWORD, organisation=make_organisation("DE")
    )


@pytest.fixture
def enrolled(officer):
    """The officer with a confirmed authenticator and recovery codes."""
    device = TOTPDevice.objects.create(user=officer, name="Phone", confirmed=True)
    return device, services.replace_recovery_codes(officer)


def password_step(client, username="officer", password=PASSWORD, ip="127.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def code_of(device) -> str:
    """The code the person's app shows now."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:06d}"


def wrong_code(device) -> str:
    """A 6-digit code that is not the current one (nor, but for a 1 in 500,000
    chance, one of its neighbours)."""
    return f"{(int(code_of(device)) + 1) % 1_000_000:06d}"


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def audit_actions(*, actor: str = "officer") -> list[str]:
    return list(
        AuditEntry.objects.filter(actor=actor, operation="security")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def let_throttle_pass(device) -> None:
    """As if a few seconds had passed since the last wrong code."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


# Lock-out (django-axes)


def test_five_wrong_passwords_lock_the_account_with_a_clear_429_page(officer):
    client = Client()
    for _ in range(4):
        response = password_step(client, password="wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text

    response = password_step(client, password="wrong")
    assert response.status_code == 429
    assert "Sign-in locked for 15 minutes" in response.text
    assert "5 failed attempts" in response.text
    assert "contact your organisation's empact administrator" in response.text

    response = password_step(client)  # the right password no longer helps
    assert response.status_code == 429
    assert not is_signed_in(client)
    assert audit_actions().count("login.failed") == 6
    assert "login.locked_out" in audit_actions()


def test_lock_out_names_the_support_contact_when_one_is_set(officer, settings):
    settings.EMPACT_SUPPORT_CONTACT = "the EMPACT support desk (help@example.eu)"
    client = Client()
    for _ in range(5):
        response = password_step(client, password="wrong")
    assert response.status_code == 429
    assert "contact the EMPACT support desk (help@example.eu)" in response.text


def test_lock_is_keyed_by_username_and_address_together(officer):
    User.objects.create_user("colleague", password=PASSWORD)
    for _ in range(5):
        password_step(Client(), password="wrong", ip="10.0.0.1")
    assert password_step(Client(), ip="10.0.0.1").status_code == 429

    other_user_same_address = password_step(Client(), "colleague", ip="10.0.0.1")
    same_user_other_address = password_step(Client(), ip="10.0.0.2")
    assert other_user_same_address.status_code == 302
    assert same_user_other_address.status_code == 302


def test_a_successful_sign_in_resets_the_count(officer):
    client = Client()
    for _ in range(4):
        password_step(client, password="wrong")
    assert password_step(client).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert password_step(client, password="wrong").status_code == 200
    assert password_step(client).status_code == 302


def test_the_lock_ends_after_the_cool_off(officer):
    client = Client()
    for _ in range(5):
        password_step(client, password="wrong")
    assert password_step(client).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert password_step(client).status_code == 302


def test_the_address_comes_from_the_trusted_proxy_only(officer, settings):
    settings.EMPACT_PROXY_COUNT = 1
    for _ in range(5):
        Client().post(
            reverse("login"),
            {"username": "officer", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
            REMOTE_ADDR="10.0.0.254",
        )
    assert AccessAttempt.objects.get().ip_address == "198.51.100.7"
    forged = Client().post(
        reverse("login"),
        {"username": "officer", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7",
        REMOTE_ADDR="10.0.0.254",
    )
    assert forged.status_code == 429  # a made-up left-most address changes nothing


# Enrolment and the second factor (django-otp)


def test_a_new_user_enrols_an_authenticator_end_to_end(officer):
    client = Client()
    assert password_step(client).status_code == 302
    response = client.get(HOME)
    enrol_url = reverse("account:enrol")
    assert response.status_code == 302
    assert response["Location"] == f"{enrol_url}?next=%2F"

    page = client.get(response["Location"])
    assert page.status_code == 200
    qr = re.search(r'<img class="qr-code" src="(data:image/svg\+xml;[^"]+)"', page.text)
    svg = unquote(qr[1])
    assert svg.startswith("data:image/svg+xml;charset=utf-8,<svg ")
    assert "href" not in svg and "<script" not in svg  # nothing fetched, nothing run
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    key = re.search(r'<p class="totp-key"><code>([A-Z2-7 ]+)</code>', page.text)[1]
    assert len(key.replace(" ", "")) == 32
    assert all(len(group) == 4 for group in key.split())

    done = client.post(enrol_url, {"code": code_of(device), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(looks_like_recovery_code(code) for code in codes)
    assert "They are shown only now" in done.text
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200
    assert audit_actions()[-1] == "second_factor.enrolled"


def test_enrolment_refuses_a_wrong_code(officer):
    client = Client()
    password_step(client)
    client.get(reverse("account:enrol"))
    response = client.post(reverse("account:enrol"), {"code": "000000"})
    if response.status_code == 200:  # 000000 happened to be right: 1 in a million
        pytest.skip("the random key's current code was 000000")
    assert response.status_code == 400
    assert "That code was not accepted" in response.text
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert client.get(HOME).status_code == 302


def test_each_enrolment_session_gets_its_own_key(officer):
    first, second = Client(), Client()
    password_step(first)
    first.get(reverse("account:enrol"))
    first_key = TOTPDevice.objects.get(user=officer).key
    password_step(second)
    second.get(reverse("account:enrol"))
    assert TOTPDevice.objects.get(user=officer).key != first_key


def test_enrolled_user_must_give_a_code_and_a_used_code_is_refused(enrolled):
    device, _ = enrolled
    client = Client()
    password_step(client)
    response = client.get(reverse("plans:home"))
    assert response["Location"] == reverse("account:verify") + "?next=%2F"
    assert client.get(reverse("account:security")).status_code == 302
    assert client.get("/admin/").status_code == 302

    wrong = client.post(reverse("account:verify"), {"code": "12345x"})
    assert wrong.status_code == 400
    assert "That code was not accepted" in wrong.text
    let_throttle_pass(device)

    code = code_of(device)
    unverified_key = client.session.session_key
    right = client.post(reverse("account:verify"), {"code": code, "next": "/"})
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.session.session_key != unverified_key  # no session fixation
    assert client.get(HOME).status_code == 200

    replay = Client()
    password_step(replay)
    again = replay.post(reverse("account:verify"), {"code": code})
    assert again.status_code == 400
    assert replay.get(HOME).status_code == 302
    actions = audit_actions()
    assert "second_factor.verified" in actions
    assert actions.count("second_factor.failed") == 2


def test_signing_in_again_asks_for_the_code_again(enrolled):
    device, _ = enrolled
    client = sign_in(Client(), device.user)
    assert client.get(HOME).status_code == 200
    assert password_step(client).status_code == 302
    assert client.get(HOME)["Location"].startswith(reverse("account:verify"))


def test_five_wrong_codes_sign_the_session_out_and_lock_the_account(enrolled):
    device, _ = enrolled
    client = Client()
    password_step(client)
    for _ in range(4):
        response = client.post(reverse("account:verify"), {"code": wrong_code(device)})
        assert response.status_code == 400
        let_throttle_pass(device)
    locked = client.post(reverse("account:verify"), {"code": wrong_code(device)})
    assert locked.status_code == 429
    assert "Sign-in locked for 15 minutes" in locked.text
    assert not is_signed_in(client)
    assert password_step(client).status_code == 429
    assert "login.locked_out" in audit_actions()


def test_a_second_try_too_soon_after_a_wrong_code_is_not_checked(enrolled):
    device, _ = enrolled
    client = Client()
    password_step(client)
    client.post(reverse("account:verify"), {"code": wrong_code(device)})
    too_soon = client.post(reverse("account:verify"), {"code": code_of(device)})
    assert too_soon.status_code == 400
    assert "Too many wrong codes in a row: wait 1 seconds" in too_soon.text
    let_throttle_pass(device)
    assert (
        client.post(reverse("account:verify"), {"code": code_of(device)}).status_code
        == 302
    )


def test_recovery_code_works_once_and_is_stored_only_hashed(enrolled):
    _, codes = enrolled
    code = codes[3]
    client = Client()
    password_step(client)
    typed = code.upper().replace("-", " ")  # as read out over the phone
    response = client.post(reverse("account:verify"), {"code": typed})
    assert response.status_code == 302
    assert client.get(HOME).status_code == 200

    second = Client()
    password_step(second)
    assert second.post(reverse("account:verify"), {"code": code}).status_code == 400

    stored = list(RecoveryCode.objects.values_list("hashed", flat=True))
    assert len(stored) == 9
    assert all(identify_hasher(h) for h in stored)
    everything = " ".join(
        [
            *stored,
            *map(str, AuditEntry.objects.values_list("extra", flat=True)),
            *AccessAttempt.objects.values_list("post_data", flat=True),
        ]
    )
    for raw in codes:
        assert raw not in everything
        assert raw.replace("-", "") not in everything
    assert "recovery_code.used" in audit_actions()


# Sessions


def test_session_ends_after_inactivity(officer):
    client = sign_in(Client(), officer)
    assert client.get(HOME).status_code == 200
    session = client.session
    session[LAST_SEEN_AT] -= 31 * 60
    session.save()

    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/"
    assert not is_signed_in(client)
    page = client.get(response["Location"])
    assert "You were signed out after 30 minutes without activity" in page.text
    assert "session.expired" in audit_actions()


def test_session_ends_at_the_absolute_maximum_however_active(officer):
    client = sign_in(Client(), officer)
    assert client.get(HOME).status_code == 200
    session = client.session
    session[SIGNED_IN_AT] -= 10 * 3600 + 1
    session.save()

    response = client.get(HOME)
    assert response.status_code == 302
    assert not is_signed_in(client)
    page = client.get(response["Location"])
    assert "sessions last at most 10 hours" in page.text


def test_a_deactivated_users_open_session_stops_working(officer):
    client = sign_in(Client(), officer)
    assert client.get(HOME).status_code == 200
    officer.is_active = False
    officer.save()
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_deactivate_user_ends_every_session_and_is_logged(officer):
    admin = User.objects.create_user("admin", password=PASSWORD, is_staff=True)
    RoleAssignment.objects.create(user=admin, role="administrator")
    phone, desk = sign_in(Client(), officer), sign_in(Client(), officer)
    assert UserSession.objects.filter(user=officer).count() == 2

    with pytest.raises(PermissionDenied):
        services.deactivate_user(officer, actor=officer)
    assert services.deactivate_user(officer, actor=admin) == 2

    officer.refresh_from_db()
    assert not officer.is_active
    assert not UserSession.objects.filter(user=officer).exists()
    assert phone.get(HOME).status_code == 302 and desk.get(HOME).status_code == 302
    assert "user.deactivated" in audit_actions(actor="admin")


def test_admin_action_deactivates_and_signs_out(officer):
    admin = User.objects.create_superuser("admin", password=PASSWORD)
    RoleAssignment.objects.create(user=admin, role="administrator")
    victim = sign_in(Client(), officer)
    client = sign_in(Client(), admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate_and_sign_out", "_selected_action": [officer.pk]},
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert not officer.is_active
    assert victim.get(HOME).status_code == 302


# Changing the second factor


def test_new_recovery_codes_need_the_password_and_a_current_code(enrolled):
    device, old_codes = enrolled
    client = sign_in(Client(), device.user)
    url = reverse("account:new_recovery_codes")

    no_password = client.post(url, {"code": old_codes[0]})
    wrong_password = client.post(url, {"password": "nope", "code": old_codes[0]})
    no_code = client.post(url, {"password": PASSWORD})
    assert no_password.status_code == wrong_password.status_code == 400
    assert no_code.status_code == 400
    assert "The password is not right." in wrong_password.text
    assert RecoveryCode.objects.count() == 10

    done = client.post(url, {"password": PASSWORD, "code": old_codes[1]})
    assert done.status_code == 200
    new_codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", done.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    later = Client()
    password_step(later)
    assert later.post(reverse("account:verify"), {"code": old_codes[2]}).status_code
    assert later.get(HOME).status_code == 302  # the old codes are gone
    assert "second_factor.change_refused" in audit_actions()
    assert "second_factor.changed" in audit_actions()


def test_new_authenticator_replaces_the_old_one_after_reauthentication(enrolled):
    old, codes = enrolled
    client = sign_in(Client(), old.user)
    security = client.get(reverse("account:security"))
    assert security.status_code == 200
    assert "10 of 10 unused" in security.text
    assert client.get(reverse("account:enrol")).status_code == 302  # not granted

    refused = client.post(
        reverse("account:new_authenticator"), {"password": "nope", "code": codes[0]}
    )
    assert refused.status_code == 400
    granted = client.post(
        reverse("account:new_authenticator"), {"password": PASSWORD, "code": codes[0]}
    )
    assert granted["Location"] == reverse("account:enrol")
    assert client.get(reverse("account:enrol")).status_code == 200
    new = TOTPDevice.objects.get(user=old.user, confirmed=False)
    assert (
        client.post(reverse("account:enrol"), {"code": code_of(new)}).status_code == 200
    )

    assert list(TOTPDevice.objects.filter(user=old.user)) == [new]
    assert client.get(HOME).status_code == 200  # this session stays verified


# Demo mode


def test_second_factor_is_required_outside_demo_mode_only(officer, settings):
    client = Client()
    client.force_login(officer)
    assert client.get(HOME).status_code == 302
    settings.DEMO_MODE = True
    assert client.get(HOME).status_code == 200
    assert "DEMO — not for operational data" in client.get(HOME).text


def test_signed_in_pages_are_never_cached(officer):
    client = sign_in(Client(), officer)
    response = client.get(HOME)
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
