"""重点督办 (制度第十二条, SPEC R22): the rules that find lagging units, windows and staff members
for a month, each finding with its evidence (the months, values and ranks behind it).

The rules (``ANALYTICS_SUPERVISION_RULES``, merged over ``DEFAULT_RULES``):

* ``bottom_score``: among the ranked entities (``analytics.ranking``: minimum sample and
  shrinkage apply) in the bottom ``bottom`` by 满意度得分 for ``months`` consecutive months
  (the month evaluated and the ones before it);
* ``bad_rate``: 差评率 above ``above_percent`` % in each of ``months`` consecutive months, on a
  sample large enough to be ranked;
* ``overdue_cases``: more than ``above`` bad-rating cases opened by the month's end still
  overdue and not rectified (the rollups' ``overdue_open``, as of their last refresh: evaluated on
  the 1st of the next month by the job, that is the month-end state);
* ``staff_notice``: staff members in the bottom ``bottom`` by 满意度得分 for ``months``
  consecutive months are listed for 通报 (staff ranked low for a long time).

With fewer ranked entities than ``bottom`` + 1 nobody is "bottom" that month. Units are the
children of each top unit (each with its subtree); the top unit itself is never marked.
``findings`` only reads; ``analytics.services.supervision_evaluate`` writes the marks.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Sum

from haochaping.analytics.kpis import Counts, Slice, kpi_get, roll_up
from haochaping.analytics.models import CaseDay, RollupRun, TargetKind
from haochaping.analytics.periods import Period
from haochaping.analytics.ranking import Ranking, ranking
from haochaping.organizations.models import Staff, Unit, Window

DEFAULT_RULES: dict[str, dict] = {
    "bottom_score": {"enabled": True, "kinds": ["unit", "window", "staff"], "bottom": 3, "months": 2},
    "bad_rate": {"enabled": True, "kinds": ["unit", "window", "staff"], "above_percent": 5, "months": 2},
    "overdue_cases": {"enabled": True, "kinds": ["unit"], "above": 3},
    "staff_notice": {"enabled": True, "kinds": ["staff"], "bottom": 3, "months": 3},
}
RULE_LABELS = {
    "bottom_score": "满意度得分连续排名靠后",
    "bad_rate": "差评率连续超标",
    "overdue_cases": "逾期未整改差评超限",
    "staff_notice": "长期排名靠后（列入通报）",
}
# Which kinds each rule can mark at all.
RULE_KINDS = {
    "bottom_score": {"unit", "window", "staff"},
    "bad_rate": {"unit", "window", "staff"},
    "overdue_cases": {"unit"},
    "staff_notice": {"staff"},
}
NOTICE_RULE = "staff_notice"
KIND_LABELS = dict(TargetKind.choices)


def rules() -> dict[str, dict]:
    """The rules in force: the settings merged over the defaults, rule by rule."""
    merged = copy.deepcopy(DEFAULT_RULES)
    for code, options in settings.ANALYTICS_SUPERVISION_RULES.items():
        merged.setdefault(code, {}).update(options)
    return merged


def rule_errors(configured: dict) -> list[str]:
    """What is wrong with ``ANALYTICS_SUPERVISION_RULES`` (empty when usable)."""
    errors = []
    for code, options in configured.items():
        if code not in DEFAULT_RULES:
            errors.append(f"unknown rule {code!r} (known: {', '.join(DEFAULT_RULES)})")
            continue
        if not isinstance(options, dict):
            errors.append(f"rule {code!r} must be a dict of options")
            continue
        for key, value in options.items():
            if key not in DEFAULT_RULES[code]:
                errors.append(f"rule {code!r} has no option {key!r}")
            elif key == "kinds":
                if not isinstance(value, list | tuple) or not set(value) <= RULE_KINDS[code]:
                    errors.append(f"rule {code!r}: kinds must be among {sorted(RULE_KINDS[code])}")
            elif key == "enabled":
                if not isinstance(value, bool):
                    errors.append(f"rule {code!r}: enabled must be True or False")
            elif not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "above" else 1):
                errors.append(f"rule {code!r}: {key} must be a positive integer, not {value!r}")
    return errors


def describe(code: str, options: dict) -> str:
    """A rule in one Chinese sentence, as the page shows it."""
    kinds = "、".join(KIND_LABELS[k] for k in options["kinds"])
    if code == "bottom_score":
        return (
            f"{kinds}：满意度得分连续 {options['months']} 个月排名后 {options['bottom']} 名（样本量足够、参与排名的）"
        )
    if code == "bad_rate":
        return f"{kinds}：差评率连续 {options['months']} 个月高于 {options['above_percent']}%（样本量足够、参与排名的）"
    if code == "overdue_cases":
        return f"{kinds}：月底逾期未整改的差评工单超过 {options['above']} 件"
    return f"{kinds}：满意度得分连续 {options['months']} 个月排名后 {options['bottom']} 名，列入通报"


@dataclass
class Finding:
    """An entity a rule found for the month, with the evidence (JSON) and its text."""

    kind: str
    entity_id: int
    name: str
    unit: Unit
    rule: str
    evidence: dict = field(default_factory=dict)


def _months(month: Period, count: int) -> list[Period]:
    """``count`` months ending with ``month``, oldest first."""
    months = [month]
    while len(months) < count:
        months.insert(0, months[0].previous())
    return months


def _label(month_first: str) -> str:
    return Period.of("month", dt.date.fromisoformat(month_first)).label


class _Rankings:
    """Rankings computed once per evaluation (a rule may need the same month twice)."""

    def __init__(self, root: Unit):
        self.root = root
        self.cache: dict[tuple, Ranking] = {}

    def get(self, kind: str, kpi: str, month: Period) -> Ranking:
        key = (kind, kpi, month.first)
        if key not in self.cache:
            self.cache[key] = ranking(Slice(self.root.path), month, entity=kind, kpi_code=kpi)
        return self.cache[key]


def _bottom(rankings: _Rankings, kind: str, months: list[Period], bottom: int) -> dict[object, list[dict]]:
    """Entities in the bottom ``bottom`` of the 满意度得分 ranking in every one of ``months``."""
    hits: dict[object, list[dict]] | None = None
    for month in months:
        table = rankings.get(kind, "score", month)
        ranked = [r for r in table.ranked if not (kind == "unit" and r.key == rankings.root.pk)]
        current: dict[object, list[dict]] = {}
        if len(ranked) > bottom:
            cut = ranked[-bottom].rank or 0
            for row in ranked:
                if (row.rank or 0) >= cut:
                    current[row.key] = [
                        {
                            "month": f"{month.first:%Y-%m-%d}",
                            "rank": row.rank,
                            "of": len(ranked),
                            "value": row.value,
                            "adjusted": row.adjusted,
                            "sample": row.sample,
                            "name": row.name,
                        }
                    ]
        hits = current if hits is None else {key: hits[key] + current[key] for key in hits if key in current}
    return hits or {}


def _bottom_text(entries: list[dict], options: dict, kind: str, *, notice: bool) -> str:
    parts = [
        f"{_label(e['month'])} 第 {e['rank']} 名/共 {e['of']} 名（得分 {kpi_get('score').show(e['value'])}，"
        f"排名值 {kpi_get('score').show(e['adjusted'])}，有效评价 {e['sample']} 条）"
        for e in entries
    ]
    tail = f"连续 {len(entries)} 个月位列{KIND_LABELS[kind]}满意度得分后 {options['bottom']} 名"
    return "；".join(parts) + "。" + tail + ("，列入通报。" if notice else "。")


def _bad_rate(rankings: _Rankings, kind: str, months: list[Period], above: float) -> dict[object, list[dict]]:
    hits: dict[object, list[dict]] | None = None
    for month in months:
        table = rankings.get(kind, "bad_rate", month)
        current = {
            row.key: [
                {
                    "month": f"{month.first:%Y-%m-%d}",
                    "value": row.value,
                    "sample": row.sample,
                    "rank": row.rank,
                    "of": len(table.ranked),
                    "name": row.name,
                }
            ]
            for row in table.ranked
            if row.value is not None and row.value > above and not (kind == "unit" and row.key == rankings.root.pk)
        }
        hits = current if hits is None else {key: hits[key] + current[key] for key in hits if key in current}
    return hits or {}


def _bad_rate_text(entries: list[dict], options: dict) -> str:
    parts = [
        f"{_label(e['month'])} 差评率 {kpi_get('bad_rate').show(e['value'])}（有效评价 {e['sample']} 条）"
        for e in entries
    ]
    return "；".join(parts) + f"。连续 {len(entries)} 个月高于 {options['above_percent']}%。"


def _overdue(root: Unit, month: Period, above: int) -> dict[object, dict]:
    by_unit = {
        row["unit_id"]: Counts(overdue_open=row["n"] or 0)
        for row in CaseDay.objects.filter(day__lte=month.last, unit__path__startswith=root.path)
        .values("unit_id")
        .annotate(n=Sum("overdue_open"))
        .order_by()
    }
    refreshed = RollupRun.objects.filter(finished_at__isnull=False).values_list("finished_at", flat=True).first()
    as_of = f"{refreshed:%Y-%m-%d %H:%M}" if refreshed else ""
    hits = {}
    for unit_row in roll_up(root.path, by_unit):
        n = unit_row.counts.overdue_open
        if unit_row.depth > 0 and n > above:
            hits[unit_row.unit.pk] = {
                "month": f"{month.first:%Y-%m-%d}",
                "overdue_open": n,
                "as_of": as_of,
                "unit": unit_row.unit,
            }
    return hits


def _overdue_text(entry: dict, options: dict) -> str:
    as_of = f"（截至 {entry['as_of']} 统计）" if entry.get("as_of") else ""
    return (
        f"{_label(entry['month'])}底前产生的差评工单中逾期未整改 {entry['overdue_open']} 件{as_of}，"
        f"超过 {options['above']} 件。"
    )


def _entities(kind: str, keys) -> dict[object, tuple[str, Unit]]:
    """Each entity's name and the unit whose subtree sees its mark."""
    keys = [k for k in keys if k is not None]
    if kind == "unit":
        return {u.pk: (u.name, u) for u in Unit.objects.filter(pk__in=keys)}
    if kind == "window":
        return {
            w.pk: (w.name, w.department or w.unit)
            for w in Window.objects.filter(pk__in=keys).select_related("unit", "department")
        }
    return {
        s.pk: (f"{s.name}（{s.staff_no}）", s.unit) for s in Staff.objects.filter(pk__in=keys).select_related("unit")
    }


def findings(month: Period) -> list[Finding]:
    """What the rules in force find for ``month`` (a month period), for every top unit."""
    found: list[Finding] = []
    config = rules()
    for root in Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path"):
        rankings = _Rankings(root)
        for code, options in config.items():
            if not options.get("enabled", True):
                continue
            for kind in options["kinds"]:
                found += _rule(code, options, kind, month, root, rankings)
    return found


def _rule(code: str, options: dict, kind: str, month: Period, root: Unit, rankings: _Rankings) -> list[Finding]:
    result: list[Finding] = []
    if code in ("bottom_score", "staff_notice"):
        months = _months(month, options["months"])
        for key, entries in _bottom(rankings, kind, months, options["bottom"]).items():
            text = _bottom_text(entries, options, kind, notice=code == "staff_notice")
            evidence = {"kpi": "score", "bottom": options["bottom"], "months": entries, "text": text}
            result.append(Finding(kind, int(key), "", root, code, evidence))
    elif code == "bad_rate":
        months = _months(month, options["months"])
        above = options["above_percent"] / 100
        for key, entries in _bad_rate(rankings, kind, months, above).items():
            evidence = {
                "kpi": "bad_rate",
                "above_percent": options["above_percent"],
                "months": entries,
                "text": _bad_rate_text(entries, options),
            }
            result.append(Finding(kind, int(key), "", root, code, evidence))
    elif code == "overdue_cases":
        for key, entry in _overdue(root, month, options["above"]).items():
            entry.pop("unit")
            evidence = {"above": options["above"], "months": [entry], "text": _overdue_text(entry, options)}
            result.append(Finding(kind, int(key), "", root, code, evidence))
    names = _entities(kind, [f.entity_id for f in result])
    for finding in result:
        finding.name, finding.unit = names.get(finding.entity_id, (str(finding.entity_id), root))
    return result
