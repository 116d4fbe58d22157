"""OpenAPI links: which operation can follow an answer, and what it takes from it
(the record's id, and the version a change must name). A client reads them to
chain calls; the stateful API fuzz (T-15) follows them, so that a contribution
started by POST is then read, saved, submitted and reviewed by its id.

Each operation says `openapi_extra=links(status, ...)`; a link's requestBody
names the fields taken from the answer, the rest of the body is the caller's.
"""

CONTRIBUTION_ID = "$response.body#/id"
VERSION = {"version": "$response.body#/version"}


def links(status: int, **targets: dict) -> dict:
    """ninja's openapi_extra declaring the links of one answer."""
    return {"responses": {status: {"links": targets}}}


def to(operation_id: str, id: str, body: dict | None = None) -> dict:
    """A link to `operation_id`, its path's {id} taken from the answer."""
    link = {"operationId": operation_id, "parameters": {"path.id": id}}
    if body:
        link["requestBody"] = body
    return link


# Every answer that is a contribution (ContributionDetailOut) may be followed by
# any step on it, naming the version it shows.
CONTRIBUTION = {
    "read": to("get_contribution", CONTRIBUTION_ID),
    "save": to("save_contribution", CONTRIBUTION_ID, VERSION),
    "submit": to("submit_contribution", CONTRIBUTION_ID, VERSION),
    "accept": to("accept_contribution", CONTRIBUTION_ID, VERSION),
    "return": to("return_contribution", CONTRIBUTION_ID, VERSION),
    "amend": to("request_amendment", CONTRIBUTION_ID),
}
# A list of contributions: the caller's own for the same plan, OA and period as
# the first one listed (the one it has, or a new draft).
LISTED = {
    "start": {
        "operationId": "start_contribution",
        "requestBody": {
            "plan": "$response.body#/items/0/plan",
            "oa": "$response.body#/items/0/oa",
            "period": "$response.body#/items/0/period",
        },
    },
}
# Every answer that is an amendment request (AmendmentDetailOut).
AMENDMENT = {
    "read": to("get_amendment", "$response.body#/id"),
    "decide": to("decide_amendment", "$response.body#/id"),
    "contribution": to("get_contribution", "$response.body#/contribution"),
}
