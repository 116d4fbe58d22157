from django.urls import path

from empact.accounts import views

app_name = "accounts"
urlpatterns = [
    path("plans/<slug:slug>/people/", views.people, name="people"),
    path(
        "plans/<slug:slug>/people/participation/",
        views.add_participation,
        name="add_participation",
    ),
    path(
        "plans/<slug:slug>/people/participation/<int:pk>/remove/",
        views.remove_participation,
        name="remove_participation",
    ),
    path("plans/<slug:slug>/people/roles/", views.assign_role, name="assign_role"),
    path(
        "plans/<slug:slug>/people/roles/<int:pk>/revoke/",
        views.revoke_role,
        name="revoke_role",
    ),
]
