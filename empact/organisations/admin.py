from django.contrib import admin

from empact.accounts.admin import AuditedAdmin
from empact.organisations.models import Organisation


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "europol_status")
    list_filter = ("kind", "europol_status")
    search_fields = ("code", "name")
