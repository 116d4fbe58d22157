"""The Reports page of a plan: choose a report and download it."""

import io

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from empact.accounts import permissions
from empact.errors import UserError
from empact.reporting import selectors
from empact.reports import exports
from empact.reports.forms import ReportForm


def reports_page(request, slug: str):
    plan = _plan(request, slug)
    return _page(request, plan, ReportForm(plan=plan))


@require_POST
def produce(request, slug: str):
    plan = _plan(request, slug)
    form = ReportForm(request.POST, plan=plan)
    if not form.is_valid():
        return _page(request, plan, form, status=400)
    data = form.cleaned_data
    try:
        export = exports.produce_report(
            plan,
            data["kind"],
            fmt=data["format"],
            marking=data["marking"],
            draft=data["draft"],
            period=data["period"] or None,
            year=data["year"],
            actor=request.user,
            request=request,
            today=timezone.localdate(),
        )
    except UserError as e:
        return _page(request, plan, form, error=e, status=400)
    return FileResponse(
        io.BytesIO(export.data),
        as_attachment=True,
        filename=export.filename,
        content_type=export.content_type,
    )


def _plan(request, slug):
    plan = selectors.plan_for(slug, actor=request.user, request=request)
    permissions.require(request.user, "report.produce", plan, request=request)
    return plan


def _page(request, plan, form, *, error=None, status=200) -> HttpResponse:
    context = {"plan": plan, "form": form, "error": error}
    return render(request, "reports/page.html", context, status=status)
