"""Paging of the console lists: the selector has already applied the caller's scope."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

PAGE_SIZE = 50


def page_of(request, queryset: QuerySet, *, per_page: int = PAGE_SIZE) -> Page:
    """The page asked for by ``?page=`` (out of range: the nearest page), evaluated once.

    ``page.elided_range`` gives the page numbers for ``pages/_pagination.html``.
    """
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)  # evaluated once, reused by the template
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page
