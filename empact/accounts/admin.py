from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from empact.accounts import permissions
from empact.accounts.auth.admin_actions import deactivate_and_sign_out
from empact.accounts.models import Participation, RoleAssignment, User
from empact.audit.log import record


def _admin_access(request) -> bool:
    return permissions.can(request.user, "admin.access")


# The admin site asks the permission module like every other path.
admin.site.has_permission = _admin_access


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin are written to the audit log like any other."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        name = obj._meta.model_name
        record(
            f"{name}.{'changed' if change else 'created'}",
            actor=request.user,
            operation="alteration",
            obj=obj,
            request=request,
            extra={"fields": sorted(form.changed_data), "via": "admin"},
        )

    def delete_model(self, request, obj):
        record(
            f"{obj._meta.model_name}.deleted",
            actor=request.user,
            operation="erasure",
            obj=obj,
            request=request,
            extra={"via": "admin"},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(User)
class EmpactUserAdmin(AuditedAdmin, UserAdmin):
    list_display = ("username", "email", "organisation", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "organisation__kind")
    fieldsets = (*UserAdmin.fieldsets, ("Organisation", {"fields": ("organisation",)}))
    actions = [deactivate_and_sign_out]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = (
        "user",
        "role",
        "plan",
        "action",
        "country",
        "granted_by",
        "granted_at",
    )
    list_filter = ("role",)
    list_select_related = ("user", "plan", "action")
    search_fields = ("user__username", "country", "action__ref")
    autocomplete_fields = ("user",)
    raw_id_fields = ("action",)
    readonly_fields = ("granted_by", "granted_at")

    def save_model(self, request, obj, form, change):
        obj.granted_by = request.user.username
        super().save_model(request, obj, form, change)


@admin.register(Participation)
class ParticipationAdmin(AuditedAdmin):
    list_display = ("organisation", "action", "role", "since")
    list_filter = ("role",)
    list_select_related = ("organisation", "action")
    search_fields = ("organisation__code", "organisation__name", "action__ref")
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("action",)
