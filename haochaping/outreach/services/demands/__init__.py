"""Writes for demands and suggestions, by what a reader looks for:

- ``intake``: receiving a demand (portal, business system, phone, a rating promoted);
- ``transitions``: the staff's steps of ``outreach.workflow.TRANSITIONS`` and the citizen's
  closure;
- ``deadlines``: the deadline watch (warn, overdue, escalate);
- ``access``: the citizen's lookup by 查询码, the audited reveal of the contact, the public
  form's rate limits;
- ``rules``: the limits, phone normalisation, time limit, intake unit and 查询码 hash they share.

Every state change moves the state with a conditional UPDATE (two users racing the same step
cannot both succeed), appends a ``DemandAction`` (``audit.timeline.timeline_append``) and writes
the audit event, in one transaction; messages are queued in that same transaction
(``notify.py``). The names below are importable from ``outreach.services.demands`` as before.
"""

from haochaping.outreach.services.categories import CATEGORY_DATA, active_categories, category_ensure_default
from haochaping.outreach.services.demands.access import (
    client_key,
    demand_find_for_citizen,
    demand_reveal_contact,
    portal_attempt_record,
    portal_attempts_purge,
)
from haochaping.outreach.services.demands.deadlines import ScanResult, demand_scan_deadlines
from haochaping.outreach.services.demands.intake import (
    DemandInput,
    SubmittedDemand,
    demand_from_evaluation,
    demand_submit,
    demand_take_call,
)
from haochaping.outreach.services.demands.rules import (
    INTAKE_ROLES,
    MAX_CONTENT,
    MAX_DAYS,
    MAX_NAME,
    MAX_TEXT,
    MIN_CONTENT,
    PHONE_RE,
    REVEAL_ROLES,
    demand_deadline,
    intake_unit_default,
    normalise_phone,
    query_code_hash,
)
from haochaping.outreach.services.demands.transitions import (
    DemandStepInput,
    demand_close_by_citizen,
    demand_transition,
)

__all__ = [
    "CATEGORY_DATA",
    "INTAKE_ROLES",
    "MAX_CONTENT",
    "MAX_DAYS",
    "MAX_NAME",
    "MAX_TEXT",
    "MIN_CONTENT",
    "PHONE_RE",
    "REVEAL_ROLES",
    "DemandInput",
    "DemandStepInput",
    "ScanResult",
    "SubmittedDemand",
    "active_categories",
    "category_ensure_default",
    "client_key",
    "demand_close_by_citizen",
    "demand_deadline",
    "demand_find_for_citizen",
    "demand_from_evaluation",
    "demand_reveal_contact",
    "demand_scan_deadlines",
    "demand_submit",
    "demand_take_call",
    "demand_transition",
    "intake_unit_default",
    "normalise_phone",
    "portal_attempt_record",
    "portal_attempts_purge",
    "query_code_hash",
]
