from django.urls import path, register_converter

from empact.reporting import views


class PeriodCodeConverter:
    """A reporting period as written on the pages: 2024-H1, 2025-H2."""

    regex = r"[0-9]{4}-H[12]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(PeriodCodeConverter, "period_code")

app_name = "reporting"
urlpatterns = [
    path("plans/<slug:slug>/reporting/", views.periods, name="periods"),
    path(
        "plans/<slug:slug>/reporting/periods/",
        views.create_period,
        name="create_period",
    ),
    path(
        "plans/<slug:slug>/reporting/<period_code:period>/step/",
        views.step_period,
        name="step_period",
    ),
    path(
        "plans/<slug:slug>/reporting/<period_code:period>/oa/<text:ref>/",
        views.period_action,
        name="period_action",
    ),
    path(
        "plans/<slug:slug>/reporting/<period_code:period>/oa/<text:ref>/start/",
        views.start_contribution,
        name="start_contribution",
    ),
    path("contributions/<int:pk>/", views.contribution, name="contribution"),
    path(
        "contributions/<int:pk>/edit/",
        views.edit_contribution,
        name="edit_contribution",
    ),
    path(
        "contributions/<int:pk>/workbook.xlsx",
        views.download_template,
        name="download_template",
    ),
    path(
        "contributions/<int:pk>/workbook/",
        views.upload_workbook,
        name="upload_workbook",
    ),
    path(
        "contributions/<int:pk>/step/",
        views.step_contribution,
        name="step_contribution",
    ),
    path(
        "contributions/<int:pk>/amendments/",
        views.request_amendment,
        name="request_amendment",
    ),
    path(
        "amendments/<int:pk>/decide/",
        views.decide_amendment,
        name="decide_amendment",
    ),
]
