"""The User admin's "Deactivate and sign out" action."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from empact.accounts.auth.services import deactivate_user


@admin.action(
    description=gettext_lazy("Deactivate and sign out"), permissions=["change"]
)
def deactivate_and_sign_out(modeladmin, request, queryset):
    people = [user for user in queryset if user.pk != request.user.pk]
    if len(people) < len(queryset):
        modeladmin.message_user(
            request, _("You cannot deactivate yourself; left out."), messages.WARNING
        )
    ended = sum(
        deactivate_user(user, actor=request.user, request=request) for user in people
    )
    modeladmin.message_user(
        request,
        _("%(people)s deactivated; %(sessions)s sessions ended.")
        % {"people": len(people), "sessions": ended},
        messages.SUCCESS,
    )
