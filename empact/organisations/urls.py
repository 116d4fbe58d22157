from django.urls import path

from empact.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("<text:code>/", views.organisation_detail, name="detail"),
]
