from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from empact.accounts.models import User


@admin.register(User)
class EmpactUserAdmin(UserAdmin):
    list_display = ("username", "email", "organisation", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "organisation__kind")
    fieldsets = (*UserAdmin.fieldsets, ("Organisation", {"fields": ("organisation",)}))
