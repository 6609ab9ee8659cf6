"""Scoped reads of the analytics app's own rows: the 重点督办 marks."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from haochaping.analytics.models import SupervisionTarget, TargetState
from haochaping.analytics.periods import Period
from haochaping.analytics.supervision import KIND_LABELS, NOTICE_RULE, RULE_LABELS
from haochaping.organizations.selectors import Scope


def supervision_target_list(
    *, scope: Scope, month: dt.date | None = None, state: str | None = None, kind: str | None = None
) -> QuerySet[SupervisionTarget]:
    """Marks whose unit is in the scope (window clerks: none), newest month first."""
    qs = scope.filter(SupervisionTarget.objects.all(), unit_field="unit").select_related("unit", "lifted_by")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-month", "kind", "entity_name", "rule", "pk")


def supervision_targets_for(scope: Scope, period: Period) -> list[dict]:
    """The 重点督办对象 of a periodic 通报: marks in ``scope`` made for a month inside ``period``,
    then marks from earlier months still active at the period's end. One dict per mark::

        {
            "id": 12,
            "kind": "unit" | "window" | "staff", "kind_label": "单位" | "窗口" | "工作人员",
            "name": "区市场监督管理局",          # the entity's name when marked (staff: 姓名（工号）)
            "unit": "区市场监督管理局",          # the unit whose subtree sees the mark
            "rule": "bottom_score" | "bad_rate" | "overdue_cases" | "staff_notice",
            "rule_label": "满意度得分连续排名靠后", # …
            "for_notice": bool,                  # True: a staff member listed for 通报
            "month": date,                       # first day of the month marked for
            "new": bool,                         # marked for a month inside ``period``
            "evidence": "2026年10月 第 5 名/共 5 名（…）；…",  # the evidence as text
            "evidence_data": {...},              # the evidence JSON (months, values, ranks)
            "marked_at": datetime, "deadline": date, "overdue": bool,  # deadline passed, still active
            "state": "active" | "lifted", "state_label": "督办中" | "已解除",
            "lifted_at": datetime | None, "lift_reason": str,
        }

    Sorted: new marks first, then by kind (unit, window, staff), rule and name.
    """
    qs = scope.filter(SupervisionTarget.objects.all(), unit_field="unit").select_related("unit")
    qs = qs.filter(
        Q(month__gte=period.first, month__lte=period.last) | Q(month__lt=period.first, state=TargetState.ACTIVE)
    )
    today = timezone.localdate()
    order = {"unit": 0, "window": 1, "staff": 2}
    rows = []
    for t in qs:
        rows.append(
            {
                "id": t.pk,
                "kind": t.kind,
                "kind_label": KIND_LABELS.get(t.kind, t.kind),
                "name": t.entity_name,
                "unit": t.unit.name,
                "rule": t.rule,
                "rule_label": RULE_LABELS.get(t.rule, t.rule),
                "for_notice": t.rule == NOTICE_RULE,
                "month": t.month,
                "new": period.first <= t.month <= period.last,
                "evidence": t.evidence_text,
                "evidence_data": t.evidence,
                "marked_at": t.marked_at,
                "deadline": t.deadline,
                "overdue": t.state == TargetState.ACTIVE and t.deadline < today,
                "state": t.state,
                "state_label": t.get_state_display(),
                "lifted_at": t.lifted_at,
                "lift_reason": t.lift_reason,
            }
        )
    rows.sort(key=lambda r: (not r["new"], order.get(r["kind"], 9), r["rule"], r["name"]))
    return rows
