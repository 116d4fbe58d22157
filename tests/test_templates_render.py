"""The shell's templates render, for signed-in and anonymous people, with nothing
fetched from outside the platform."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from empact.web import views

WEB = Path(__file__).resolve().parent.parent / "empact" / "web"
EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=(]\s*["']?(?:https?:)?//""", re.I)


def test_unknown_address_shows_the_404_page_even_when_signed_out(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert 'aria-label="Main"' not in response.text  # no menu for strangers


def test_404_page_keeps_the_menu_for_signed_in_people(member_client):
    response = member_client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'aria-label="Main"' in response.text
    assert 'action="/logout/"' in response.text


@pytest.mark.parametrize(
    "view, status, heading",
    [
        (views.permission_denied, 403, "Access denied"),
        (views.server_error, 500, "Something went wrong on our side"),
    ],
)
def test_error_pages_render(view, status, heading, settings):
    settings.DEMO_MODE = True
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    response = view(request)
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()
    assert "DEMO — not for operational data" in response.content.decode()


def test_sign_in_page_renders_with_labelled_fields(client, settings):
    settings.DEMO_MODE = True
    html = client.get(reverse("login")).text
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    assert 'href="#main">Skip to main content</a>' in html
    assert "DEMO — not for operational data" in html


def test_no_template_or_stylesheet_loads_anything_from_outside():
    files = [*WEB.glob("templates/**/*.html"), *WEB.glob("static/**/*.css")]
    files += [*WEB.parent.glob("*/templates/**/*.html")]
    assert files
    offenders = [str(f) for f in files if EXTERNAL.search(f.read_text())]
    assert offenders == []
