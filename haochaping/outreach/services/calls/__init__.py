"""Writes for call lists, by what a reader looks for:

- ``generation``: bringing the lists up to date (periodic job, the console's 立即生成);
- ``claiming``: taking the next call, a supervisor's assignment, the audited reveal of the number;
- ``recording``: the outcome of a call, or the rating link sent by SMS instead;
- ``settle``: what a reached call settles through the owning app's service (the case's callback,
  the complaint's closure, the rating given on the phone);
- ``common``: the calling roles, the operator's check and ``CallInput``.

A call on a callback task closes the loop through the other apps' own services, never around
them: 满意/基本满意 → ``case_transition("callback_satisfied")``, 不满意 →
``case_transition("callback_unsatisfied")`` (the case goes back to 整改中 with a fresh
deadline); a rating given by phone → ``intake.services.rating_receive`` with channel 6 and the
operator as the audit actor; a complaint's callback closes the demand through
``demand_transition``. The names below are importable from ``outreach.services.calls`` as before.
"""

from haochaping.outreach.services.calls.claiming import (
    call_task_assign,
    call_task_claim_next,
    call_task_reveal_contact,
)
from haochaping.outreach.services.calls.common import CALL_ROLES, CallInput
from haochaping.outreach.services.calls.generation import (
    GenerationResult,
    call_lists_generate,
    call_lists_generate_now,
    invitation_cutoffs,
    unrated_due,
)
from haochaping.outreach.services.calls.recording import (
    MAX_NOTES,
    MAX_RETRY_DAYS,
    call_record,
    call_send_rating_sms,
)

__all__ = [
    "CALL_ROLES",
    "MAX_NOTES",
    "MAX_RETRY_DAYS",
    "CallInput",
    "GenerationResult",
    "call_lists_generate",
    "call_lists_generate_now",
    "call_record",
    "call_send_rating_sms",
    "call_task_assign",
    "call_task_claim_next",
    "call_task_reveal_contact",
    "invitation_cutoffs",
    "unrated_due",
]
