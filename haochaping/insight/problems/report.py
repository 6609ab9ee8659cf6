"""The 通报's common-problem section (制度第十一条): what was detected, opened and closed in the
period in a unit's subtree, and the 双归零 state of the problems open at any time in it.
``section`` is called by ``analytics.reports.snapshot.build_snapshot`` (key ``common_problems``);
its ``text`` also ends the supervision section's summary, so the page, the Word document and the
Excel appendix carry it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from haochaping.insight.problems.selectors import double_zero, problem_counts
from haochaping.organizations.models import Unit


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def section(unit: Unit, first: dt.date, last: dt.date) -> dict[str, Any]:
    counts = problem_counts(unit.path, first, last, start=_start(first), end=_start(last + dt.timedelta(days=1)))
    rows = []
    zero = 0
    for problem in counts["problems"]:
        status = double_zero(problem)
        zero += status.achieved
        rows.append({
            "number": problem.number,
            "title": problem.title,
            "unit": problem.unit.name,
            "state": problem.get_state_display(),
            "cases": f"{status.closed}/{status.linked}",
            "double_zero": status.label,
        })  # fmt: skip
    if not counts["detected"] and not rows:
        text = "本期未发现共性问题。"
    else:
        text = (
            f"本期检测发现共性问题线索{counts['detected']}条，新立共性问题{counts['opened']}个、办结{counts['closed']}个，"
            f"涉及共性问题{len(rows)}个，其中实现“双归零”（关联差评工单全部办结、共性问题办结）{zero}个。"
        )
    return {
        "detected": counts["detected"],
        "opened": counts["opened"],
        "closed": counts["closed"],
        "double_zero": zero,
        "rows": rows,
        "text": text,
    }
