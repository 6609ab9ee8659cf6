"""The transition table of a common problem (共性问题, 制度第十一条).

    待分析 ──提交原因分析和整改方案──▶ 整改中 ──提交整改结果（附证明材料）──▶ 已整改 ──审核办结──▶ 办结
                                         ▲                                   │
                                         └───────────── 退回重新整改 ◀────────┘

The responsible unit (its department admin, or a supervisor) analyses and rectifies; only the
centre's supervisors close or return. Anything not in the table is refused;
``services.problem_transition`` is the only code that applies it.
"""

from __future__ import annotations

from django.db import models

from haochaping.core.workflow import Transition, allowed, transition_table
from haochaping.insight.problems.models import ProblemState as S
from haochaping.organizations.models import Role


class Action(models.TextChoices):
    ANALYSE = "analyse", "提交原因分析和整改方案"
    RECTIFY = "rectify", "提交整改结果"
    RETURN = "return", "退回重新整改"
    CLOSE = "close", "审核办结"


class Event(models.TextChoices):
    OPENED = "opened", "立为共性问题"
    LINKED = "linked", "关联差评工单"
    ANALYSIS_SAVED = "analysis_saved", "更新原因分析和整改方案"
    EVIDENCE = "evidence", "上传证明材料"
    WARNED = "warned", "到期预警"
    OVERDUE = "overdue", "已逾期"
    ESCALATED = "escalated", "督办"


UNIT_SIDE = frozenset({Role.DEPT_ADMIN, Role.SUPERVISOR})
SUPERVISION = frozenset({Role.SUPERVISOR})

TRANSITIONS: dict[str, Transition[Action]] = transition_table(
    Transition(Action.ANALYSE, (S.ANALYSING,), S.RECTIFYING, UNIT_SIDE, "说明", needs_text=False),
    Transition(Action.RECTIFY, (S.RECTIFYING,), S.RECTIFIED, UNIT_SIDE, "整改措施及结果", needs_attachment=True),
    Transition(Action.RETURN, (S.RECTIFIED,), S.RECTIFYING, SUPERVISION, "退回理由"),
    Transition(Action.CLOSE, (S.RECTIFIED,), S.CLOSED, SUPERVISION, "审核意见"),
)


def allowed_actions(state: str, role: str) -> list[Transition[Action]]:
    """What this role may do to a problem in this state (the buttons on the page)."""
    return allowed(TRANSITIONS.values(), state, role)
