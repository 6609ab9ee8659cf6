"""Page-number pagination for API lists: {"items": [...], "count", "page", "page_size", "pages"}."""

from __future__ import annotations

import math
from typing import Any

from ninja import Field, Schema
from ninja.pagination import PaginationBase

# The highest page number accepted: its row offset ((page - 1) * page_size, at most about
# 2 * 10^11) stays far inside the databases' 64-bit integers; a larger ``page`` is a 422
# ``validation_error`` on ``page``, not a database error. A page past the last one within this
# range is an empty page (200).
MAX_PAGE = 1_000_000_000
MAX_PAGE_SIZE = 200


class Pagination(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description=f"页码，从 1 开始，最大 {MAX_PAGE}")
        page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，最多 {MAX_PAGE_SIZE}")

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": math.ceil(count / pagination.page_size) if count else 0,
        }
