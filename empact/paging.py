"""Pages of API lists: `limit` and `offset`, with a ceiling on `limit`.

Every list of the API is paged, so that no caller can ask for a whole table in one
response. The bounds are part of the OpenAPI schema (minimum, maximum, default),
so clients and the schema tests see them.
"""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any real list, and small enough for every database's OFFSET.
MAX_OFFSET = 1_000_000


class LimitOffset(PaginationBase):
    """`?limit=50&offset=0` in, `{"items", "count", "limit", "offset"}` out."""

    class Input(Schema):
        limit: int = Field(
            DEFAULT_LIMIT,
            ge=1,
            le=MAX_LIMIT,
            description=f"How many items to return (at most {MAX_LIMIT}).",
        )
        offset: int = Field(
            0,
            ge=0,
            le=MAX_OFFSET,
            description="How many items to skip, for the next pages.",
        )

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description="How many items there are in all.")
        limit: int
        offset: int

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        start, stop = pagination.offset, pagination.offset + pagination.limit
        return {
            "items": queryset[start:stop],
            "count": self._items_count(queryset),
            "limit": pagination.limit,
            "offset": pagination.offset,
        }
