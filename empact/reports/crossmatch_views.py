"""The cross-match report download: the contributor's hits as HTML, PDF or XLSX."""

from django.http import HttpResponse

from empact.errors import UserError
from empact.reports.crossmatch import produce_crossmatch_report


def download(request):
    try:
        export = produce_crossmatch_report(
            request.user,
            request.user.organisation,
            fmt=request.GET.get("format", "html"),
            marking=request.GET.get("marking", "limite"),
            request=request,
        )
    except UserError as e:
        return HttpResponse(str(e), status=400, content_type="text/plain")
    response = HttpResponse(export.data, content_type=export.content_type)
    disposition = "inline" if export.filename.endswith(".html") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{export.filename}"'
    return response
