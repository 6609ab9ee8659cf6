"""Indicator sets (评价指标体系) as the centre maintains them: list the versions, import a
province's set as a new version from Excel or JSON (预检 with Chinese row errors, then 确认),
compare a version with the active one, activate a version.

A rating keeps the set it was given in: ``Evaluation.indicator_set`` is a protected foreign key
written once, and its reasons are read back through it (``selectors.reason_texts``).
Activating another version only moves the ``is_active`` flag; no stored rating changes. New
ratings use the new version at once in this process; other processes pick it up within the
30 s of ``services._ACTIVE_SET_TTL``.

Only the centre may do this (a supervisor of a root unit, or the command line). Pages:
``evaluations/console/indicator_sets.py``; command line: ``haochaping indicators``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.core.tables import MAX_UPLOAD_BYTES, read_table
from haochaping.evaluations.choices import Dimension
from haochaping.evaluations.models import Indicator, IndicatorSet
from haochaping.evaluations.services import _forget_active_set
from haochaping.organizations.selectors import Scope, is_centre

COLUMNS = ["编码", "指标", "评价维度", "适用渠道", "评价理由", "适用等级"]
REQUIRED_COLUMNS = ["编码", "指标", "评价理由", "适用等级"]
MODES = {
    "": "",
    "全部": "",
    "线上线下": "",
    "线上": "online",
    "online": "online",
    "线下": "offline",
    "offline": "offline",
}
MODE_LABELS = {"": "线上线下", "online": "线上", "offline": "线下"}
DIMENSIONS = {d.value: d.value for d in Dimension} | {d.label: d.value for d in Dimension} | {"": ""}
FIELD_LABELS = {"group": "指标", "dimension": "评价维度", "mode": "适用渠道", "text": "评价理由", "levels": "适用等级"}
_max = {f.name: getattr(f, "max_length", None) for f in Indicator._meta.get_fields()}
_set_max = {f.name: getattr(f, "max_length", None) for f in IndicatorSet._meta.get_fields()}


def require_centre(scope: Scope) -> None:
    if not is_centre(scope):
        raise PermissionDenied("只有区政务服务中心的督查人员可以管理评价指标体系", code="indicator_sets_forbidden")


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    group: str
    dimension: str
    mode: str
    text: str
    levels: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "group": self.group,
            "dimension": self.dimension,
            "mode": self.mode,
            "text": self.text,
            "levels": self.levels,
        }

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)

    @property
    def levels_label(self) -> str:
        return "、".join(str(level) for level in self.levels)


@dataclass(frozen=True)
class RowError:
    row: int | str
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if isinstance(self.row, int) else self.row
        return f"{where}「{self.column}」：{self.message}"


@dataclass
class SetPlan:
    """An uploaded set after 预检: its header, its indicators and what is wrong with it."""

    code: str = ""
    version: str = ""
    name: str = ""
    source: str = ""
    indicators: list[IndicatorSpec] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "version": self.version,
            "name": self.name,
            "source": self.source,
            "indicators": [i.as_dict() for i in self.indicators],
        }


# Reading ------------------------------------------------------------------------------------------


def _levels(value: Any) -> list[int] | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        parts = [str(int(value))]
    elif isinstance(value, list):
        parts = [str(v) for v in value]
    else:
        text = str(value or "")
        for sep in "、，,;；/ ":
            text = text.replace(sep, ",")
        parts = [p for p in text.split(",") if p]
    try:
        levels = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        return None
    if not levels or any(level < 1 or level > 5 for level in levels):
        return None
    return levels


def _check_row(
    number: int | str, values: dict[str, Any], seen: dict[str, int | str]
) -> tuple[IndicatorSpec | None, list]:
    errors: list[RowError] = []

    def text(key: str) -> str:
        value = values.get(key)
        return "" if value is None else str(value).strip()

    code = text("编码")
    if not code:
        errors.append(RowError(number, "编码", "不能为空"))
    elif len(code) > (_max["code"] or 20):
        errors.append(RowError(number, "编码", f"“{code}”太长（最多 {_max['code']} 个字符）"))
    elif code in seen:
        errors.append(RowError(number, "编码", f"“{code}”与第 {seen[code]} 行重复"))
    group = text("指标")
    if not group:
        errors.append(RowError(number, "指标", "不能为空"))
    elif len(group) > (_max["group"] or 40):
        errors.append(RowError(number, "指标", f"最多 {_max['group']} 个字"))
    dimension = text("评价维度")
    if dimension not in DIMENSIONS:
        names = "、".join(d.label for d in Dimension)
        errors.append(RowError(number, "评价维度", f"“{dimension}”无法识别，应为空或以下之一：{names}"))
    mode = text("适用渠道")
    if mode not in MODES:
        errors.append(RowError(number, "适用渠道", f"“{mode}”无法识别，应为“线上”“线下”或空（线上线下均适用）"))
    reason = text("评价理由")
    if not reason:
        errors.append(RowError(number, "评价理由", "不能为空"))
    elif len(reason) > (_max["text"] or 200):
        errors.append(RowError(number, "评价理由", f"最多 {_max['text']} 个字"))
    levels = _levels(values.get("适用等级"))
    if levels is None:
        errors.append(
            RowError(number, "适用等级", f"“{text('适用等级')}”无效，应为 1–5 的等级，多个用顿号分隔，如“2、1”")
        )
    if errors:
        return None, errors
    seen[code] = number
    assert levels is not None
    return IndicatorSpec(code, group, DIMENSIONS[dimension], MODES[mode], reason, levels), []


def _json_rows(content: bytes) -> tuple[dict[str, Any], list[tuple[int | str, dict[str, Any]]]]:
    try:
        spec = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"JSON 文件格式有误：{exc}", code="bad_file") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("indicators"), list):
        raise ValidationFailed("JSON 文件应为一个对象，含 code、version、name 和 indicators 列表", code="bad_file")
    rows: list[tuple[int | str, dict[str, Any]]] = []
    for index, item in enumerate(spec["indicators"], start=1):
        item = item if isinstance(item, dict) else {}
        rows.append(
            (
                f"第 {index} 条指标",
                {
                    "编码": item.get("code"),
                    "指标": item.get("group"),
                    "评价维度": item.get("dimension", ""),
                    "适用渠道": item.get("mode", ""),
                    "评价理由": item.get("text"),
                    "适用等级": item.get("levels"),
                },
            )
        )
    head = {key: str(spec.get(key) or "").strip() for key in ("code", "version", "name", "source")}
    return head, rows


def indicator_set_check(
    *,
    scope: Scope,
    content: bytes,
    filename: str,
    code: str = "",
    version: str = "",
    name: str = "",
    source: str = "",
) -> SetPlan:
    """预检 of an uploaded set: a JSON file in the shipped format (``data/indicators_default.json``)
    or an Excel/CSV table with the columns ``COLUMNS``. The form's code, version, name and source
    win over the JSON's. Nothing is written; every problem is collected in Chinese."""
    require_centre(scope)
    if filename.lower().endswith(".json"):
        if len(content) > MAX_UPLOAD_BYTES:
            raise ValidationFailed("文件太大（最大 5 MB）", code="bad_file")
        head, rows = _json_rows(content)
    else:
        _, table = read_table(content, filename, required=REQUIRED_COLUMNS)
        head, rows = {}, [(row.number, row.values) for row in table]
    plan = SetPlan(
        code=code.strip() or head.get("code", ""),
        version=version.strip() or head.get("version", ""),
        name=name.strip() or head.get("name", ""),
        source=source.strip() or head.get("source", ""),
    )
    for key, label in (("code", "体系编码"), ("version", "版本"), ("name", "名称")):
        value = getattr(plan, key)
        if not value:
            plan.errors.append(RowError("体系信息", label, "不能为空（在表单中填写，JSON 文件可在文件中给出）"))
        elif len(value) > (_set_max[key] or 20):
            plan.errors.append(RowError("体系信息", label, f"最多 {_set_max[key]} 个字符"))
    if len(plan.source) > (_set_max["source"] or 200):
        plan.errors.append(RowError("体系信息", "来源", f"最多 {_set_max['source']} 个字"))
    if plan.code and plan.version and IndicatorSet.objects.filter(code=plan.code, version=plan.version).exists():
        plan.errors.append(RowError("体系信息", "版本", f"“{plan.code}”的版本“{plan.version}”已存在，请使用新的版本号"))
    seen: dict[str, int | str] = {}
    for number, values in rows:
        spec, errors = _check_row(number, values, seen)
        if spec is not None:
            plan.indicators.append(spec)
        plan.errors.extend(errors)
    if not rows:
        plan.errors.append(RowError("文件", "评价理由", "没有任何指标"))
    elif not plan.errors:
        covered = {level for spec in plan.indicators for level in spec.levels}
        if not {1, 2} & covered:
            plan.errors.append(
                RowError("文件", "适用等级", "没有适用于“不满意”“非常不满意”（2、1）的理由，差评无法选择理由")
            )
    return plan


# Compare ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    code: str
    old: IndicatorSpec
    new: IndicatorSpec

    @property
    def fields(self) -> list[tuple[str, str, str]]:
        """(label, before, after) for every field that differs."""
        out = []
        for name, label in FIELD_LABELS.items():
            before, after = getattr(self.old, name), getattr(self.new, name)
            if before != after:
                if name == "levels":
                    before, after = self.old.levels_label, self.new.levels_label
                elif name == "mode":
                    before, after = self.old.mode_label, self.new.mode_label
                out.append((label, str(before) or "—", str(after) or "—"))
        return out


@dataclass(frozen=True)
class Comparison:
    base: IndicatorSet | None
    added: list[IndicatorSpec]
    removed: list[IndicatorSpec]
    changed: list[Change]
    unchanged: int

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _specs_of(indicator_set: IndicatorSet) -> list[IndicatorSpec]:
    rows = Indicator.objects.filter(indicator_set=indicator_set).order_by("code")
    return [IndicatorSpec(i.code, i.group, i.dimension, i.mode, i.text, list(i.levels)) for i in rows]


def indicator_set_active() -> IndicatorSet | None:
    return IndicatorSet.objects.filter(is_active=True).order_by("-loaded_at").first()


def compare_specs(base: IndicatorSet | None, new: list[IndicatorSpec]) -> Comparison:
    """What ``new`` adds, removes and changes relative to ``base`` (by indicator code)."""
    old = {spec.code: spec for spec in (_specs_of(base) if base is not None else [])}
    new_by_code = {spec.code: spec for spec in new}
    added = [spec for code, spec in new_by_code.items() if code not in old]
    removed = [spec for code, spec in old.items() if code not in new_by_code]
    changed = [
        Change(code, old[code], spec)
        for code, spec in new_by_code.items()
        if code in old
        and old[code].as_dict() | {"levels": sorted(old[code].levels)}
        != spec.as_dict() | {"levels": sorted(spec.levels)}
    ]
    unchanged = len(new_by_code) - len(added) - len(changed)
    return Comparison(
        base, sorted(added, key=lambda s: s.code), removed, sorted(changed, key=lambda c: c.code), unchanged
    )


def indicator_set_compare(*, scope: Scope, set_id: int) -> Comparison:
    """A stored version against the active one."""
    indicator_set = indicator_set_get(scope=scope, set_id=set_id)
    return compare_specs(indicator_set_active(), _specs_of(indicator_set))


# Reads and writes -----------------------------------------------------------------------------


def indicator_set_list(*, scope: Scope) -> list[IndicatorSet]:
    """Every version, newest first, each with ``indicator_count``."""
    require_centre(scope)
    return list(IndicatorSet.objects.annotate(indicator_count=Count("indicators")).order_by("-loaded_at", "-pk"))


def indicator_set_get(*, scope: Scope, set_id: int) -> IndicatorSet:
    require_centre(scope)
    indicator_set = IndicatorSet.objects.filter(pk=set_id).first()
    if indicator_set is None:
        raise NotFound("评价指标体系不存在", code="indicator_set_not_found")
    return indicator_set


def indicator_set_specs(*, scope: Scope, set_id: int) -> list[IndicatorSpec]:
    return _specs_of(indicator_set_get(scope=scope, set_id=set_id))


def _activate(actor: Actor, indicator_set: IndicatorSet) -> IndicatorSet | None:
    # Lock every version (a handful of rows): two concurrent activations run one after the
    # other, so exactly one version ends up active.
    list(IndicatorSet.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    previous = indicator_set_active()
    IndicatorSet.objects.filter(is_active=True).exclude(pk=indicator_set.pk).update(is_active=False)
    IndicatorSet.objects.filter(pk=indicator_set.pk).update(is_active=True)
    indicator_set.is_active = True
    transaction.on_commit(_forget_active_set)
    _forget_active_set()
    audit_record(
        actor=actor,
        action="evaluations:indicator_set:activated",
        target=indicator_set,
        data={
            "code": indicator_set.code,
            "version": indicator_set.version,
            "previous": {"id": previous.pk, "code": previous.code, "version": previous.version} if previous else None,
        },
    )
    return previous


@transaction.atomic
def indicator_set_create(*, actor: Actor, scope: Scope, plan: SetPlan, activate: bool = False) -> IndicatorSet:
    """Store a checked set as a new version (refused if the plan has errors or the version exists
    by now); audited, and activated too if asked."""
    require_centre(scope)
    if plan.errors:
        raise ValidationFailed("指标体系有错误，未导入：" + "；".join(str(e) for e in plan.errors[:5]))
    if IndicatorSet.objects.filter(code=plan.code, version=plan.version).exists():
        raise Conflict(f"“{plan.code}”的版本“{plan.version}”已存在，未重复导入", code="indicator_set_exists")
    try:
        with transaction.atomic():
            indicator_set = IndicatorSet.objects.create(
                code=plan.code, version=plan.version, name=plan.name, source=plan.source
            )
    except IntegrityError as exc:  # imported by someone else since the check above
        raise Conflict(f"“{plan.code}”的版本“{plan.version}”已存在，未重复导入", code="indicator_set_exists") from exc
    Indicator.objects.bulk_create(Indicator(indicator_set=indicator_set, **spec.as_dict()) for spec in plan.indicators)
    audit_record(
        actor=actor,
        action="evaluations:indicator_set:imported",
        target=indicator_set,
        data={
            "code": plan.code,
            "version": plan.version,
            "name": plan.name,
            "indicators": len(plan.indicators),
            "created": True,
            "active": False,
        },
    )
    if activate:
        _activate(actor, indicator_set)
    return indicator_set


@transaction.atomic
def indicator_set_activate(*, actor: Actor, scope: Scope, set_id: int) -> IndicatorSet:
    """Make a version the one new ratings use. Stored ratings keep the version they cite."""
    indicator_set = indicator_set_get(scope=scope, set_id=set_id)
    if indicator_set.is_active:
        raise Conflict(f"“{indicator_set.name} {indicator_set.version}”已是当前使用的版本", code="already_active")
    _activate(actor, indicator_set)
    return indicator_set


def plan_from_payload(payload: dict[str, Any]) -> SetPlan:
    """The plan of a signed 预检 (the confirm step), rebuilt; checked again by the caller."""
    return SetPlan(
        code=str(payload["code"]),
        version=str(payload["version"]),
        name=str(payload["name"]),
        source=str(payload.get("source", "")),
        indicators=[IndicatorSpec(**item) for item in payload["indicators"]],
    )
