"""The demand transition table (诉求办理: 统一受理、分类处理、限时办理、件件有回音).

    待分派 ──分派──▶ 办理中 ──答复──▶ 已答复 ──办结（群众满意度）──▶ 已办结
      │  ▲            │                                   ▲
      │  └───退回─────┘ (承办单位认为不属于本单位)           └─ 群众在网上确认 / 投诉回访
      ├──答复（中心直接答复，如政策咨询）──▶ 已答复
      └──不予受理（重复、无实际内容、恶意）──▶ 不予受理

Every transition (``core.workflow.Transition``) lists who may perform it; anything not in the
table is refused. ``services.demands.demand_transition`` is the only code that applies it.
"""

from __future__ import annotations

from haochaping.core.workflow import Transition, allowed, transition_table
from haochaping.organizations.models import Role
from haochaping.outreach.choices import DemandState as S
from haochaping.outreach.choices import DemandStep as A

SUPERVISION = frozenset({Role.SUPERVISOR})
HANDLING = frozenset({Role.SUPERVISOR, Role.DEPT_ADMIN})
CALL_CENTRE = frozenset({Role.SUPERVISOR, Role.OPERATOR})


TRANSITIONS: dict[str, Transition[A]] = transition_table(
    Transition(A.ASSIGNED, (S.RECEIVED, S.ASSIGNED), S.ASSIGNED, SUPERVISION, "分派说明", needs_text=False),
    Transition(A.RETURNED, (S.ASSIGNED,), S.RECEIVED, frozenset({Role.DEPT_ADMIN}), "退回理由"),
    Transition(A.REPLIED, (S.RECEIVED, S.ASSIGNED), S.REPLIED, HANDLING, "答复内容"),
    Transition(A.CLOSED, (S.REPLIED,), S.CLOSED, CALL_CENTRE, "回访情况", needs_text=False),
    Transition(A.INVALIDATED, (S.RECEIVED,), S.INVALID, SUPERVISION, "不予受理的理由"),
)


def allowed_actions(state: str, role: str) -> list[Transition[A]]:
    """What this role may do to a demand in this state (the forms on the demand page)."""
    return allowed(TRANSITIONS.values(), state, role)
