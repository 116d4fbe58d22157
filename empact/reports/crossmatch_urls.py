from django.urls import path

from empact.reports import crossmatch_views

app_name = "crossmatch"
urlpatterns = [
    path("analysis/hits/report/", crossmatch_views.download, name="report"),
]
