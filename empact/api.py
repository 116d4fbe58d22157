"""The HTTP API: one NinjaAPI, private unless an operation says `auth=None`.

National systems sign in with a per-organisation bearer token (a header, never the
query string); a browser session may call the API too, with its CSRF token checked
by ninja's django_auth. Django's LoginRequiredMiddleware would redirect a request
without a session to the sign-in page, so every API route is marked
login_not_required and ninja answers 401 itself. The interactive docs page is
switched off, because ninja's loads Swagger from a CDN; the OpenAPI schema is
served at /api/openapi.json to signed-in callers (session or token) only.
"""

import logging
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from empact.accounts.tokens import user_for_token
from empact.audit.log import AuditWriteFailed
from empact.errors import UserError
from empact.reporting.api import Refused, VersionConflict

logger = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the token's owner, or None (401)."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


token_auth = TokenAuth()


def signed_in_only(view):
    """The schema for a signed-in session or a valid token; 401 otherwise."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated and token_auth(request) is None:
            return JsonResponse({"detail": "Unauthorized"}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


class EmpactAPI(NinjaAPI):
    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            # The root only says where the docs are (nowhere): left to the
            # sign-in redirect like any page.
            if isinstance(pattern, URLPattern) and pattern.name != "api-root":
                pattern.callback = login_not_required(pattern.callback)
        return patterns

    def get_openapi_operation_id(self, operation):
        # The handler's name (list_plans), not its module path: clients read it.
        return operation.view_func.__name__


DESCRIPTION = """Reporting for national systems: plans, periods, contributions and
their review, amendment requests and Joint Action Days. A bearer token acts as its
user: the same permissions and audit as the pages.

Lists are paged with `limit` (at most 200) and `offset`. A refusal is JSON
`{"message", "problems"}`, each problem naming its place and why: 400 a mistake,
403 not allowed, 409 changed since read, 422 not fitting this schema. A record the
caller may not see is 404, the same as one that does not exist."""

api = EmpactAPI(
    title="empact API",
    version="1.0.0",
    description=DESCRIPTION,
    auth=[token_auth, django_auth],
    docs_url=None,
    docs_decorator=signed_in_only,
)


def _not_found(request, exc):
    # The same body whether the record does not exist or is not the caller's.
    return api.create_response(request, {"detail": "Not Found"}, status=404)


def _forbidden(request, exc):
    return api.create_response(request, {"detail": "Forbidden"}, status=403)


def _user_error(request, exc):
    body = {"message": exc.args[0], "problems": exc.problems}
    return api.create_response(request, body, status=400)


def _invalid(request, exc):
    # Ninja's own shape is pydantic's error list; ours names each place and why.
    problems = [_where(error) + error["msg"] for error in exc.errors]
    message = "the request is not valid; nothing was done"
    body = {"message": message, "problems": problems}
    return api.create_response(request, body, status=422)


def _http_error(request, exc):
    if exc.status_code == 400:  # ninja's only 400: a body that is not JSON
        message = "the request body is not JSON; nothing was done"
        body = {"message": message, "problems": ["body: cannot be parsed as JSON"]}
    else:  # 401 without valid credentials, 403 on a failed CSRF check
        body = {"detail": exc.message}
    return api.create_response(request, body, status=exc.status_code)


def _where(error: dict) -> str:
    """`body.reason: ` from a location such as ("body", "data", "reason")."""
    loc = [str(part) for part in error.get("loc", ())]
    if len(loc) > 2 and loc[0] == "body":
        del loc[1]  # the handler's parameter name says nothing to the caller
    return f"{'.'.join(loc)}: " if loc else ""


def _conflict(request, exc):
    body = {"message": exc.args[0], "problems": exc.problems}
    return api.create_response(request, body, status=409)


def _refused(request, exc):
    body = {"message": exc.args[0], "problems": exc.problems}
    return api.create_response(request, body, status=403)


def _audit_failed(request, exc):
    logger.error("audit write failed, API request refused: %s", exc)
    body = {"detail": "this access cannot be logged, so it is refused"}
    return api.create_response(request, body, status=503)


def _server_error(request, exc):
    logger.exception("API error", exc_info=exc)
    return api.create_response(request, {"detail": "Server error"}, status=500)


api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(PermissionDenied, _forbidden)
api.add_exception_handler(UserError, _user_error)
api.add_exception_handler(ValidationError, _invalid)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(VersionConflict, _conflict)
api.add_exception_handler(Refused, _refused)
api.add_exception_handler(AuditWriteFailed, _audit_failed)
api.add_exception_handler(Exception, _server_error)

api.add_router("/", "empact.reporting.api.router")
api.add_router("/", "empact.analysis.api.router")
