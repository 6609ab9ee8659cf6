"""大屏: everything the hall display shows for a unit subtree, as one JSON-ready dict.

Freshness: ratings of *today* are read from the raw ``Evaluation`` table (``analytics.live.today_counts``:
one grouped query on the ``evaluated_at`` index, today only), every earlier day from the rollups, which the minute job
keeps up to date. So today's and this month's rating counts, the level mix, the 30-day trend and
the street/community panel move as soon as a rating is stored, without the screen writing
anything (no ``rollup_refresh`` from a GET, however many screens poll). Case measures (差评整改率,
按期整改率) come from the rollups (at most a minute behind); 逾期未整改 and the overdue list are
read live from the cases.

Identity never leaves this module: the feed carries the time, unit, window, item, level and
channel of a rating, never the applicant, the staff member, the project number or the text.
The number of queries does not depend on the number of rows (pinned by a test).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from haochaping.analytics.kpis import SUMS, Counts, Slice, kpi_get
from haochaping.analytics.live import today_counts
from haochaping.analytics.models import CaseUnitDay, RatingUnitDay
from haochaping.analytics.periods import Period
from haochaping.analytics.ranking import ranking
from haochaping.core.pages.charts import BAD, BLUE, GREEN, LINE, MUTED, ORANGE, TEXT, bar_chart, line_chart, pie_chart
from haochaping.evaluations.choices import Channel, Level
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Unit, UnitKind
from haochaping.rectification.models import DEADLINE_STATES, CaseState, RectificationCase

FEED_SIZE = 20  # the live feed's rows (the page keeps this many <li> and reuses them)
OVERDUE_SIZE = 10
RANKING_SIZE = 10
STREET_SIZE = 14  # rows of the street/community panel
TREND_DAYS = 30
STREET_KINDS = (UnitKind.STREET_CENTER, UnitKind.COMMUNITY_POINT)

# The tiles, in reading order: (key, label).
TILES = (
    ("today_ratings", "今日评价"),
    ("month_ratings", "本月评价"),
    ("good_rate", "本月好评率"),
    ("bad_rate", "本月差评率"),
    ("score", "满意度得分"),
    ("rectify_rate", "差评整改率"),
    ("on_time_rate", "按期整改率"),
    ("overdue_open", "逾期未整改"),
)

# Dark theme: the console chart colours (core.pages.charts) swapped for light-on-dark ones.
DARK = {TEXT: "#e6eefc", MUTED: "#8fa6c8", LINE: "#23395d"}
LEVEL_COLORS = {5: GREEN, 4: "#3fb27f", 3: BLUE, 2: ORANGE, 1: BAD}


def _dark(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dark(v) for v in value]
    if isinstance(value, str):
        return DARK.get(value, value)
    return value


def _rollup_counts(unit_path: str, first: dt.date, last: dt.date, by: str) -> dict[Any, Counts]:
    """Rated days ``first``…``last`` from the unit totals (``RatingUnitDay``: one row per unit
    and day, the valid ratings per level and the invalid ones), per ``by`` (``unit_id`` or ``day``)."""
    result: dict[Any, Counts] = defaultdict(Counts)
    if last < first:
        return result
    sums = {"ratings_": Sum("ratings"), "invalid_": Sum("invalid")}
    sums.update({f"level_{n}_": Sum(f"level_{n}") for n in Level.values})
    rows = (
        Slice(unit_path=unit_path)
        .apply(RatingUnitDay.objects.filter(day__gte=first, day__lte=last), channel=False, dims=False)
        .values(by)
        .annotate(**sums)
        .order_by()
    )
    for row in rows:
        target = result[row[by]]
        target.ratings += row["ratings_"] or 0
        target.invalid += row["invalid_"] or 0
        for level in Level.values:
            setattr(target, f"level_{level}", target.level(level) + (row[f"level_{level}_"] or 0))
    return result


def _total(by_unit: dict[int, Counts]) -> Counts:
    total = Counts()
    for c in by_unit.values():
        total.add(c)
    return total


def _subtree(units: list[Unit], by_unit: dict[int, Counts], unit: Unit) -> Counts:
    total = Counts()
    for u in units:
        if u.path.startswith(unit.path) and u.pk in by_unit:
            total.add(by_unit[u.pk])
    return total


def screen_data(unit_path: str, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The screen's figures for the subtree ``unit_path`` (the caller's scope)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = Period.of("month", today)
    yesterday = today - dt.timedelta(days=1)
    fields = ("id", "code", "name", "kind", "path", "is_active")
    units = list(Unit.objects.filter(path__startswith=unit_path).only(*fields).order_by("path"))
    root = next((u for u in units if u.path == unit_path), None)

    today_by_unit = today_counts(Slice(unit_path=unit_path), today, by_unit=True, services=False)
    month_by_unit = _rollup_counts(unit_path, month.first, yesterday, "unit_id")
    for unit_id, c in today_by_unit.items():
        month_by_unit[unit_id].add(c)
    today_total, month_total = _total(today_by_unit), _total(month_by_unit)
    cases = Slice(unit_path=unit_path).apply(
        CaseUnitDay.objects.filter(day__gte=month.first, day__lte=month.last), channel=False, dims=False
    )
    case_sums = cases.aggregate(**{k: Sum(v) for k, v in SUMS["case"].items()})
    for name, value in case_sums.items():
        setattr(month_total, name, value or 0)

    overdue = RectificationCase.objects.filter(
        unit__path__startswith=unit_path, state__in=DEADLINE_STATES, rectified_at__isnull=True, due_at__lt=now
    )
    overdue_count = overdue.count()
    score = kpi_get("score").value(month_total)
    tiles = {
        "today_ratings": f"{today_total.ratings:,}",
        "month_ratings": f"{month_total.ratings:,}",
        "good_rate": kpi_get("good_rate").shown(month_total),
        "bad_rate": kpi_get("bad_rate").shown(month_total),
        "score": "—" if score is None else f"{score:.2f}",
        "rectify_rate": kpi_get("rectify_rate").shown(month_total),
        "on_time_rate": kpi_get("on_time_rate").shown(month_total),
        "overdue_open": f"{overdue_count:,}",
    }
    return {
        "title": f"{root.name if root else ''} 政务服务“好差评”实时监测",
        "generated_at": timezone.localtime(now).strftime("%H:%M:%S"),
        "today": f"{today:%Y-%m-%d}",
        "tiles": tiles,
        "charts": {
            "levels": _levels_chart(month_total),
            "trend": _trend_chart(unit_path, today, today_total),
            "ranking": _ranking_chart(unit_path, month),
        },
        "streets": _streets(units, today_by_unit, month_by_unit),
        "overdue": {"total": overdue_count, "rows": _overdue_rows(overdue, now)},
        "feed": _feed(unit_path),
    }


def _levels_chart(month: Counts) -> dict[str, Any]:
    levels = sorted(Level.values, reverse=True)
    option = pie_chart([(Level(level).label, month.level(level)) for level in levels], name="本月评价等级",
                       colors=[LEVEL_COLORS[level] for level in levels])  # fmt: skip
    option["series"][0]["label"]["formatter"] = "{b}\n{c}（{d}%）"
    for item in option["series"][0]["data"]:  # no label for an empty level (it would pile up at the top)
        item["label"] = {"show": bool(item["value"])}
        item["labelLine"] = {"show": bool(item["value"])}
    return _dark(option)


def _trend_chart(unit_path: str, today: dt.date, today_total: Counts) -> dict[str, Any]:
    first = today - dt.timedelta(days=TREND_DAYS - 1)
    days = [first + dt.timedelta(days=n) for n in range(TREND_DAYS)]
    by_day = _rollup_counts(unit_path, first, today - dt.timedelta(days=1), "day")
    by_day[today] = today_total
    option = line_chart([f"{d:%m-%d}" for d in days],
                        {"评价数": [by_day[d].ratings for d in days], "差评数": [by_day[d].bad for d in days]},
                        colors=[BLUE, BAD], area=True)  # fmt: skip
    return _dark(option)


def _ranking_chart(unit_path: str, month: Period) -> dict[str, Any]:
    result = ranking(Slice(unit_path=unit_path), month, entity="unit", kpi_code="score")
    rows = result.ranked[:RANKING_SIZE]
    option = bar_chart([row.name for row in rows],
                       {"满意度得分": [None if row.value is None else round(row.value, 1) for row in rows]},
                       horizontal=True, colors=[GREEN])  # fmt: skip
    option["xAxis"].update(min=0, max=100)
    option["series"][0]["label"] = {"show": True, "position": "right", "color": TEXT}
    option["title"] = {
        "show": not rows,
        "text": f"本月暂无单位达到排名样本量（有效评价不少于 {result.min_sample} 条）",
        "left": "center",
        "top": "middle",
        "textStyle": {"color": MUTED, "fontSize": 16, "fontWeight": "normal"},
    }
    return _dark(option)


def _streets(units: list[Unit], today: dict[int, Counts], month: dict[int, Counts]) -> dict[str, Any]:
    places = [u for u in units if u.kind in STREET_KINDS and u.is_active]
    good = kpi_get("good_rate")
    rows = []
    for unit in places[:STREET_SIZE]:
        day, mon = _subtree(units, today, unit), _subtree(units, month, unit)
        rows.append({
            "code": unit.code,
            "name": unit.name,
            "community": unit.kind == UnitKind.COMMUNITY_POINT,
            "today": f"{day.ratings:,}",
            "month": f"{mon.ratings:,}",
            "good_rate": good.shown(mon),
        })  # fmt: skip
    return {"rows": rows, "more": max(len(places) - STREET_SIZE, 0)}


def _overdue_rows(overdue, now: dt.datetime) -> list[dict[str, Any]]:
    rows = []
    oldest = overdue.select_related("unit").only("number", "state", "due_at", "unit__name").order_by("due_at", "id")
    for case in oldest[:OVERDUE_SIZE]:
        days = (now - case.due_at).days
        rows.append({
            "number": case.number,
            "unit": case.unit.name,
            "state": CaseState(case.state).label,
            "days": f"逾期 {days} 天" if days >= 1 else "逾期不足 1 天",
        })  # fmt: skip
    return rows


def _feed(unit_path: str) -> list[dict[str, Any]]:
    """The latest ratings (not the system's default ones), anonymous: no applicant, staff member,
    project number or text, only where, what, how and when."""
    ratings = (
        Evaluation.objects.filter(record__unit__path__startswith=unit_path, is_default=False)
        .select_related("record__unit", "record__window", "record__item")
        .only(
            "id", "level", "channel", "evaluated_at", "record__unit__name", "record__window__name", "record__item__name"
        )
        .order_by("-evaluated_at", "-id")[:FEED_SIZE]
    )
    rows = []
    for rating in ratings:
        record = rating.record
        rows.append({
            "id": rating.pk,
            "time": timezone.localtime(rating.evaluated_at).strftime("%m-%d %H:%M"),
            "unit": record.unit.name,
            "window": record.window.name if record.window is not None else "",
            "item": record.item.name,
            "level": Level(rating.level).label,
            "level_code": rating.level,
            "bad": rating.level <= 2,
            "channel": Channel(rating.channel).label,
        })  # fmt: skip
    return rows
