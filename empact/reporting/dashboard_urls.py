from django.urls import path

from empact.reporting import dashboard_views as views

app_name = "dashboards"
urlpatterns = [
    path("plans/<slug:slug>/dashboard/", views.plan_dashboard, name="plan"),
    path(
        "plans/<slug:slug>/dashboard/oa/<text:ref>/",
        views.action_dashboard,
        name="action",
    ),
    path(
        "plans/<slug:slug>/dashboard/organisation/<text:code>/",
        views.organisation_view,
        name="organisation",
    ),
]
