"""The auditor's pages: search the log, export it. Only for `audit.view` and
`audit.export`; everyone else gets a 404, as if the pages did not exist."""

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render

from empact.accounts import permissions
from empact.audit import selectors
from empact.audit.export import FORMATS, csv_lines, export_log, write_xlsx
from empact.audit.forms import LogFilterForm
from empact.audit.log import AuditWriteFailed
from empact.errors import UserError


def log(request):
    _require(request, "audit.view")
    form = LogFilterForm(request.GET)
    if not form.is_valid():
        return _search_page(request, form, status=400)
    try:
        page = selectors.log_page(
            form.log_filter(),
            number=form.page_number(),
            actor=request.user,
            request=request,
        )
    except UserError as e:
        return _search_page(request, form, error=str(e), status=400)
    except AuditWriteFailed:
        return refused(request)
    return _search_page(request, form, page=page)


def export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404("no such format")
    _require(request, "audit.export")
    form = LogFilterForm(request.GET)
    if not form.is_valid():
        return _search_page(request, form, status=400)
    try:
        result = export_log(
            form.log_filter(), fmt=fmt, actor=request.user, request=request
        )
    except UserError as e:
        return _search_page(request, form, error=str(e), status=400)
    except AuditWriteFailed:
        return refused(request)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(result))
    else:
        file = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
        write_xlsx(result, file)
        file.seek(0)
        response = FileResponse(file)
    response["Content-Type"] = result.content_type
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def refused(request):
    """The answer when an access cannot be logged: it does not happen."""
    return render(request, "audit/refused.html", status=503)


def _require(request, action: str) -> None:
    try:
        permissions.require(request.user, action, request=request)
    except (PermissionDenied, AuditWriteFailed):
        raise Http404("not found") from None


def _search_page(request, form, *, page=None, error="", status=200):
    context = {
        "form": form,
        "page": page,
        "error": error,
        "can_export": permissions.can(request.user, "audit.export"),
    }
    return render(request, "audit/log.html", context, status=status)
