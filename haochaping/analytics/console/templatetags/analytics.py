"""The analytics pages' figures: a measure as printed, its change (percentage points for rates),
the arrow colour (better / worse), shares, and links that narrow the current filters."""

from __future__ import annotations

from django import template

from haochaping.analytics.kpis import Counts, Kpi, change, kpi_get

register = template.Library()


@register.simple_tag
def measure(kpi: Kpi, value) -> str:
    return kpi.show(value)


_GIVEN = object()


@register.simple_tag
def delta(kpi: Kpi, value, before=_GIVEN) -> str:
    """``delta kpi change`` (a change already computed) or ``delta kpi current before``."""
    if before is not _GIVEN:
        value = change(value, before)
    if value is None:
        return "—"
    arrow = "↑" if value > 0 else "↓" if value < 0 else "→"
    if kpi.kind == "rate":
        return f"{arrow}{abs(value) * 100:.2f}个百分点"
    if kpi.kind == "score":
        return f"{arrow}{abs(value):.2f}分"
    return f"{arrow}{abs(value):,.0f}"


@register.simple_tag
def trend(kpi: Kpi, current, before) -> str:
    value = change(current, before)
    if value is None or abs(value) < 1e-9:
        return "same"
    return "better" if (value > 0) == kpi.higher_is_better else "worse"


@register.simple_tag
def share(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


@register.simple_tag
def day_score(counts: Counts) -> str:
    return measure(kpi_get("score"), kpi_get("score").value(counts))


@register.filter
def query_with(form, unit_code: str) -> str:
    """The current filters narrowed to one unit (its subtree)."""
    return form.query(unit=unit_code)


@register.filter
def query_channel(form, channel: int) -> str:
    return form.query(channel=channel)


@register.filter
def query_entity(form, row) -> str:
    """The overview narrowed to a ranked row (a unit's code, or a window, staff or item id)."""
    entity = form.values().get("entity") or "unit"
    if entity == "unit":
        return form.query(unit=row.code, entity=None, kpi=None)
    return form.query(**{entity: row.key, "entity": None, "kpi": None})


@register.filter
def query_system(form, system_id: int) -> str:
    return form.query(system=system_id)


@register.filter
def query_item(form, item_id: int) -> str:
    return form.query(item=item_id)


@register.filter
def system_status(row, now) -> str:
    return row.status(now)
