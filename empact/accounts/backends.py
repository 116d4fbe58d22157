"""Model permissions in the Django admin for the administrator role.

An administrator manages accounts, roles, participation and organisations, and may
look at the plan (read-only there); the apps that will hold operational data are
left out on purpose, so the role opens none of it (DESIGN §4).
"""

from empact.accounts import permissions

ADMINISTERED_APPS = frozenset(
    {"accounts", "organisations", "plans", "otp_totp", "axes", "auth"}
)


class AdministratorBackend:
    """Grants the admin's model permissions of ADMINISTERED_APPS to administrators;
    authenticates nobody."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        app_label = perm.split(".", 1)[0]
        return app_label in ADMINISTERED_APPS and self._administers(user_obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return app_label in ADMINISTERED_APPS and self._administers(user_obj)

    def _administers(self, user_obj) -> bool:
        return permissions.can(user_obj, "admin.access")
