from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from empact.api import api
from empact.web import converters

converters.register()  # before the apps' patterns below, which use `text`

urlpatterns = [
    path("", include("empact.plans.urls")),
    path("organisations/", include("empact.organisations.urls")),
    path("audit/", include("empact.audit.urls")),
    path("analysis/", include("empact.analysis.urls")),
    path("", include("empact.accounts.urls")),
    path("", include("empact.reporting.urls")),
    path("", include("empact.reporting.dashboard_urls")),
    path("", include("empact.reports.urls")),
    path("", include("empact.reports.crossmatch_urls")),
    path("", include("empact.reporting.jad_urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("empact.accounts.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler403 = "empact.web.views.permission_denied"
handler404 = "empact.web.views.not_found"
handler500 = "empact.web.views.server_error"
