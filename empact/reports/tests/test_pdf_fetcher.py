"""T-14: WeasyPrint fetches nothing but the platform's own static files."""

import base64

import pytest

from empact.reports import fonts
from empact.reports.render.pdf import (
    MAX_DATA_URI_BYTES,
    FetchRefused,
    StaticFilesOnly,
    pdf_from_html,
)

PASSWD = "file:///etc/passwd"
STATIC_FONT = fonts.REGULAR.resolve().as_uri()
ESCAPE = fonts.FONT_DIR.resolve().as_uri() + "/../../../../settings.py"
REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "https://example.org/logo.png",
    "ftp://example.org/x",
    PASSWD,
    "file:///dev/urandom",
    ESCAPE,
    "file://attacker.example/share/x.png",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/png,notbase64",
    "gopher://example.org/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_the_fetcher_refuses_anything_but_static_files(url):
    fetcher = StaticFilesOnly()

    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.calls == [url]


def test_a_path_that_climbs_out_of_the_static_files_is_refused_even_if_it_exists():
    with pytest.raises(FetchRefused, match="outside the static files"):
        StaticFilesOnly().fetch(ESCAPE)


def test_a_symbolic_link_out_of_the_static_files_is_refused(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "passwd.css").symlink_to("/etc/passwd")

    with pytest.raises(FetchRefused, match="outside the static files"):
        StaticFilesOnly(roots=[root]).fetch((root / "passwd.css").as_uri())


def test_a_huge_data_image_is_refused_before_it_is_decoded():
    payload = base64.b64encode(b"\0" * (MAX_DATA_URI_BYTES + 1024)).decode()

    with pytest.raises(FetchRefused, match="larger than"):
        StaticFilesOnly().fetch(f"data:image/png;base64,{payload}")


def test_the_vendored_font_is_served_from_disk():
    response = StaticFilesOnly().fetch(STATIC_FONT)

    assert response.read(4) == b"\0\1\0\0"  # a TrueType font


@pytest.mark.parametrize(
    "html",
    [
        '<img src="http://169.254.169.254/">',
        f'<img src="{PASSWD}">',
        f'<link rel="attachment" href="{PASSWD}">',
        f'<p style="background: url({PASSWD})">x</p>',
        '<link rel="stylesheet" href="https://example.org/x.css">',
    ],
)
def test_a_document_that_asks_for_more_fails_closed(html):
    fetcher = StaticFilesOnly()

    with pytest.raises(FetchRefused):
        pdf_from_html(
            f"<!DOCTYPE html><html><body>{html}</body></html>", fetcher=fetcher
        )

    outside = [u for u in fetcher.calls if "/vendor/fonts/" not in u]
    assert len(outside) == 1  # asked once, refused, nothing else attempted


def test_a_plain_document_fetches_only_the_vendored_fonts(figure):
    fetcher = StaticFilesOnly()

    pdf = pdf_from_html("<p>Hello</p>", fetcher=fetcher)

    assert pdf.startswith(b"%PDF-")
    assert fetcher.calls and all(u.startswith("file://") for u in fetcher.calls)
    assert all("/vendor/fonts/" in u for u in fetcher.calls)
    figure(f"T-14: {len(REFUSED)} hostile URLs refused, 0 fetched outside static")
