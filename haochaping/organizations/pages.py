"""The decorator of every staff page: login, the caller's ``Scope``, errors as Chinese pages.

It lives with the scope it resolves, so that every app's ``console/`` package can use it; the
paging, filter and download helpers are in ``core.pages``; ``record_export`` audits a list's
Excel export.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.views.decorators.cache import never_cache

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.views import error_page
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import scope_for_user

# Who may ask a window tablet to show the rating screen (请评价): the clerk who served, admins.
RATING_REQUEST_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.WINDOW_CLERK)


def console_page(view):
    """Login required; the view receives the caller's scope; application errors become pages.

    Access errors from the selectors (``NotFound`` for another unit's id, ``PermissionDenied`` for
    a login without a role) become Chinese error pages with the matching status. Pages carry
    personal data (masked, but still): never stored by browsers or proxies.
    """

    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            scope = scope_for_user(request.user)
            return view(request, scope, *args, **kwargs)
        except ApplicationError as exc:
            return error_page(request, exc)

    return login_required(wrapper)


def record_export(request, *, action: str, form, rows: int, **extra: Any) -> None:
    """Audit one Excel export of a list: who, which filters (the valid ones, as applied), how many
    rows. The filters are codes and dates, never identity."""
    filters = {name: str(value) for name, value in form.cleaned_data.items() if value not in (None, "", False, [])}
    with transaction.atomic():
        audit_record(
            actor=Actor.for_user(request.user), action=action, data={"filters": {**filters, **extra}, "rows": rows}
        )
