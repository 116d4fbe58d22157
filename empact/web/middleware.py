"""Middleware of the shell: a request id that ties a response to its audit entries,
and the refusal of any access whose audit entry cannot be written."""

import logging
import re
import uuid

from django.shortcuts import render

logger = logging.getLogger(__name__)

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class RequestIdMiddleware:
    """Give each request an id (`request.id`) and echo it as X-Request-ID.

    An incoming X-Request-ID (set by a reverse proxy) is kept when it is at most 64
    letters, digits and hyphens, so one id follows the request through the proxy's
    log, ours and the audit log; anything else is replaced by a fresh uuid4 hex.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = (
            incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class AuditFailureMiddleware:
    """An access whose audit entry cannot be written is refused (fail closed):
    any view that meets AuditWriteFailed answers 503 and shows no data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from empact.audit.log import AuditWriteFailed

        if not isinstance(exception, AuditWriteFailed):
            return None
        logger.error("audit write failed, request refused: %s", exception)
        return render(request, "web/503_audit.html", status=503)
