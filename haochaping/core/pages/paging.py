"""Paging of the console lists: the selector has already applied the caller's scope."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100)  # the choices of ``?page_size=``; anything else is the list's default
PAGING_PARAMS = ("page", "page_size")


def page_size_of(request, default: int = PAGE_SIZE) -> int:
    """``?page_size=`` if it is one of ``PAGE_SIZES``, else ``default`` (never an error)."""
    try:
        wanted = int(request.GET.get("page_size", ""))
    except ValueError:
        return default
    return wanted if wanted in PAGE_SIZES else default


def page_of(request, queryset: QuerySet, *, per_page: int = PAGE_SIZE) -> Page:
    """The page asked for by ``?page=`` (out of range: the nearest page) of ``?page_size=`` rows
    (one of ``PAGE_SIZES``, else ``per_page``), evaluated once.

    For ``pages/_pagination.html``: ``page.elided_range`` (the page numbers),
    ``page.page_sizes`` (the choices), ``page.page_size_param`` (the ``?page_size=`` in force,
    if any) and ``page.kept_params`` (the query's other parameters as ``(name, value)`` pairs,
    carried by the page-size and jump-to-page forms).
    """
    size = page_size_of(request, per_page)
    paginator = Paginator(queryset, size)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # evaluated once, reused by the template
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    page.page_sizes = sorted({*PAGE_SIZES, per_page})
    page.page_size_param = str(size) if str(size) == request.GET.get("page_size") else ""  # kept by the jump form
    page.kept_params = [
        (name, value) for name, values in request.GET.lists() if name not in PAGING_PARAMS for value in values
    ]
    return page
