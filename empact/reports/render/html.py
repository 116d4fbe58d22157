"""The report as one HTML document: the same page on screen, in a browser opened
from a downloaded file, and on paper through render/pdf.py.

Everything a user typed reaches the page through Django's autoescaping. The
stylesheet is inlined so that a downloaded report needs nothing else; it is our
own file, which is why it alone is marked safe. Charts are images (data: URIs of
the SVG that empact.reports.figures draws), never inline SVG (V-4).
"""

import base64
import dataclasses
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from empact.reports import content, figures
from empact.reports.markings import Marking
from empact.reports.text import without_controls

TEMPLATES = {
    content.LIGHT: "reports/light.html",
    content.COMPREHENSIVE: "reports/comprehensive.html",
    content.FACT_SHEET: "reports/factsheet.html",
}
STYLESHEET = "reports/report.css"


@dataclass(frozen=True)
class ChartImage:
    title: str
    description: str
    uri: str  # data:image/svg+xml;base64,...


def render(report: content.Report, *, marking: Marking) -> bytes:
    """The report as a UTF-8 HTML document."""
    return document(report, marking=marking).encode("utf-8")


def document(report: content.Report, *, marking: Marking) -> str:
    """The report's HTML text."""
    context = {
        "report": without_control_characters(report),
        "marking": marking,
        "charts": charts_for(report),
        "stylesheet": mark_safe(_stylesheet()),  # our own file, not user text
        "thresholds": {
            "green": f"{settings.EMPACT_ATTAINMENT_GREEN_PERCENT}%",
            "amber": f"{settings.EMPACT_ATTAINMENT_AMBER_PERCENT}%",
        },
    }
    return render_to_string(TEMPLATES[report.kind], context)


def without_control_characters(value):
    """`value` (a report, or any part of one) with control characters dropped
    from every text: HTML cannot show them, and a NUL makes a PDF's text
    unreadable to search and copy."""
    if isinstance(value, str):
        return without_controls(value)
    if isinstance(value, tuple):
        return tuple(without_control_characters(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: without_control_characters(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def charts_for(report: content.Report) -> dict[str, ChartImage]:
    """The charts a report shows, by the name its template uses."""
    found = {}
    if getattr(report, "goals", ()):
        found["goals"] = _image(figures.goal_chart(report.goals))
    if getattr(report, "countries", ()):
        found["countries"] = _image(figures.country_chart(report.countries))
    return found


def _image(chart) -> ChartImage:
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return ChartImage(
        chart.title, chart.description, f"data:image/svg+xml;base64,{data}"
    )


@cache
def _stylesheet() -> str:
    path = finders.find(STYLESHEET)
    if path is None:
        raise RuntimeError(f"the report stylesheet {STYLESHEET} is missing")
    with open(path, encoding="utf-8") as f:
        return f.read()
