"""Who hears about a demand step, with which message template; queued in the step's transaction.

The citizen gets one SMS, with the reply (``demand_reply``). Submissions from the public form
send no SMS on purpose: the form is open to anyone, and a text to a number typed by a stranger
would turn it into an SMS cannon. Staff are told in the console inbox.

The templates are shipped by migration 0003 (editable rows afterwards). The notifications app
only knows its own shipped list (``notifications.defaults``), so a row found missing (deleted by
hand, a test database flushed after a transactional test) is re-created here from ``TEMPLATES``
before a message is queued, instead of failing the domain change.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.urls import reverse

from haochaping.core.crypto import sign_token
from haochaping.notifications import defaults as notification_defaults
from haochaping.notifications.models import MessageTemplate
from haochaping.notifications.services import notification_queue
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import supervisors_over, users_with_role

SIGN = notification_defaults.SIGN
DEMAND_LINK_PURPOSE = "portal.demand"
REPLY_SUMMARY_CHARS = 60

# (code, channel, title, body): the same shape as notifications.defaults.DEFAULT_TEMPLATES.
TEMPLATES: list[tuple[str, str, str, str]] = [
    (
        "demand_reply",
        "sms",
        "诉求答复",
        SIGN + "您反映的问题（受理编号{number}）已答复：{summary} 详情及评价：{url}",
    ),
    (
        "demand_received",
        "inapp",
        "新诉求待分派",
        "收到诉求 {number}（{category}），请在“诉求与意见建议”中确认分类并分派承办单位。",
    ),
    (
        "demand_assigned",
        "inapp",
        "新诉求待办理",
        "诉求 {number}（{category}）已分派给{unit}，请于 {due} 前在“诉求与意见建议”中答复群众；"
        "不属于本单位职责的，请退回并说明理由。",
    ),
    ("demand_returned", "inapp", "诉求被退回", "诉求 {number} 被{unit}退回，理由：{text}。请核实后重新分派承办单位。"),
    ("demand_deadline_warning", "inapp", "诉求即将到期", "诉求 {number} 将于 {due} 到期，请及时答复群众。"),
    (
        "demand_escalated",
        "inapp",
        "诉求逾期，已列入督办",
        "诉求 {number}（{category}）已逾期未答复，已列入{to}督办：请立即答复群众；"
        "不属于本单位职责的，请退回并说明理由。",
    ),
]

_END_PUNCTUATION = "。．.！!？?；;，,、：:…"


def _ensure_template(code: str) -> None:
    """Re-create a missing shipped row (never overwrites an administrator's edit)."""
    if MessageTemplate.objects.filter(code=code).exists():
        return
    for template_code, channel, title, body in TEMPLATES:
        if template_code == code:
            MessageTemplate.objects.get_or_create(code=code, defaults={"channel": channel, "title": title,
                                                                       "body": body})  # fmt: skip


def _queue(*, template: str, **kwargs) -> None:
    _ensure_template(template)
    notification_queue(template=template, **kwargs)


def demand_link(demand_id: int, *, now: float | None = None) -> str:
    """A signed citizen link to follow one demand and give satisfaction (SMS, confirmation page)."""
    expires = int((time.time() if now is None else now) + settings.DEMAND_LINK_DAYS * 86400)
    token = sign_token(DEMAND_LINK_PURPOSE, {"d": demand_id, "x": expires})
    return settings.PUBLIC_BASE_URL + reverse("portal:demand_status", args=[token])


def _context(demand) -> dict:
    return {
        "number": demand.number,
        "category": demand.category.name if demand.category_id else "未分类",
        "unit": demand.unit.name,
        "due": f"{demand.due_at.astimezone():%Y-%m-%d}",
        "demand_id": demand.pk,  # the inbox groups a demand's messages and links to its page
    }


def received(*, demand) -> None:
    for user in supervisors_over(demand.unit):
        _queue(
            template="demand_received",
            to_user=user,
            context=_context(demand),
            dedupe_key=f"demand:{demand.pk}:received:{user.pk}",
        )


def assigned(*, demand, step_id: int) -> None:
    for user in users_with_role(demand.unit, Role.DEPT_ADMIN):
        _queue(
            template="demand_assigned",
            to_user=user,
            context=_context(demand),
            dedupe_key=f"demand:{demand.pk}:assigned:{step_id}:{user.pk}",
        )


def returned(*, demand, from_unit: Unit, text: str, step_id: int) -> None:
    for user in supervisors_over(demand.unit):
        _queue(
            template="demand_returned",
            to_user=user,
            # The template closes the reason with its own 。: none of the staff's own at the end.
            context={**_context(demand), "unit": from_unit.name, "text": text[:80].rstrip().rstrip(_END_PUNCTUATION)},
            dedupe_key=f"demand:{demand.pk}:returned:{step_id}:{user.pk}",
        )


def replied(*, demand, step_id: int, actor) -> None:
    summary = demand.reply if len(demand.reply) <= REPLY_SUMMARY_CHARS else demand.reply[:REPLY_SUMMARY_CHARS] + "…"
    _queue(
        template="demand_reply",
        to_phone=demand.contact_phone,
        context={"number": demand.number, "summary": summary, "url": demand_link(demand.pk)},
        dedupe_key=f"demand:{demand.pk}:reply:{step_id}",
        actor=actor,
    )


def deadline_warning(*, demand) -> None:
    users = users_with_role(demand.unit, Role.DEPT_ADMIN) or supervisors_over(demand.unit)
    for user in users:
        _queue(
            template="demand_deadline_warning",
            to_user=user,
            context=_context(demand),
            dedupe_key=f"demand:{demand.pk}:warned:{demand.due_at.isoformat()}:{user.pk}",
        )


def escalated(*, demand, to: Unit) -> None:
    """The handling unit's admins learn that the demand is now under 督办 and what to do; the
    supervisors of ``to`` get the daily digest instead of one message per demand."""
    for user in users_with_role(demand.unit, Role.DEPT_ADMIN):
        _queue(
            template="demand_escalated",
            to_user=user,
            context={**_context(demand), "to": to.name},
            dedupe_key=f"demand:{demand.pk}:escalated:{user.pk}",
        )
