"""The attribution section of the monthly 通报 (``analytics.reports.snapshot`` key
``"attribution"``): which dimensions and reasons the period's bad ratings point to, as one Chinese
sentence and the top rows. It reads only ``BadRatingCause`` (grouped) and the indicators' texts,
never the ratings or demands themselves (the report's cost must not grow with the month's
ratings), so the term ranking, which reads texts, stays on the attribution page. No scope check
(the report's caller's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haochaping.insight.attribution.selectors import Slice, dimension_shares, reason_ranking
from haochaping.organizations.models import Unit

TOP_DIMENSIONS = 3
TOP_REASONS = 3


def _summary(shares: dict[str, Any], dims: list[dict], reasons: list[dict]) -> str:
    if not shares["bad"]:
        return "本期无差评，无差评原因分析。"
    s = shares["sources"]
    text = (
        f"本期{shares['bad']}条差评中{shares['attributed']}条可归因到评价维度（评价人自选{s['citizen']}条、"
        f"文字自动归因{s['auto']}条、人工更正{s['corrected']}条）"
    )
    if not dims:
        return text + "。"
    named = "、".join(f"{d['label']}（{d['count']}条，占{d['share']}%）" for d in dims)
    text += f"，差评主要集中在{named}"
    if reasons:
        text += "；反映较多的问题是" + "、".join(f"“{r['text'] or r['code']}”（{r['count']}条）" for r in reasons)
    return text + "。"


def attribution_section(unit: Unit, first: dt.date, last: dt.date) -> dict[str, Any]:
    """The section's figures and sentence for ``unit``'s subtree over ``first``..``last``."""
    slice_ = Slice(unit=unit, first=first, last=last)
    shares = dimension_shares(slice_)
    dims = [
        {"dimension": r["dimension"], "label": r["label"], "count": r["count"], "share": r["share"]}
        for r in shares["rows"]
        if r["count"]
    ][:TOP_DIMENSIONS]
    reasons = [
        {"code": r["code"], "text": r["text"], "count": r["count"], "share": r["share"]}
        for r in reason_ranking(slice_, limit=TOP_REASONS)
    ]
    return {
        "bad": shares["bad"],
        "attributed": shares["attributed"],
        "sources": shares["sources"],
        "dimensions": dims,
        "reasons": reasons,
        "summary": _summary(shares, dims, reasons),
    }
