"""Ranked tables (排名) of units, windows, staff members and items for a period and subtree.

A rate over a handful of ratings says little: one bad rating of a window rated twice makes it
look worse than a window with 40 bad ratings out of 2,000. Two rules keep the ranking fair:

* **minimum sample**: an entity whose measure rests on fewer than ``ANALYTICS_RANK_MIN_SAMPLE``
  (the measure's denominator, e.g. valid ratings) is listed but not ranked (样本不足);
* **shrinkage toward the mean** (Bayesian average): the ranked value is
  ``(numerator + m × mean) ÷ (denominator + m)``, where ``mean`` is the pooled value of all
  entities in the table and ``m`` is ``ANALYTICS_RANK_PRIOR_WEIGHT``. A small sample stays near
  the mean; a large one keeps its own value. Both the raw and the adjusted value are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from haochaping.analytics.kpis import Counts, Kpi, Slice, counts_by, kpi_get, roll_up
from haochaping.analytics.periods import Period
from haochaping.evaluations.choices import Channel
from haochaping.organizations.models import BusinessSystem, Staff, Window
from haochaping.service_records.models import ServiceItem

ENTITIES = {"unit": "单位", "window": "窗口", "staff": "工作人员", "item": "事项"}
RANKABLE = ("score", "good_rate", "bad_rate", "rating_rate", "active_rate", "rectify_rate", "on_time_rate")


@dataclass
class RankRow:
    key: object  # unit, window, staff or item id
    name: str
    detail: str  # the unit of a window / staff member / item
    counts: Counts
    sample: int  # the measure's denominator
    value: float | None  # the raw measure
    adjusted: float | None = None
    rank: int | None = None  # None: not ranked (sample below the minimum)
    code: str = ""  # a unit's code (links narrow the pages to it)

    @property
    def eligible(self) -> bool:
        return self.rank is not None


@dataclass
class Ranking:
    entity: str
    kpi: Kpi
    period: Period
    rows: list[RankRow]
    mean: float | None
    min_sample: int
    prior_weight: int

    @property
    def ranked(self) -> list[RankRow]:
        return [row for row in self.rows if row.eligible]

    @property
    def unranked(self) -> list[RankRow]:
        return [row for row in self.rows if not row.eligible]

    @property
    def method(self) -> str:
        return (
            f"样本量（{self.kpi.name}的分母）不少于 {self.min_sample} 的参与排名；"
            f"排名值 =（分子 + {self.prior_weight} × 全体平均值）÷（分母 + {self.prior_weight}），"
            "样本越少越接近平均值，避免个别评价左右名次。"
        )


def _names(entity: str, ids: list) -> dict[object, tuple[str, str]]:
    ids = [i for i in ids if i is not None]
    if entity == "window":
        return {w.pk: (w.name, w.unit.name) for w in Window.objects.filter(pk__in=ids).select_related("unit")}
    if entity == "staff":
        return {
            s.pk: (f"{s.name}（{s.staff_no}）", s.unit.name)
            for s in Staff.objects.filter(pk__in=ids).select_related("unit")
        }
    if entity == "item":
        return {
            i.pk: (i.name, i.department.name)
            for i in ServiceItem.objects.filter(pk__in=ids).select_related("department")
        }
    if entity == "system":
        return {s.pk: (s.name, "") for s in BusinessSystem.objects.filter(pk__in=ids)}
    if entity == "channel":
        return {value: (label, "") for value, label in Channel.choices}
    raise ValueError(entity)


def ranking(
    slice_: Slice,
    period: Period,
    *,
    entity: str = "unit",
    kpi_code: str = "score",
    min_sample: int | None = None,
    prior_weight: int | None = None,
) -> Ranking:
    """The ranking of ``entity`` by ``kpi_code`` over the slice and period (best first)."""
    kpi = kpi_get(kpi_code)
    min_sample = settings.ANALYTICS_RANK_MIN_SAMPLE if min_sample is None else min_sample
    prior_weight = settings.ANALYTICS_RANK_PRIOR_WEIGHT if prior_weight is None else prior_weight
    grouped = counts_by(slice_, period, entity)
    rows: list[RankRow] = []
    if entity == "unit":
        for unit_row in roll_up(slice_.unit_path, grouped):
            name = unit_row.unit.name + ("（本级）" if unit_row.depth == 0 else "")
            rows.append(_row(kpi, unit_row.unit.pk, name, "", unit_row.counts))
            rows[-1].code = unit_row.unit.code
    else:
        names = _names(entity, list(grouped))
        for key, c in grouped.items():
            if key is None:
                continue  # ratings without a window / staff member are not anyone's
            name, detail = names.get(key, (str(key), ""))
            rows.append(_row(kpi, key, name, detail, c))
    denominator = kpi.denominator
    pooled_num = sum(kpi.numerator(r.counts) for r in rows)
    pooled_den = sum(denominator(r.counts) for r in rows) if denominator else 0
    mean = pooled_num / pooled_den if pooled_den else None
    for row in rows:
        if denominator is None or mean is None or row.sample < min_sample or row.sample == 0:
            continue
        row.adjusted = (kpi.numerator(row.counts) + prior_weight * mean) / (row.sample + prior_weight)
    eligible = sorted(
        (r for r in rows if r.adjusted is not None),
        key=lambda r: (-(r.adjusted or 0) if kpi.higher_is_better else (r.adjusted or 0), r.name),
    )
    last_value, last_rank = None, 0
    for position, row in enumerate(eligible, start=1):
        value = round(row.adjusted or 0, 9)
        if value != last_value:  # equal values share a rank (1, 2, 2, 4)
            last_value, last_rank = value, position
        row.rank = last_rank
    others = sorted((r for r in rows if r.rank is None), key=lambda r: (-r.sample, r.name))
    return Ranking(entity, kpi, period, eligible + others, mean, min_sample, prior_weight)


def _row(kpi: Kpi, key, name: str, detail: str, c: Counts) -> RankRow:
    sample = kpi.denominator(c) if kpi.denominator else 0
    return RankRow(key=key, name=name, detail=detail, counts=c, sample=sample, value=kpi.value(c))
