"""Writes of the outreach app: call lists (``calls``) and demands (``demands``)."""

from haochaping.outreach.services.calls import (
    CallInput,
    GenerationResult,
    call_lists_generate,
    call_lists_generate_now,
    call_record,
    call_send_rating_sms,
    call_task_assign,
    call_task_claim_next,
    call_task_reveal_contact,
)
from haochaping.outreach.services.demands import (
    DemandInput,
    DemandStepInput,
    demand_close_by_citizen,
    demand_deadline,
    demand_find_for_citizen,
    demand_from_evaluation,
    demand_reveal_contact,
    demand_scan_deadlines,
    demand_submit,
    demand_take_call,
    demand_transition,
)

__all__ = [
    "CallInput",
    "DemandInput",
    "DemandStepInput",
    "GenerationResult",
    "call_lists_generate",
    "call_lists_generate_now",
    "call_record",
    "call_send_rating_sms",
    "call_task_assign",
    "call_task_claim_next",
    "call_task_reveal_contact",
    "demand_close_by_citizen",
    "demand_deadline",
    "demand_find_for_citizen",
    "demand_from_evaluation",
    "demand_reveal_contact",
    "demand_scan_deadlines",
    "demand_submit",
    "demand_take_call",
    "demand_transition",
]
