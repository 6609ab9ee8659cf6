"""Template context for console pages: the user's membership (role and unit) and the menu's
pending counts (unread messages, cases to act on, requests to review, calls due).

The shell may read every app's selectors. Each count is one query, run only when the page's
menu shows it (``console/base.html``) and at most once per request; citizen pages get nothing.
"""

from __future__ import annotations

from functools import cached_property

from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from haochaping.notifications.selectors import unread_count
from haochaping.organizations.models import Membership, Role
from haochaping.organizations.selectors import is_centre, membership_for, scope_for_membership
from haochaping.outreach.selectors import workbench_count
from haochaping.rectification.models import CaseState
from haochaping.rectification.selectors import case_queue_counts
from haochaping.rectification.workflow import actionable_states

CALL_ROLES = (Role.OPERATOR, Role.SUPERVISOR)  # who sees the calls due on the menu
REVIEW_STATES = (CaseState.INVALID_REQUESTED, CaseState.EXTENSION_REQUESTED)


class MenuCounts:
    """The sidebar's figures, each read on first use, scoped like the list it links to."""

    def __init__(self, user, membership: Membership):
        self.user = user
        self.role = membership.role
        self.scope = scope_for_membership(membership)
        self.now = timezone.now()

    @cached_property
    def is_centre(self) -> bool:
        """The centre's supervisors (a root unit): the calendar and indicator-set pages (no query)."""
        return is_centre(self.scope)

    @cached_property
    def messages(self) -> int:
        """Unread inbox messages (消息)."""
        return unread_count(self.user)

    @cached_property
    def case_counts(self) -> dict[str, int]:
        """``case_queue_counts`` of the open states in the caller's scope (the home page's
        figures too): every menu figure is about open cases."""
        return case_queue_counts(scope=self.scope, now=self.now, open_only=True)

    @cached_property
    def cases(self) -> int:
        """Cases in the states where this role has a step to take: the work queue's first tab."""
        return sum(self.case_counts[state] for state in actionable_states(self.role))

    @cached_property
    def review(self) -> int:
        """Invalidity and extension requests waiting for the supervisor (审核)."""
        if self.role != Role.SUPERVISOR:
            return 0
        return sum(self.case_counts[state] for state in REVIEW_STATES)

    @cached_property
    def calls(self) -> int:
        """Call tasks on today's list (回访工作台), for the roles that call."""
        if self.role not in CALL_ROLES:
            return 0
        return workbench_count(scope=self.scope, now=self.now)


def console(request):
    if not request.path.startswith("/console/"):
        return {}  # citizen pages: no staff lookups
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_console_menu", None)
    if cached is None:
        membership = membership_for(user)
        menu = MenuCounts(user, membership) if membership is not None else None
        cached = request._console_menu = {
            "membership": membership,
            "menu_counts": menu,
            # The inbox page and the top bar read it too (one query, shared).
            "unread_messages": SimpleLazyObject(lambda: menu.messages) if menu is not None else 0,
        }
    return cached
