from django.shortcuts import render
from django.utils import timezone

from empact.reporting import dashboard_cache, dashboards


def plan_dashboard(request, slug: str):
    context = dashboard_cache.plan_dashboard_page(
        slug, actor=request.user, today=timezone.localdate(), request=request
    )
    return render(request, "reporting/dashboard.html", context)


def action_dashboard(request, slug: str, ref: str):
    page = dashboards.action_dashboard(
        slug, ref, actor=request.user, today=timezone.localdate(), request=request
    )
    context = {"page": page, "plan": page.plan, "action": page.action}
    return render(request, "reporting/dashboard_action.html", context)


def organisation_view(request, slug: str, code: str):
    page = dashboards.organisation_view(
        slug, code, actor=request.user, today=timezone.localdate(), request=request
    )
    context = {"page": page, "plan": page.plan, "organisation": page.organisation}
    return render(request, "reporting/dashboard_organisation.html", context)
