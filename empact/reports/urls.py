from django.urls import path

from empact.reports import views

app_name = "reports"
urlpatterns = [
    path("plans/<slug:slug>/reports/", views.reports_page, name="page"),
    path("plans/<slug:slug>/reports/produce/", views.produce, name="produce"),
]
