"""The rectification transition table (制度第八、九、十条; SPEC §4 "Bad rating → case").

    待核实 ──核实属实──▶ 整改中 ──提交整改──▶ 已整改 ──反馈──▶ 已反馈 ──回访满意──▶ 办结
      │                 │  ▲                                   │
      │                 │  └──────────── 回访不满意 ◀───────────┘
      │                 └──申请延期──▶ 延期待审核 ──同意/驳回──▶ 整改中
      └──申请无效──▶ 申请无效待审核 ──同意──▶ 无效评价
                                      └──驳回──▶ 整改中

Every transition (``core.workflow.Transition``) lists who may perform it and what it requires;
anything not in the table is refused. ``services.case_transition`` is the only code that
applies it.
"""

from __future__ import annotations

from django.db import models

from haochaping.core.workflow import Transition, allowed, transition_table
from haochaping.organizations.models import Role
from haochaping.rectification.models import CaseState as S


class Action(models.TextChoices):
    VERIFY = "verify", "核实属实"
    REQUEST_INVALID = "request_invalid", "申请无效评价"
    APPROVE_INVALID = "approve_invalid", "同意无效评价"
    REJECT_INVALID = "reject_invalid", "驳回无效申请"
    REQUEST_EXTENSION = "request_extension", "申请延期"
    APPROVE_EXTENSION = "approve_extension", "同意延期"
    REJECT_EXTENSION = "reject_extension", "驳回延期"
    RECTIFY = "rectify", "提交整改结果"
    FEED_BACK = "feed_back", "反馈评价人"
    CALLBACK_SATISFIED = "callback_satisfied", "回访满意"
    CALLBACK_UNSATISFIED = "callback_unsatisfied", "回访不满意"


# Actions that are not transitions but still land on the timeline.
class Event(models.TextChoices):
    OPENED = "opened", "生成工单"
    WARNED = "warned", "到期预警"
    OVERDUE = "overdue", "已逾期"
    ESCALATED = "escalated", "督办"
    NOTE = "note", "备注"
    STATEMENT = "statement", "情况说明"


UNIT_SIDE = frozenset({Role.DEPT_ADMIN, Role.SUPERVISOR})
SUPERVISION = frozenset({Role.SUPERVISOR})
CALLBACK = frozenset({Role.SUPERVISOR, Role.OPERATOR})


TRANSITIONS: dict[str, Transition[Action]] = transition_table(
    Transition(Action.VERIFY, (S.PENDING_VERIFY,), S.RECTIFYING, UNIT_SIDE, "核实情况"),
    Transition(Action.REQUEST_INVALID, (S.PENDING_VERIFY,), S.INVALID_REQUESTED, UNIT_SIDE,
               "无效理由（恶意或误评的依据）", needs_attachment=True),
    Transition(Action.APPROVE_INVALID, (S.INVALID_REQUESTED,), S.INVALIDATED, SUPERVISION, "审核意见"),
    Transition(Action.REJECT_INVALID, (S.INVALID_REQUESTED,), S.RECTIFYING, SUPERVISION, "驳回理由"),
    Transition(Action.REQUEST_EXTENSION, (S.RECTIFYING,), S.EXTENSION_REQUESTED, UNIT_SIDE,
               "无法按期整改的理由", needs_date=True),
    Transition(Action.APPROVE_EXTENSION, (S.EXTENSION_REQUESTED,), S.RECTIFYING, SUPERVISION, "审核意见",
               needs_text=False, needs_date=True),
    Transition(Action.REJECT_EXTENSION, (S.EXTENSION_REQUESTED,), S.RECTIFYING, SUPERVISION, "驳回理由"),
    Transition(Action.RECTIFY, (S.RECTIFYING,), S.RECTIFIED, UNIT_SIDE, "整改措施及结果"),
    Transition(Action.FEED_BACK, (S.RECTIFIED,), S.FED_BACK, UNIT_SIDE, "反馈给评价人的内容"),
    Transition(Action.CALLBACK_SATISFIED, (S.FED_BACK,), S.CLOSED, CALLBACK, "回访记录", needs_text=False),
    Transition(Action.CALLBACK_UNSATISFIED, (S.FED_BACK,), S.RECTIFYING, CALLBACK, "评价人不满意的原因"),
)  # fmt: skip


def allowed_actions(state: str, role: str) -> list[Transition[Action]]:
    """What this role may do to a case in this state (the buttons on the case page)."""
    return allowed(TRANSITIONS.values(), state, role)


# A window clerk takes no step, but may add a 情况说明 (statement) to a case about their own
# service while it is open (``services.case_statement_add``). It matters most while the facts
# are judged (the unit verifies; the centre reviews an invalidity appeal): those cases are the
# clerk's queue and menu count ("待说明情况").
STATEMENT_ROLES = frozenset({Role.WINDOW_CLERK})
STATEMENT_WANTED = (S.PENDING_VERIFY, S.INVALID_REQUESTED)


def actionable_states(role: str) -> tuple[str, ...]:
    """The states in which this role has a step to take (the queue's 待我处理, the menu's count);
    for a window clerk, the states in which a statement is wanted (``STATEMENT_WANTED``)."""
    if role in STATEMENT_ROLES:
        return tuple(state.value for state in STATEMENT_WANTED)
    return tuple(state.value for state in S if allowed_actions(state, role))
