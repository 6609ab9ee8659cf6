"""Paging of the console lists: the selector has already applied the caller's scope.

A list is counted up to ``COUNT_CAP`` rows only (a COUNT over millions of rows is what costs):
under the cap it pages as Django's paginator does (the exact total, every page number); over it
the page numbers run up to the cap and ``?page=last`` (末页) shows the list's last rows by running
its ordering reversed — so every list passed here must be in a total order (ending with a unique
key, usually the primary key).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100)  # the choices of ``?page_size=``; anything else is the list's default
PAGING_PARAMS = ("page", "page_size")
COUNT_CAP = 10_000  # rows counted at most; a multiple of every page size
LAST = "last"  # ``?page=last``: the list's last page (末页)


def page_size_of(request, default: int = PAGE_SIZE) -> int:
    """``?page_size=`` if it is one of ``PAGE_SIZES``, else ``default`` (never an error)."""
    try:
        wanted = int(request.GET.get("page_size", ""))
    except ValueError:
        return default
    return wanted if wanted in PAGE_SIZES else default


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows: ``count`` is the exact total up to the cap,
    else the cap itself with ``capped`` true (the pages then run up to the cap)."""

    def __init__(self, object_list, per_page: int, *, cap: int):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def counted(self) -> int:
        """The rows, up to ``cap + 1``: one query that stops at the cap (no ordering to sort by)."""
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: self.cap + 1].count()
        return len(self.object_list)

    @cached_property
    def capped(self) -> bool:
        return self.counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    def tail(self) -> Page:
        """末页 of a capped list: the list's last ``per_page`` rows, in the list's order — its
        ordering reversed, limited, turned back (one query whatever the list's size). Numbered
        after the last page number (``has_next``/``has_previous`` are false: no neighbours)."""
        if isinstance(self.object_list, QuerySet):
            rows = list(self.object_list.reverse()[: self.per_page])
            rows.reverse()
        else:
            rows = list(self.object_list[-self.per_page :])
        return TailPage(rows, self.num_pages + 1, self)


class TailPage(Page):
    """The 末页 of a capped list: not reached from, nor leading to, a numbered page."""

    is_tail = True

    def has_next(self) -> bool:
        return False

    def has_previous(self) -> bool:
        return False


def page_of(request, queryset: QuerySet | Sequence, *, per_page: int = PAGE_SIZE) -> Page:
    """The page asked for by ``?page=`` (out of range or not a number: the nearest page; ``last``:
    the last page) of ``?page_size=`` rows (one of ``PAGE_SIZES``, else ``per_page``), evaluated
    once. ``queryset`` must be in a total order (its ordering ends with a unique key).

    For ``pages/_pagination.html``: ``page.elided_range`` (the page numbers),
    ``page.page_sizes`` (the choices), ``page.page_size_param`` (the ``?page_size=`` in force,
    if any), ``page.kept_params`` (the query's other parameters as ``(name, value)`` pairs,
    carried by the page-size and jump-to-page forms), ``page.paginator.capped`` (more rows than
    ``COUNT_CAP``: ``page.paginator.count`` is the cap) and ``page.is_tail`` (the 末页 of a capped
    list).
    """
    size = page_size_of(request, per_page)
    paginator = CappedPaginator(queryset, size, cap=COUNT_CAP)
    wanted = request.GET.get("page")
    if wanted == LAST and paginator.capped:
        page = paginator.tail()
    else:
        page = paginator.get_page(paginator.num_pages if wanted == LAST else wanted)
        page.is_tail = False
    page.object_list = list(page.object_list)  # evaluated once, reused by the template
    current = paginator.num_pages if page.is_tail else page.number
    page.elided_range = list(paginator.get_elided_page_range(current, on_each_side=2, on_ends=1))
    page.page_sizes = sorted({*PAGE_SIZES, per_page})
    page.page_size_param = str(size) if str(size) == request.GET.get("page_size") else ""  # kept by the jump form
    page.kept_params = [
        (name, value) for name, values in request.GET.lists() if name not in PAGING_PARAMS for value in values
    ]
    return page
