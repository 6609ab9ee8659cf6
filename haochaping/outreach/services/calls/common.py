"""What every call-list write shares: the calling roles, the operator's check and what the
operator records after a call (``CallInput``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User

from haochaping.core.errors import PermissionDenied
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller
from haochaping.outreach.models import CallTask

CALL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})


def _require_call_role(caller: Caller, what: str) -> User:
    """The operator making the call: a console user in a calling role (``Caller.user`` is untyped)."""
    if caller.role not in CALL_ROLES or caller.user is None:
        raise PermissionDenied(f"只有回访员和督查人员可以{what}", code="call_not_allowed")
    if not isinstance(caller.user, User):
        raise TypeError(f"a call operator is a console user, not {type(caller.user).__name__}")
    return caller.user


def _no_subject(task: CallTask, field: str) -> ValueError:
    """A task of this kind always points at its subject (on_delete=PROTECT): one without is a bug."""
    return ValueError(f"call task {task.pk} ({task.kind}, {task.subject_key}) has no {field}")


@dataclass
class CallInput:
    """What the operator records after one call."""

    outcome: str
    notes: str = ""
    satisfaction: str = ""  # callbacks, when reached
    next_attempt_at: dt.datetime | None = None  # no answer: when to try again
    level: int | None = None  # invitations answered by phone: the citizen's own rating
    rating_text: str = ""  # ... in the citizen's own words
