"""The 通报's 评价质量 (rating quality) section: the integrity flags of a unit's subtree whose
latest rating falls in the period, by kind and by outcome, with one Chinese sentence. For
analytics (``analytics.reports.snapshot``); no scope check (the caller's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count
from django.utils import timezone

from haochaping.insight.integrity_models import FlagState, IntegrityFlag, IntegrityKind
from haochaping.organizations.models import Unit


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def section(unit: Unit, first: dt.date, last: dt.date) -> dict[str, Any]:
    """Counts by kind and state (one grouped query) and the section's sentence."""
    rows = (
        IntegrityFlag.objects.filter(
            unit__path__startswith=unit.path,
            last_at__gte=_day_start(first),
            last_at__lt=_day_start(last + dt.timedelta(days=1)),
        )
        .order_by()
        .values("kind", "state")
        .annotate(n=Count("id"))
    )
    by_kind = {kind.value: 0 for kind in IntegrityKind}
    by_state = {state.value: 0 for state in FlagState}
    for row in rows:
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["n"]
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
    total = sum(by_state.values())
    if not total:
        text = "本期未发现评价质量异常线索。"
    else:
        kinds = "、".join(f"{kind.label}{by_kind[kind.value]}条" for kind in IntegrityKind if by_kind[kind.value])
        text = (
            f"本期发现评价质量异常线索{total}条（{kinds}），经核查转督查{by_state[FlagState.ESCALATED]}条、"
            f"排除{by_state[FlagState.DISMISSED]}条、待核查{by_state[FlagState.OPEN]}条；"
            "线索仅供核查，不改变评价结果。"
        )
    rows_out = [{"kind": kind.label, "count": by_kind[kind.value]} for kind in IntegrityKind if by_kind[kind.value]]
    return {
        "title": "评价质量",
        "total": total,
        "by_kind": by_kind,
        "by_state": by_state,
        "rows": rows_out,
        "text": text,
    }
