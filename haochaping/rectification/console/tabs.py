"""The work queue's tabs: per role, presets of states or the overdue/escalated marks."""

from __future__ import annotations

from dataclasses import dataclass

from haochaping.organizations.models import Role
from haochaping.rectification.models import DEADLINE_STATES, OPEN_STATES, CaseState
from haochaping.rectification.workflow import actionable_states


@dataclass(frozen=True)
class Tab:
    """A preset of the queue: which states, or the overdue/escalated marks."""

    key: str
    label: str
    states: tuple[str, ...] | None  # None: every state
    overdue: bool = False
    escalated: bool = False
    review: bool = False  # a supervisor's review queue: shows the request being reviewed
    note: str = ""

    def count(self, counts: dict[str, int]) -> int:
        if self.overdue:
            return counts["overdue"]
        if self.escalated:
            return counts["escalated"]
        return sum(counts[state] for state in self.state_values)

    @property
    def state_values(self) -> list[str]:
        """The states this tab shows (every state when it has no preset)."""
        return list(self.states) if self.states is not None else [s.value for s in CaseState]


REVIEW = "review"  # not a tab: the 审核 link, resolved to one of the two review tabs


def tabs_for(role: str) -> list[Tab]:
    """The queue's tabs for a role; the first is the default."""
    tabs = []
    todo = actionable_states(role)
    if todo and set(todo) != {s.value for s in OPEN_STATES}:
        if role == Role.OPERATOR:
            tabs.append(Tab("todo", "待回访", todo, note="已整改并反馈评价人、等待回访的工单"))
        elif role == Role.WINDOW_CLERK:
            note = "针对您的服务、等待核实或无效申请审核的差评：可提交情况说明，供核实时参考"
            tabs.append(Tab("todo", "待说明情况", todo, note=note))
        else:
            tabs.append(Tab("todo", "待我处理", todo, note="待核实、整改中、已整改待反馈的工单"))
    tabs.append(Tab("open", "全部未办结", tuple(s.value for s in OPEN_STATES)))
    if role == Role.SUPERVISOR:
        tabs.append(Tab("invalid", "无效申请待审核", (CaseState.INVALID_REQUESTED.value,), review=True,
                        note="单位申请认定为恶意或误评的差评，同意后该评价不计入考核"))  # fmt: skip
        tabs.append(Tab("extension", "延期待审核", (CaseState.EXTENSION_REQUESTED.value,), review=True,
                        note="单位说明理由并申请新的整改期限，同意后期限顺延"))  # fmt: skip
    tabs.append(Tab("overdue", "已逾期", tuple(s.value for s in DEADLINE_STATES), overdue=True,
                    note="超过整改期限仍未整改的工单"))  # fmt: skip
    tabs.append(Tab("escalated", "督办中", tuple(s.value for s in OPEN_STATES), escalated=True,
                    note="逾期后已督办、尚未办结的工单"))  # fmt: skip
    tabs.append(Tab("all", "全部工单", None))
    return tabs


def pick_tab(tabs: list[Tab], wanted: str | None, counts: dict[str, int]) -> Tab:
    """The tab asked for, else the first; the 审核 link (``REVIEW``) opens whichever review
    queue has work, appeals first."""
    if wanted == REVIEW:
        only_extensions = counts[CaseState.EXTENSION_REQUESTED] and not counts[CaseState.INVALID_REQUESTED]
        wanted = "extension" if only_extensions else "invalid"
    return next((t for t in tabs if t.key == wanted), tabs[0])
