"""The decorator of every staff page: login, the caller's ``Scope``, errors as Chinese pages.

It lives with the scope it resolves, so that every app's ``console/`` package can use it; the
paging, filter and download helpers are in ``core.pages``.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import never_cache

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
