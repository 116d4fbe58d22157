"""Reporting in Excel: the template to fill in offline, and reading it back.

For pages and commands: `template_for` (the download, logged as a disclosure) and
`upload_workbook` (the upload, saved all or nothing).
"""

from empact.accounts import permissions
from empact.audit.log import record
from empact.reporting.models import Contribution
from empact.reporting.xlsx.template import TemplateSpec, write_template
from empact.reporting.xlsx.upload import read_upload, upload_workbook

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = [
    "CONTENT_TYPE",
    "TemplateSpec",
    "filename_for",
    "read_upload",
    "template_for",
    "upload_workbook",
    "write_template",
]


def template_for(contribution: Contribution, *, actor, request=None) -> bytes:
    """The contribution's workbook for `actor`; the download is audit-logged.

    Raises Http404 when `actor` may not see the contribution.
    """
    permissions.require(actor, "contribution.view", contribution, request=request)
    data = write_template(contribution)
    record(
        "contribution.exported",
        actor=actor,
        operation="disclosure",
        obj=contribution,
        request=request,
        extra={"format": "xlsx", "version": contribution.version},
    )
    return data


def filename_for(contribution: Contribution) -> str:
    """A safe file name: OA, organisation and period codes only, never user text."""
    parts = (contribution.action.ref, contribution.organisation.code)
    name = "-".join(("contribution", *parts, contribution.period.code))
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in name) + ".xlsx"
