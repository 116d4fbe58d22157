from django.urls import path

from empact.analysis import handling_views, views

app_name = "analysis"
urlpatterns = [
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/import/", views.import_dataset, name="import_dataset"),
    path(
        "datasets/<int:pk>/handling/",
        handling_views.tighten,
        name="tighten_handling",
    ),
    path("runs/", views.runs, name="runs"),
    path("runs/start/", views.start_run, name="start_run"),
    path("open/", views.open_entity, name="open_entity"),
    path("hits/", views.hits, name="hits"),
    path("hits/<int:pk>/release/", views.request_release, name="request_release"),
    path("releases/<int:pk>/decide/", views.decide_release, name="decide_release"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/keep/", views.keep_dataset, name="keep_dataset"),
]
