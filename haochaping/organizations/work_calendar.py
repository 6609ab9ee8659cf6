"""The working-day calendar as the centre maintains it: list a year, enter or correct a day,
import a year's schedule from a table, and the warning before the calendar runs out.

``core.calendar`` computes with the calendar; ``core`` may not audit, so the audited writes to
its override table (``core.CalendarDay``) live here, with the other instance-wide reference
data the centre keeps. Only the centre may change it: a supervisor of a root unit (or the
command line). Pages: ``organizations/console/work_calendar.py``; command line:
``haochaping calendar show|import``. See ``docs/subsystems/calendar.md``.

Caches: there are none to clear. ``core.calendar.WorkCalendar`` reads the override table once
per year for the lifetime of one instance, and every caller creates one per call, request or
job run; a change made here is seen by the next deadline computed in any process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.calendar import calendar_coverage, package_knows, package_special_days
from haochaping.core.errors import NotFound, PermissionDenied, ValidationFailed
from haochaping.core.models import CalendarDay
from haochaping.core.tables import parse_date, read_table
from haochaping.organizations.selectors import Scope, is_centre

WEEKDAYS = "一二三四五六日"
# A year counts as entered (for the expiry warning) once it holds this many rest days: the
# State Council's yearly notice has about 28 (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆), a
# local correction one or two.
MIN_REST_DAYS = 10
WARN_DAYS = 30
NOTE_MAX = CalendarDay._meta.get_field("note").max_length or 100
COLUMNS = ["日期", "类型", "说明"]
KINDS = {"休息日": False, "休": False, "放假": False, "节假日": False, "工作日": True, "班": True, "上班": True}


def require_centre(scope: Scope) -> None:
    if not is_centre(scope):
        raise PermissionDenied("只有区政务服务中心的督查人员可以维护工作日历", code="calendar_forbidden")


def kind_label(is_workday: bool) -> str:
    return "工作日" if is_workday else "休息日"


@dataclass(frozen=True)
class CalendarEntry:
    """One special day of a year: a holiday or a make-up working day (or an entered correction)."""

    date: dt.date
    is_workday: bool
    note: str
    entered: bool  # an override row decides the day
    package: tuple[bool, str] | None  # what the chinesecalendar package says, if anything

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.date.weekday()]

    @property
    def kind(self) -> str:
        return kind_label(self.is_workday)

    @property
    def source(self) -> str:
        if not self.entered:
            return "软件包"
        if self.package is None:
            return "录入"
        return "录入（与软件包相同）" if self.package[0] == self.is_workday else "录入（覆盖软件包）"


@dataclass(frozen=True)
class CalendarYear:
    year: int
    coverage: str
    entries: list[CalendarEntry]

    @property
    def rest_days(self) -> int:
        return sum(not e.is_workday for e in self.entries)

    @property
    def make_up_days(self) -> int:
        return sum(e.is_workday for e in self.entries)

    @property
    def coverage_label(self) -> str:
        return {
            "package": "软件包已有该年节假日安排（录入的日期优先）",
            "override": "按录入的节假日安排计算，其余日期周一至周五为工作日",
            "weekday_fallback": "尚未录入该年节假日安排，工作日暂按周一至周五计算",
        }[self.coverage]


def calendar_year(*, scope: Scope, year: int) -> CalendarYear:
    """The year's holidays and make-up working days: the entered rows and what the package knows."""
    require_centre(scope)
    overrides = {row.date: row for row in CalendarDay.objects.filter(date__year=year)}
    package = package_special_days(year)
    entries = []
    for day in sorted(set(overrides) | set(package)):
        row = overrides.get(day)
        if row is not None:
            entries.append(CalendarEntry(day, row.is_workday, row.note, True, package.get(day)))
        else:
            is_workday, name = package[day]
            entries.append(CalendarEntry(day, is_workday, name, False, package[day]))
    return CalendarYear(year=year, coverage=calendar_coverage(year), entries=entries)


def calendar_day_get(*, scope: Scope, date: dt.date) -> CalendarDay:
    require_centre(scope)
    row = CalendarDay.objects.filter(date=date).first()
    if row is None:
        raise NotFound("该日期没有录入的调整", code="calendar_day_not_found")
    return row


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(fields={"note": [f"说明最多 {NOTE_MAX} 个字"]})
    return note


@transaction.atomic
def calendar_day_save(
    *, actor: Actor, scope: Scope, date: dt.date, is_workday: bool, note: str = ""
) -> tuple[CalendarDay, bool]:
    """Enter or change one day (休息日 or 工作日, with a note such as 春节, 调休上班); audited.
    Returns the row and whether it was created."""
    require_centre(scope)
    note = _clean_note(note)
    row = CalendarDay.objects.select_for_update().filter(date=date).first()
    if row is not None and row.is_workday == is_workday and row.note == note:
        return row, False
    before = {"is_workday": row.is_workday, "note": row.note} if row is not None else None
    created = row is None
    if row is None:
        row = CalendarDay.objects.create(date=date, is_workday=is_workday, note=note)
    else:
        row.is_workday, row.note = is_workday, note
        row.save(update_fields=["is_workday", "note"])
    audit_record(
        actor=actor,
        action=f"organizations:calendar_day:{'created' if created else 'updated'}",
        target=row,
        data={"date": date.isoformat(), "is_workday": is_workday, "note": note, "before": before},
    )
    return row, created


@transaction.atomic
def calendar_day_delete(*, actor: Actor, scope: Scope, date: dt.date) -> None:
    """Remove an entered day: it follows the package (or Monday–Friday) again; audited."""
    row = calendar_day_get(scope=scope, date=date)
    audit_record(
        actor=actor,
        action="organizations:calendar_day:deleted",
        target=row,
        data={"date": date.isoformat(), "is_workday": row.is_workday, "note": row.note},
    )
    row.delete()


# Import of a year's schedule ------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    number: int
    date: dt.date
    is_workday: bool
    note: str
    action: str = ""  # 新增 / 修改 / 不变 (against the table now)

    def payload(self) -> list[Any]:
        return [self.number, self.date.isoformat(), self.is_workday, self.note]

    @classmethod
    def from_payload(cls, item: list[Any]) -> ImportRow:
        return cls(int(item[0]), dt.date.fromisoformat(item[1]), bool(item[2]), str(item[3]))

    @property
    def kind(self) -> str:
        return kind_label(self.is_workday)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.column}」：{self.message}"


@dataclass
class ImportPlan:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(row.action == action for row in self.rows)

    @property
    def created(self) -> int:
        return self.count("新增")

    @property
    def updated(self) -> int:
        return self.count("修改")

    @property
    def unchanged(self) -> int:
        return self.count("不变")

    @property
    def years(self) -> list[int]:
        return sorted({row.date.year for row in self.rows})


def _with_actions(rows: list[ImportRow]) -> list[ImportRow]:
    existing = {
        d: (w, n)
        for d, w, n in CalendarDay.objects.filter(date__in=[r.date for r in rows]).values_list(
            "date", "is_workday", "note"
        )
    }
    out = []
    for row in rows:
        now = existing.get(row.date)
        action = "新增" if now is None else ("不变" if now == (row.is_workday, row.note) else "修改")
        out.append(ImportRow(row.number, row.date, row.is_workday, row.note, action))
    return out


def calendar_import_check(*, scope: Scope, content: bytes, filename: str) -> ImportPlan:
    """预检: parse the table (日期, 类型 休息日/工作日, 说明) and compare it with the entered days.
    Nothing is written. File-level problems (format, header) raise ``ValidationFailed``; row
    problems are collected with their row number and column."""
    require_centre(scope)
    _, table = read_table(content, filename, required=COLUMNS)
    plan = ImportPlan()
    seen: dict[dt.date, int] = {}
    rows = []
    for item in table:
        values = item.values
        errors = []
        raw_date = values.get("日期")
        day = parse_date(raw_date)
        if raw_date in (None, ""):
            errors.append(RowError(item.number, "日期", "不能为空"))
        elif day is None:
            errors.append(RowError(item.number, "日期", f"无法识别“{raw_date}”，请写成 2027-02-06 的形式"))
        elif day in seen:
            errors.append(RowError(item.number, "日期", f"{day.isoformat()} 与第 {seen[day]} 行重复"))
        raw_kind = str(values.get("类型") or "").strip()
        if not raw_kind:
            errors.append(RowError(item.number, "类型", "不能为空，请填写“休息日”或“工作日”"))
        elif raw_kind not in KINDS:
            errors.append(RowError(item.number, "类型", f"“{raw_kind}”无法识别，请填写“休息日”或“工作日”"))
        note = str(values.get("说明") or "").strip()
        if len(note) > NOTE_MAX:
            errors.append(RowError(item.number, "说明", f"最多 {NOTE_MAX} 个字"))
        if errors:
            plan.errors.extend(errors)
            continue
        assert day is not None
        seen[day] = item.number
        rows.append(ImportRow(item.number, day, KINDS[raw_kind], note))
    if not rows and not plan.errors:
        raise ValidationFailed("文件中没有数据行", code="bad_file")
    plan.rows = _with_actions(rows)
    return plan


@transaction.atomic
def calendar_import_apply(*, actor: Actor, scope: Scope, rows: list[ImportRow]) -> dict[str, int]:
    """Write a checked table: new days created, changed days updated, identical days left alone
    (importing the same table twice changes nothing the second time). Days already entered but
    absent from the table are kept. One audit event lists every change."""
    require_centre(scope)
    rows = _with_actions(rows)
    existing = {
        row.date: row for row in CalendarDay.objects.select_for_update().filter(date__in=[r.date for r in rows])
    }
    created, updated, changes = [], [], []
    for row in rows:
        before = None
        if row.action == "新增":
            created.append(CalendarDay(date=row.date, is_workday=row.is_workday, note=row.note))
        elif row.action == "修改":
            day = existing[row.date]
            before = [day.is_workday, day.note]
            day.is_workday, day.note = row.is_workday, row.note
            updated.append(day)
        else:
            continue
        changes.append({"date": row.date.isoformat(), "is_workday": row.is_workday, "note": row.note, "before": before})
    CalendarDay.objects.bulk_create(created)
    CalendarDay.objects.bulk_update(updated, ["is_workday", "note"])
    counts = {"created": len(created), "updated": len(updated), "unchanged": len(rows) - len(created) - len(updated)}
    if created or updated:
        audit_record(
            actor=actor,
            action="organizations:calendar_day:imported",
            target_type="core.calendarday",
            target_id=",".join(str(y) for y in sorted({r.date.year for r in rows})),
            data={**counts, "changes": changes},
        )
    return counts


# Expiry warning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarExpiry:
    last_day: dt.date  # the last day the calendar knows
    next_year: int  # the year to enter
    expired: bool

    @property
    def message(self) -> str:
        verb = "已于" if self.expired else "将于"
        return f"工作日历{verb} {self.last_day.isoformat()} 到期，请录入 {self.next_year} 年节假日安排"


def year_known(year: int) -> bool:
    """The package knows the year, or the centre entered it (at least ``MIN_REST_DAYS`` rest days)."""
    if package_knows(year):
        return True
    return CalendarDay.objects.filter(date__year=year, is_workday=False).count() >= MIN_REST_DAYS


def calendar_expiry(*, scope: Scope, today: dt.date) -> CalendarExpiry | None:
    """For the centre's home page: the calendar's last known day when it is at most
    ``WARN_DAYS`` days away (or past), else None. Others get None (they cannot enter it)."""
    if not is_centre(scope):
        return None
    year = today.year
    while year_known(year) and year <= today.year + 1:
        year += 1
    last_day = dt.date(year - 1, 12, 31)
    if (last_day - today).days > WARN_DAYS:
        return None
    return CalendarExpiry(last_day=last_day, next_year=year, expired=today > last_day)
