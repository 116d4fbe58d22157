"""How the reporting API refuses: the error bodies, the status codes each kind of
operation may answer with (so that the OpenAPI schema lists them), and conflicts."""

from ninja import Field, Schema

from empact.errors import UserError


class Problem(Schema):
    """A refusal the caller can act on: what went wrong, where, and why."""

    message: str = Field(..., description="What was refused, and why.")
    problems: list[str] = Field(
        ..., description="Every problem found, each naming where it is and why."
    )


class Detail(Schema):
    detail: str


# A refused record and a missing one are both 404 with the same body; 403 is a
# refusal by a rule that is not need-to-know (a role the caller lacks), or a
# session's failed CSRF check.
LIST_ERRORS = {401: Detail, 403: Detail, 422: Problem}
READ_ERRORS = {404: Detail, **LIST_ERRORS}
WRITE_ERRORS = {400: Problem, 409: Problem, **READ_ERRORS}


class VersionConflict(UserError):
    """The record changed since the caller read it (409): read it again, retry."""


class Refused(UserError):
    """The caller may see the record but not do this to it (403), with why."""
