from django.urls import path

from empact.reporting import jad_views as views

app_name = "jads"
urlpatterns = [
    path("plans/<slug:slug>/jads/", views.jad_list, name="list"),
    path("plans/<slug:slug>/jads/new/", views.create_jad, name="create"),
    path("jads/<int:pk>/", views.jad_detail, name="detail"),
    path("jads/<int:pk>/mapping/", views.map_kpi, name="map_kpi"),
    path("jads/<int:pk>/results/<text:code>/", views.jad_results, name="results"),
]
