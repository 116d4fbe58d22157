from django.urls import path

from empact.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<slug:slug>/", views.overview, name="overview"),
    path("plans/<slug:slug>/oa/<text:ref>/", views.action, name="action"),
    path("plans/<slug:slug>/versions/", views.versions, name="versions"),
]
