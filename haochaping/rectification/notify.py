"""Who hears about a case step, and with which template; queued in the step's transaction.

The evaluator learns the outcome (制度第九条: feedback by SMS and the mobile user centre) and
never who appealed or why; staff are told in the console inbox.
"""

from __future__ import annotations

from haochaping.core.workflow import Transition
from haochaping.notifications.services import notification_queue
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import supervisors_over, users_with_role
from haochaping.rectification.models import CaseAction, RectificationCase
from haochaping.rectification.workflow import Action
from haochaping.service_records.services import my_link_for

# The feedback SMS quotes at most this much of the staff's text (the whole text is on 我的评价,
# behind the link; Aliyun also limits a template variable's value to 35 characters).
FEEDBACK_SMS_CHARS = 35


def sms_summary(text: str, limit: int = FEEDBACK_SMS_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with "…" when longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# The unit admins' message for a decision on their case.
UNIT_TEMPLATES = {
    Action.APPROVE_EXTENSION: "case_extension_approved",
    Action.REJECT_EXTENSION: "case_extension_rejected",
    Action.REJECT_INVALID: "case_invalid_rejected",
    Action.CALLBACK_UNSATISFIED: "case_returned",  # 回访不满意: back to rectification
}


def _context(case: RectificationCase) -> dict:
    record = case.evaluation.record if case.evaluation_id else None
    return {
        "number": case.number,
        "unit": case.unit.name,
        "item": record.item.name if record else "",
        "due": f"{case.due_at.astimezone():%Y-%m-%d}",
        "case_id": case.pk,
    }


def after_transition(*, case: RectificationCase, transition: Transition, entry: CaseAction) -> None:
    context = _context(case)
    match transition.action:
        case Action.FEED_BACK:
            evaluation = case.evaluation
            phone = evaluation.evaluator_phone or evaluation.record.applicant_phone
            if phone:
                feedback = {**context, "text": sms_summary(entry.text), "url": my_link_for(evaluation.record)}
                notification_queue(template="case_feedback", to_phone=phone, context=feedback,
                                   dedupe_key=f"case:{case.pk}:feedback:{entry.pk}")  # fmt: skip
        case Action.REQUEST_INVALID | Action.REQUEST_EXTENSION:
            for user in supervisors_over(case.unit):
                notification_queue(template="case_review_requested", to_user=user,
                                   context={**context, "action": transition.action.label},
                                   dedupe_key=f"case:{case.pk}:review:{entry.pk}:{user.pk}")  # fmt: skip
        case Action.REJECT_INVALID | Action.REJECT_EXTENSION | Action.APPROVE_EXTENSION | Action.CALLBACK_UNSATISFIED:
            # Each outcome has its own text: what was decided, the deadline now, what to do next.
            template = UNIT_TEMPLATES[transition.action]
            for user in users_with_role(case.unit, Role.DEPT_ADMIN):
                notification_queue(template=template, to_user=user,
                                   context={**context, "action": transition.action.label},
                                   dedupe_key=f"case:{case.pk}:returned:{entry.pk}:{user.pk}")  # fmt: skip
        case _:
            pass


def statement_added(*, case: RectificationCase, entry: CaseAction) -> None:
    """The clerk's 情况说明 reaches the unit's admins, who verify the rating."""
    for user in users_with_role(case.unit, Role.DEPT_ADMIN):
        notification_queue(template="case_statement_added", to_user=user, context=_context(case),
                           dedupe_key=f"case:{case.pk}:statement:{entry.pk}:{user.pk}")  # fmt: skip


def deadline_warning(*, case: RectificationCase) -> None:
    for user in users_with_role(case.unit, Role.DEPT_ADMIN):
        notification_queue(template="case_deadline_warning", to_user=user, context=_context(case),
                           dedupe_key=f"case:{case.pk}:warned:{case.due_at.isoformat()}:{user.pk}")  # fmt: skip


def escalated(*, case: RectificationCase, to: Unit) -> None:
    """The unit's admins learn that their overdue case is now under 督办 and what to do.

    The supervisors of ``to`` get no message per case: the daily digest lists every overdue
    case and demand in their scope (``outreach.services.digest``).
    """
    for user in users_with_role(case.unit, Role.DEPT_ADMIN):
        notification_queue(template="case_escalated", to_user=user, context={**_context(case), "to": to.name},
                           dedupe_key=f"case:{case.pk}:escalated:{user.pk}")  # fmt: skip
