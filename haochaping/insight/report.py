"""The attribution section of the monthly 通报 (``analytics.reports.snapshot`` key
``"attribution"``): which dimensions, reasons and words the period's bad ratings point to, as
one Chinese sentence and the top rows. No scope check (the report's caller's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from haochaping.insight.attribution.selectors import Slice, dimension_shares, reason_ranking
from haochaping.insight.attribution.terms import term_ranking
from haochaping.organizations.models import Unit

TOP_DIMENSIONS = 3
TOP_REASONS = 3
TOP_TERMS = 5


def _summary(shares: dict[str, Any], dims: list[dict], reasons: list[dict], terms: list[dict]) -> str:
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
    if terms:
        text += "；差评和诉求中的高频词有" + "".join(f"“{t['term']}”" for t in terms)
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
    terms = (
        [{"term": t["term"], "count": t["count"]} for t in term_ranking(slice_, limit=TOP_TERMS)]
        if shares["bad"]
        else []
    )
    return {
        "bad": shares["bad"],
        "attributed": shares["attributed"],
        "sources": shares["sources"],
        "dimensions": dims,
        "reasons": reasons,
        "terms": terms,
        "summary": _summary(shares, dims, reasons, terms),
    }
