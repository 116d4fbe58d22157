from django.contrib import admin

from empact.plans.models import KPI, Action, Activity, Plan, PlanVersion, StrategicGoal


class ReadOnly:
    """The plan changes only through `empact plan import`, so that every change is
    a version with who, when and why; the admin shows it, never edits it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StrategicGoalInline(ReadOnly, admin.TabularInline):
    model = StrategicGoal
    extra = 0


@admin.register(Plan)
class PlanAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("title", "priority", "period", "driver", "marking")
    search_fields = ("title", "priority", "slug")
    list_select_related = ("driver",)
    autocomplete_fields = ("driver", "co_drivers")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [StrategicGoalInline]


class KPIInline(ReadOnly, admin.StackedInline):
    model = KPI
    extra = 0
    fields = (
        ("letter", "kind", "aggregation"),
        "text",
        "target_text",
        ("target_value", "unit", "target_scope", "target_minimum", "target_scale"),
        "target_by_year",
    )


class ActivityInline(ReadOnly, admin.TabularInline):
    model = Activity
    extra = 0
    fields = ("number", "text", "timing", "quarters")


@admin.register(Action)
class ActionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("ref", "short_title", "plan", "goal", "leader", "co_leader")
    list_display_links = ("ref", "short_title")
    list_filter = ("plan", "goal")
    list_select_related = ("plan", "goal", "leader", "co_leader")
    search_fields = ("ref", "short_title", "title", "leader__code", "leader__name")
    autocomplete_fields = ("leader", "co_leader")
    inlines = [KPIInline, ActivityInline]


@admin.register(KPI)
class KPIAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "text", "target_text", "target_value", "target_scope")
    list_filter = ("kind", "target_scope", "action__plan")
    list_select_related = ("action",)
    search_fields = ("text", "target_text", "action__ref")


@admin.register(Activity)
class ActivityAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("__str__", "text", "timing")
    list_filter = ("action__plan",)
    list_select_related = ("action",)
    search_fields = ("text", "timing", "action__ref")


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: versions are written by `empact plan import` and never edited."""

    list_display = ("__str__", "created_at", "created_by", "source")
    list_filter = ("plan",)
    list_select_related = ("plan",)
    readonly_fields = [f.name for f in PlanVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
