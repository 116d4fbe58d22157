"""The report as PDF: the HTML document laid out by WeasyPrint on A4.

WeasyPrint fetches what a document refers to (stylesheets, fonts, images). Here
it may fetch only the platform's own static files, read from disk, and the
charts this module's HTML embeds as data: URIs of bounded size; anything else
(http:, https:, ftp:, file: outside the static directories, a path that climbs
out with ../ or a symbolic link, a device such as /dev/urandom) stops the
rendering (V-8, T-14). The document itself comes only from our templates, with
user text escaped; no attachments, no presentational hints.
"""

import base64
import binascii
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from empact.reports import content, fonts
from empact.reports.markings import Marking
from empact.reports.render import html, isolated

MAX_FILE_BYTES = 20 * 2**20  # a vendored font is a few hundred KiB
MAX_DATA_URI_BYTES = 4 * 2**20  # a chart's SVG is tens of KiB
DATA_TYPES = {"image/svg+xml", "image/png"}


class FetchRefused(FatalURLFetchingError):
    """A URL the report may not fetch: the rendering stops (fails closed)."""


class StaticFilesOnly(URLFetcher):
    """A URL fetcher that serves the platform's static files from disk and the
    data: images of our charts, and refuses everything else. `calls` keeps every
    URL asked for, in order, so a test can show what was attempted."""

    def __init__(self, roots: list[Path] | None = None):
        super().__init__(
            timeout=1, allowed_protocols=("file", "data"), allow_redirects=False
        )
        self.roots = [r.resolve() for r in (roots or static_roots())]
        self.calls: list[str] = []

    def fetch(self, url, headers=None):
        self.calls.append(url)
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        raise FetchRefused(f"reports fetch only the platform's static files: {url}")

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"not a local file: {url}")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise FetchRefused(f"outside the static files: {url}")
        if not path.is_file():
            raise FetchRefused(f"not a regular static file: {url}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FetchRefused(f"larger than {MAX_FILE_BYTES} bytes: {url}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), {"Content-Type": kind}
        )

    def _data(self, url: str) -> URLFetcherResponse:
        head, _, payload = url.partition(",")
        kind = head[len("data:") :].split(";")[0].lower()
        if kind not in DATA_TYPES or not head.endswith(";base64"):
            raise FetchRefused(f"only base64 SVG or PNG data: images, not {head!r}")
        if len(payload) > MAX_DATA_URI_BYTES * 4 // 3 + 4:
            raise FetchRefused(f"a data: image larger than {MAX_DATA_URI_BYTES} bytes")
        try:
            body = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise FetchRefused("a data: image that is not valid base64") from None
        return URLFetcherResponse("data:", body, {"Content-Type": kind})


def static_roots() -> list[Path]:
    """The static directories of empact's own apps, and STATIC_ROOT."""
    roots = [
        Path(app.path) / "static"
        for app in apps.get_app_configs()
        if app.name.startswith("empact.") and (Path(app.path) / "static").is_dir()
    ]
    return [*roots, Path(settings.STATIC_ROOT)]


def render(report: content.Report, *, marking: Marking) -> bytes:
    """The report as a PDF document."""
    return pdf_from_html(html.document(report, marking=marking))


def pdf_from_html(text: str, *, fetcher: StaticFilesOnly | None = None) -> bytes:
    """Lay out HTML of ours as PDF, fetching only through `fetcher`, in a child
    process held to EMPACT_PDF_SECONDS of CPU and EMPACT_PDF_MEMORY_MB of memory
    (isolated.py); RenderingStopped when it goes past them."""
    fetcher = fetcher or StaticFilesOnly()

    def lay_out() -> tuple[bytes | None, list[str], BaseException | None]:
        # The child's fetcher is a copy: its calls go back either way.
        try:
            return _lay_out(text, fetcher), fetcher.calls, None
        except FatalURLFetchingError as refused:
            return None, fetcher.calls, refused

    seconds = settings.EMPACT_PDF_SECONDS
    data, calls, refused = isolated.run_in_child(
        lay_out,
        cpu_seconds=seconds,
        memory_bytes=settings.EMPACT_PDF_MEMORY_MB * 2**20,
        wall_seconds=4 * seconds,  # a loaded machine gives the child a part of a core
    )
    fetcher.calls[:] = calls
    if refused:
        raise refused
    return data


def _lay_out(text: str, fetcher: StaticFilesOnly) -> bytes:
    font_config = FontConfiguration()
    font_css = CSS(
        url=fonts.STYLESHEET.resolve().as_uri(),
        url_fetcher=fetcher,
        font_config=font_config,
    )
    document = HTML(
        string=text,
        base_url=fonts.FONT_DIR.resolve().as_uri() + "/",
        url_fetcher=fetcher,
        media_type="print",
    )
    return document.write_pdf(
        stylesheets=[font_css],
        font_config=font_config,
        presentational_hints=False,
    )
