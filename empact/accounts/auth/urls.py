from django.urls import path

from empact.accounts.auth import views

app_name = "account"
urlpatterns = [
    path("second-factor/", views.verify, name="verify"),
    path("second-factor/enrol/", views.enrol, name="enrol"),
    path("security/", views.security, name="security"),
    path("security/authenticator/", views.new_authenticator, name="new_authenticator"),
    path(
        "security/recovery-codes/", views.new_recovery_codes, name="new_recovery_codes"
    ),
]
