"""Keep the rollup tables (``analytics.models``) in step with the raw tables.

A *partition* is one local day of one table, optionally narrowed to a set of units; it is
always recomputed whole from the raw rows (delete, then insert one grouped query), so running a
refresh twice, or concurrently with intake, never counts a row twice. The grouped query's rows go
straight into the rollup table (``INSERT … SELECT``), and the partition's unit totals
(``ServiceUnitDay``, ``RatingUnitDay``, ``CaseUnitDay``) are summed from them the same way, and
the month totals of those units (``ServiceUnitMonth``…) from the day totals, once per run and month.

``rollup_refresh`` finds what changed since the last runs by id: every watched table's rows
(ratings, services, case and demand timeline entries, call tasks and call records) carry
increasing ids, and each run records the highest id of each when it starts. A run scans the ids
above the marks of the newest run that started at least ``ANALYTICS_ROLLUP_LAG_SECONDS`` ago, so
a row whose transaction committed after a later run had started is still seen. The days those
rows belong to are recomputed: ratings, services and the backlog (by the day services finished;
a new invitation task names its service's) for the units they touched (a rating never changes
unit), cases, demands and callbacks for the whole day (a demand may be reassigned).

Runs are serialised (a PostgreSQL advisory lock; SQLite has one writer) and each run is one
transaction: a page reads either the rollups before the run or after it. Each run also records
the tables it keeps (``table:<name>`` in its marks): a table an upgrade adds (``BacklogDay``) is
built whole by the first refresh after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from haochaping.analytics.models import (
    BacklogDay,
    CallbackDay,
    CaseDay,
    CaseUnitDay,
    CaseUnitMonth,
    DemandDay,
    RatingDay,
    RatingUnitDay,
    RatingUnitMonth,
    RollupRun,
    ServiceDay,
    ServiceUnitDay,
    ServiceUnitMonth,
)
from haochaping.analytics.periods import Period
from haochaping.core.timeutil import local_date, start_of_local_day
from haochaping.evaluations.choices import Level
from haochaping.evaluations.models import Evaluation
from haochaping.outreach.choices import (
    CALLBACK_KINDS,
    CALLBACK_SATISFACTION,
    DemandState,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import CallRecord, CallTask, Demand, DemandAction
from haochaping.rectification.models import DEADLINE_STATES, CaseAction, CaseState, RectificationCase
from haochaping.service_records.models import ServiceRecord

LOCK_KEY = 0x68637031  # "hcp1": the PostgreSQL advisory lock of rollup runs

# The tables whose ids are watched, by short name.
WATCHED = {
    "evaluation": Evaluation,
    "record": ServiceRecord,
    "case_action": CaseAction,
    "demand": Demand,
    "demand_action": DemandAction,
    "call_task": CallTask,
    "call_record": CallRecord,
}
TABLES = ("service", "rating", "case", "callback", "demand", "backlog")
ROLLUP_MODELS = {"service": ServiceDay, "rating": RatingDay, "case": CaseDay, "callback": CallbackDay,
                 "demand": DemandDay, "backlog": BacklogDay}  # fmt: skip
# The tables whose partitions may be narrowed to the units that changed.
BY_UNIT = ("service", "rating", "backlog")
# The tables of the runs that did not record theirs (``RollupRun.marks["table:<name>"]``): a table
# added since is built whole by the next refresh (``_unbuilt``).
FIRST_TABLES = ("service", "rating", "case", "callback", "demand")
# The per-unit totals of the three detailed tables (callbacks and demands are per unit already).
UNIT_MODELS = {"service": ServiceUnitDay, "rating": RatingUnitDay, "case": CaseUnitDay}
# The month totals, summed from the day totals of the same table.
MONTH_MODELS = {"service": ServiceUnitMonth, "rating": RatingUnitMonth, "case": CaseUnitMonth}


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = start_of_local_day(day)
    return start, start + dt.timedelta(days=1)


# -- recomputing one partition -----------------------------------------------------------------

DIMS = ("unit_id", "window_id", "staff_id", "item_id", "system_id")


def _record_dims(prefix: str) -> dict:
    """The dimensions read through a relation, under aliases that cannot clash with the queried
    model's own fields (``Evaluation.system_id`` is the rating's system, not the record's)."""
    return {f"d_{name}": F(f"{prefix}{name}") for name in DIMS}


def _insert(model, day: dt.date | None, groups: QuerySet) -> int:
    """Insert the grouped query's rows as ``model`` rows of ``day`` (None: the query groups by
    day) in one ``INSERT … SELECT`` (the rows never pass through Python); a column is named by
    its key, less the ``d_`` prefix."""
    query = groups.query
    keys = [*query.values_select, *query.annotation_select]
    qn = connection.ops.quote_name
    columns = [model._meta.get_field(key.removeprefix("d_")).column for key in keys]
    sql, params = query.sql_with_params()
    selected = [qn(key) for key in keys]
    if day is not None:
        columns.insert(0, model._meta.get_field("day").column)
        selected.insert(0, "%s")
        params = (connection.ops.adapt_datefield_value(day), *params)
    # Only quoted names and Django's compiled query go into the text; the values are parameters.
    target = f"{qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
    statement = f"INSERT INTO {target} SELECT {', '.join(selected)} FROM ({sql}) grouped"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _scope(field: str, day: dt.date | None) -> tuple[Q, dict]:
    """The filter to one day's rows of ``field``, or (day None) no filter and the local day to
    group by, as ``d_day``."""
    if day is None:
        return Q(), {"d_day": TruncDate(field, tzinfo=timezone.get_current_timezone())}
    start, end = day_bounds(day)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end}), {}


def _services(day: dt.date | None, units: set[int] | None) -> QuerySet:
    scope, by_day = _scope("created_at", day)
    records = ServiceRecord.objects.filter(scope)
    if units is not None:
        records = records.filter(unit_id__in=units)
    groups = records.values(*DIMS, "mode", **by_day).annotate(
        services=Count("id"),
        rated=Count("evaluation"),
        rated_active=Count("evaluation", filter=Q(evaluation__is_default=False)),
    )
    return groups.order_by()


def _backlog(day: dt.date | None, units: set[int] | None) -> QuerySet:
    """Services by the day they finished and the day they were received (``BacklogDay``)."""
    scope, by_day = _scope("finished_at", day)
    records = ServiceRecord.objects.filter(scope, finished_at__isnull=False)
    if units is not None:
        records = records.filter(unit_id__in=units)
    unrated = Q(evaluation__isnull=True)
    invited = Exists(CallTask.objects.filter(record=OuterRef("pk"), kind=TaskKind.INVITATION_UNRATED))
    created = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    groups = records.values("unit_id", "mode", d_created=created, **by_day).annotate(
        services=Count("id"),
        rated=Count("id", filter=~unrated),
        no_phone=Count("id", filter=unrated & Q(phone_index="")),
        invited=Count("id", filter=unrated & invited),
    )
    return groups.order_by()


def _invalid() -> Case:
    return Case(When(case__state=CaseState.INVALIDATED, then=Value(True)), default=Value(False),
                output_field=BooleanField())  # fmt: skip


def _ratings(day: dt.date | None, units: set[int] | None) -> QuerySet:
    scope, by_day = _scope("evaluated_at", day)
    ratings = Evaluation.objects.filter(scope)
    if units is not None:
        # "unit_id + 0": not an indexed column, on purpose. The day's ratings are found by their time
        # (evaluated_at); SQLite, which keeps no statistics, would otherwise walk every record of
        # the units through their index and join the ratings to them (11 s instead of 30 ms for a
        # day of 300 units at a million ratings).
        ratings = ratings.alias(record_unit=F("record__unit_id") + 0).filter(record_unit__in=units)
    dims = {**_record_dims("record__"), **by_day}
    groups = ratings.values("channel", "level", "is_default", invalid=_invalid(), **dims).annotate(ratings=Count("id"))
    return groups.order_by()


def _cases(day: dt.date | None) -> QuerySet:
    scope, by_day = _scope("opened_at", day)
    cases = RectificationCase.objects.filter(scope, evaluation__isnull=False)
    valid = ~Q(state=CaseState.INVALIDATED)
    rectified = valid & Q(rectified_at__isnull=False)
    on_time = rectified & Q(rectified_at__lte=F("due_at"))
    overdue_open = valid & Q(rectified_at__isnull=True, overdue_at__isnull=False, state__in=DEADLINE_STATES)
    dims = _record_dims("evaluation__record__")
    dims["d_unit_id"] = F("unit_id")  # the responsible unit (责任单位)
    dims["d_channel"] = F("evaluation__channel")
    dims.update(by_day)
    groups = cases.values(**dims).annotate(
        cases=Count("id"),
        invalidated=Count("id", filter=Q(state=CaseState.INVALIDATED)),
        rectified=Count("id", filter=rectified),
        due=Count("id", filter=rectified | overdue_open),
        on_time=Count("id", filter=on_time),
        overdue_open=Count("id", filter=overdue_open),
        escalated=Count("id", filter=valid & Q(escalated_at__isnull=False)),
        extended=Count("id", filter=valid & Q(original_due_at__isnull=False)),
        reopened=Count("id", filter=valid & Q(reopen_count__gt=0)),
        closed=Count("id", filter=Q(state=CaseState.CLOSED)),
    )
    return groups.order_by()


def _callbacks(day: dt.date) -> list[CallbackDay]:
    start, end = day_bounds(day)
    tasks = CallTask.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=start, created_at__lt=end)
    rows: dict[tuple, CallbackDay] = {}
    for g in tasks.values("unit_id", "kind").annotate(
        required=Count("id"), done=Count("id", filter=Q(status=TaskStatus.DONE))
    ).order_by():  # fmt: skip
        rows[(g["unit_id"], g["kind"])] = CallbackDay(day=day, **g)
    calls = CallRecord.objects.filter(
        task__kind__in=CALLBACK_KINDS, task__created_at__gte=start, task__created_at__lt=end,
        satisfaction__in=CALLBACK_SATISFACTION,
    )  # fmt: skip
    good = [Satisfaction.SATISFIED, Satisfaction.BASIC]
    for g in calls.values(unit_id=F("task__unit_id"), kind=F("task__kind")).annotate(
        satisfied=Count("id", filter=Q(satisfaction__in=good)),
        unsatisfied=Count("id", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
    ).order_by():  # fmt: skip
        row = rows.setdefault((g["unit_id"], g["kind"]), CallbackDay(day=day, unit_id=g["unit_id"], kind=g["kind"]))
        row.satisfied, row.unsatisfied = g["satisfied"], g["unsatisfied"]
    return list(rows.values())


def _demands(day: dt.date | None) -> QuerySet:
    scope, by_day = _scope("received_at", day)
    demands = Demand.objects.filter(scope)
    valid = ~Q(state=DemandState.INVALID)
    replied = valid & Q(replied_at__isnull=False)
    late = (replied & Q(replied_at__gt=F("due_at"))) | (valid & Q(replied_at__isnull=True, overdue_at__isnull=False))
    good = [Satisfaction.SATISFIED, Satisfaction.BASIC]
    groups = demands.values("unit_id", "source", kind=Coalesce(F("category__kind"), Value("")), **by_day).annotate(
        received=Count("id"),
        invalid=Count("id", filter=Q(state=DemandState.INVALID)),
        replied=Count("id", filter=replied),
        on_time=Count("id", filter=replied & Q(replied_at__lte=F("due_at"))),
        late=Count("id", filter=late),
        satisfied=Count("id", filter=valid & Q(satisfaction__in=good)),
        unsatisfied=Count("id", filter=valid & Q(satisfaction=Satisfaction.UNSATISFIED)),
    )
    return groups.order_by()


def _unit_sums(table: str) -> dict[str, Coalesce]:
    """The sums of a detailed table's rows that make its unit totals (``UNIT_MODELS``)."""
    if table == "rating":
        sums = {
            "ratings": Sum("ratings"),
            "invalid": Sum("ratings", filter=Q(invalid=True)),
            "by_default": Sum("ratings", filter=Q(is_default=True)),
        }
        for level in Level.values:
            sums[f"level_{level}"] = Sum("ratings", filter=Q(level=level, invalid=False))
    else:
        names = [f.name for f in UNIT_MODELS[table]._meta.concrete_fields if f.name not in ("id", "day", "unit")]
        sums = {name: Sum(name) for name in names}
    # Aliased d_<column> (an annotation may not take the name of the field it sums).
    return {f"d_{name}": Coalesce(total, 0, output_field=IntegerField()) for name, total in sums.items()}


def _rebuild_grouped() -> int:
    """Every day of the service, rating, case and demand tables, and the unit totals, in one
    statement each grouped by the local day (PostgreSQL's full rebuild: one pass over the raw
    rows instead of one indexed query per day); callbacks day by day. The same rows as
    ``_recompute`` of every day."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the grouping of millions of rows, in memory
    rows = sum(_insert(ROLLUP_MODELS[t], None, build(None)) for t, build in
               (("service", lambda d: _services(d, None)), ("rating", lambda d: _ratings(d, None)),
                ("case", _cases), ("demand", _demands), ("backlog", lambda d: _backlog(d, None))))  # fmt: skip
    for table, model in UNIT_MODELS.items():
        totals = ROLLUP_MODELS[table].objects.values("day", "unit_id").annotate(**_unit_sums(table)).order_by()
        _insert(model, None, totals)
        _months_recompute(table, None)
    return rows


def unit_totals_rebuild() -> None:
    """The unit totals (days and months) summed again from the detailed rollup rows as they are
    (tests that write detailed rows directly; a repair after editing them by hand)."""
    for table, model in UNIT_MODELS.items():
        model.objects.all().delete()
        totals = ROLLUP_MODELS[table].objects.values("day", "unit_id").annotate(**_unit_sums(table)).order_by()
        _insert(model, None, totals)
        _months_recompute(table, None)


def _months_recompute(table: str, months: Iterable[dt.date] | None, units: set[int] | None = None) -> None:
    """The month totals of ``table`` for ``months`` (their first days; None: every month), for
    ``units`` (None: every unit), summed again from the day totals."""
    model, days = MONTH_MODELS[table], UNIT_MODELS[table].objects.all()
    old = model.objects.all()
    if months is not None:
        months = sorted(set(months))
        if not months:
            return
        old = old.filter(month__in=months)
        days = days.filter(reduce(or_, (Q(day__gte=m, day__lte=Period.of("month", m).last) for m in months)))
    if units is not None:
        old, days = old.filter(unit_id__in=units), days.filter(unit_id__in=units)
    old.delete()
    names = [f.name for f in model._meta.concrete_fields if f.name not in ("id", "month", "unit")]
    sums = {f"d_{name}": Coalesce(Sum(name), 0, output_field=IntegerField()) for name in names}
    _insert(model, None, days.values("unit_id", d_month=TruncMonth("day")).annotate(**sums).order_by())


def _months_of(parts: Iterable[tuple[tuple[str, dt.date], set[int] | None]]) -> None:
    """Recompute the month totals of the recomputed day partitions: one statement per table and
    month, for the union of the units (None: every unit)."""
    touched: dict[tuple[str, dt.date], set[int] | None] = {}
    for (table, day), units in parts:
        if table in MONTH_MODELS:
            key = (table, day.replace(day=1))
            known = touched.get(key, set())
            touched[key] = None if known is None or units is None else known | units
    for (table, month), units in sorted(touched.items(), key=lambda item: (item[0][1], item[0][0])):
        _months_recompute(table, [month], units)


def _recompute(table: str, day: dt.date, units: set[int] | None = None) -> int:
    model = ROLLUP_MODELS[table]
    if table not in BY_UNIT:
        units = None  # cases, callbacks and demands are recomputed for the whole day
    old = model.objects.filter(day=day)
    if units is not None:
        old = old.filter(unit_id__in=units)
    old.delete()
    if table == "callback":
        rows = _callbacks(day)
        model.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
    if table == "service":
        groups = _services(day, units)
    elif table == "rating":
        groups = _ratings(day, units)
    elif table == "backlog":
        groups = _backlog(day, units)
    elif table == "case":
        groups = _cases(day)
    else:
        groups = _demands(day)
    count = _insert(model, day, groups)
    if table in UNIT_MODELS:
        totals, detail = UNIT_MODELS[table].objects.filter(day=day), model.objects.filter(day=day)
        if units is not None:
            totals, detail = totals.filter(unit_id__in=units), detail.filter(unit_id__in=units)
        totals.delete()
        _insert(UNIT_MODELS[table], day, detail.values("unit_id").annotate(**_unit_sums(table)).order_by())
    return count


# -- finding what changed ----------------------------------------------------------------------


@dataclass
class Changes:
    """The partitions to recompute: (table, day) → units (None: the whole day)."""

    parts: dict[tuple[str, dt.date], set[int] | None] = field(default_factory=dict)

    def add(self, table: str, moment: dt.datetime | None, unit_id: int | None = None) -> None:
        if moment is None:
            return
        key = (table, local_date(moment))
        if unit_id is None or table not in BY_UNIT:
            self.parts[key] = None
        elif key not in self.parts:
            self.parts[key] = {unit_id}
        elif self.parts[key] is not None:
            self.parts[key].add(unit_id)  # type: ignore[union-attr]

    @property
    def days(self) -> set[dt.date]:
        return {day for _table, day in self.parts}


def _marks() -> dict[str, int]:
    """The highest id of each watched table, and ``table:<name>`` for each rollup table kept."""
    marks = {name: model.objects.aggregate(m=Max("id"))["m"] or 0 for name, model in WATCHED.items()}
    return marks | {f"table:{table}": 1 for table in TABLES}


def _unbuilt() -> list[str]:
    """The rollup tables the last run did not keep (added by an upgrade since): empty or partial."""
    run = RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at", "-id").first()
    if run is None:
        return []
    kept = {key.removeprefix("table:") for key in run.marks if key.startswith("table:")} or set(FIRST_TABLES)
    return [table for table in TABLES if table not in kept]


def _build_whole(table: str) -> int:
    """Every row of one rollup table again, from the raw rows."""
    ROLLUP_MODELS[table].objects.all().delete()
    if table in UNIT_MODELS:
        UNIT_MODELS[table].objects.all().delete()
    if table == "backlog":
        # Keyed by the day services finished, which may lie before the first day of any other
        # table (an imported history): one grouped pass over the records.
        return _insert(BacklogDay, None, _backlog(None, None))
    rows = sum(_recompute(table, day) for day in _raw_days())
    if table in MONTH_MODELS:
        _months_recompute(table, None)
    return rows


def _since(now: dt.datetime) -> dict[str, int] | None:
    """The marks to scan from: those of the newest run old enough that every transaction open when
    it started has committed; None when there was never a run (a full rebuild)."""
    lag = dt.timedelta(seconds=settings.ANALYTICS_ROLLUP_LAG_SECONDS)
    runs = RollupRun.objects.filter(finished_at__isnull=False)
    run = runs.filter(started_at__lte=now - lag).order_by("-started_at", "-id").first()
    run = run or runs.order_by("started_at", "id").first()
    return None if run is None else {name: run.marks.get(name, 0) for name in WATCHED}


def _window(model, low: int, high: int):
    return model.objects.filter(id__gt=low, id__lte=high)


def changes_between(low: dict[str, int], high: dict[str, int]) -> Changes:
    """Every partition a row with an id in (low, high] of a watched table may have changed."""
    changes = Changes()
    for row in _window(Evaluation, low["evaluation"], high["evaluation"]).values(
        "evaluated_at", "record__unit_id", "record__created_at", "record__finished_at"
    ):
        changes.add("rating", row["evaluated_at"], row["record__unit_id"])
        changes.add("service", row["record__created_at"], row["record__unit_id"])
        changes.add("backlog", row["record__finished_at"], row["record__unit_id"])
    for row in _window(ServiceRecord, low["record"], high["record"]).values("created_at", "finished_at", "unit_id"):
        changes.add("service", row["created_at"], row["unit_id"])
        changes.add("backlog", row["finished_at"], row["unit_id"])
    for row in _window(CaseAction, low["case_action"], high["case_action"]).values(
        "case__opened_at", "case__evaluation__evaluated_at", "case__evaluation__record__unit_id"
    ):
        changes.add("case", row["case__opened_at"])
        changes.add("rating", row["case__evaluation__evaluated_at"], row["case__evaluation__record__unit_id"])
    demands = set(_window(Demand, low["demand"], high["demand"]).values_list("id", flat=True))
    demands |= set(
        _window(DemandAction, low["demand_action"], high["demand_action"]).values_list("demand_id", flat=True)
    )
    for received_at in Demand.objects.filter(id__in=demands).values_list("received_at", flat=True):
        changes.add("demand", received_at)
    new_tasks = _window(CallTask, low["call_task"], high["call_task"])
    for row in new_tasks.filter(kind=TaskKind.INVITATION_UNRATED).values("record__finished_at", "record__unit_id"):
        changes.add("backlog", row["record__finished_at"], row["record__unit_id"])  # now 已列入邀评
    tasks = set(new_tasks.values_list("id", flat=True))
    tasks |= set(_window(CallRecord, low["call_record"], high["call_record"]).values_list("task_id", flat=True))
    for created_at in CallTask.objects.filter(id__in=tasks, kind__in=CALLBACK_KINDS).values_list(
        "created_at", flat=True
    ):
        changes.add("callback", created_at)
    return changes


# -- runs --------------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    full: bool
    days: int
    partitions: int
    rows: int


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _raw_days() -> Iterable[dt.date]:
    """Every local day that holds a raw row of any watched kind."""
    bounds = [
        ServiceRecord.objects.aggregate(lo=Min("created_at"), hi=Max("created_at")),
        Evaluation.objects.aggregate(lo=Min("evaluated_at"), hi=Max("evaluated_at")),
        RectificationCase.objects.aggregate(lo=Min("opened_at"), hi=Max("opened_at")),
        Demand.objects.aggregate(lo=Min("received_at"), hi=Max("received_at")),
        CallTask.objects.aggregate(lo=Min("created_at"), hi=Max("created_at")),
    ]
    lows = [local_date(b["lo"]) for b in bounds if b["lo"]]
    highs = [local_date(b["hi"]) for b in bounds if b["hi"]]
    if not lows:
        return []
    first, last = min(lows), max(highs)
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def rollup_rebuild(*, days: Iterable[dt.date] | None = None) -> RefreshResult:
    """Recompute every table for ``days`` (default: every day with data, after emptying the
    rollups), recording a run so that later refreshes continue from here."""
    now = timezone.now()
    with transaction.atomic():
        _lock()
        marks = _marks()
        whole = days is None
        if whole:
            for model in [*ROLLUP_MODELS.values(), *UNIT_MODELS.values(), *MONTH_MODELS.values()]:
                model.objects.all().delete()
            days = _raw_days()
        days = sorted(set(days))
        if whole and connection.vendor == "postgresql":
            rows = _rebuild_grouped() + sum(_recompute("callback", day) for day in days)
        elif whole:
            rows = _build_whole("backlog")
            rows += sum(_recompute(table, day) for day in days for table in TABLES if table != "backlog")
            for table in MONTH_MODELS:
                _months_recompute(table, None)
        else:
            rows = sum(_recompute(table, day) for day in days for table in TABLES)
            _months_of(((table, day), None) for day in days for table in MONTH_MODELS)
        if connection.vendor == "postgresql":
            # The planner's statistics of the rewritten tables now, not at autovacuum's next visit
            # (with a rebuilt table's stale counts a query may walk an index per unit).
            models = [*ROLLUP_MODELS.values(), *UNIT_MODELS.values(), *MONTH_MODELS.values()]
            tables = [m._meta.db_table for m in models]
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(tables)}")
        RollupRun.objects.create(started_at=now, finished_at=timezone.now(), marks=marks, full=True,
                                 days=len(days), partitions=len(days) * len(TABLES))  # fmt: skip
    return RefreshResult(full=True, days=len(days), partitions=len(days) * len(TABLES), rows=rows)


def rollup_refresh(*, now: dt.datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date with every change since the last runs (see the module doc)."""
    now = now or timezone.now()
    if _since(now) is None:
        return rollup_rebuild()
    with transaction.atomic():
        _lock()
        since = _since(now) or {name: 0 for name in WATCHED}
        marks = _marks()
        changes = changes_between(since, marks)
        parts = sorted(changes.parts.items(), key=lambda part: (part[0][1], part[0][0]))
        rows = sum(_recompute(table, day, units) for (table, day), units in parts)
        _months_of(parts)
        rows += sum(_build_whole(table) for table in _unbuilt())  # after an upgrade added it
        RollupRun.objects.create(started_at=now, finished_at=timezone.now(), marks=marks,
                                 days=len(changes.days), partitions=len(changes.parts))  # fmt: skip
        # Keep the run history short: the newest run older than the lag is all a refresh needs.
        lag = dt.timedelta(seconds=settings.ANALYTICS_ROLLUP_LAG_SECONDS)
        keep = (
            RollupRun.objects.filter(started_at__lte=now - lag)
            .order_by("-started_at", "-id")
            .values_list("id", flat=True)[:1]
        )
        RollupRun.objects.filter(started_at__lt=now - 2 * lag).exclude(id__in=list(keep)).delete()
    return RefreshResult(full=False, days=len(changes.days), partitions=len(changes.parts), rows=rows)


def rollup_snapshot() -> dict[str, list[tuple]]:
    """Every rollup table's rows as sorted tuples without ids (tests compare refresh with rebuild)."""
    snapshot = {}
    tables = [
        *ROLLUP_MODELS.items(),
        *((f"{t} totals", m) for t, m in UNIT_MODELS.items()),
        *((f"{t} months", m) for t, m in MONTH_MODELS.items()),
    ]
    for table, model in tables:
        names = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        snapshot[table] = sorted((tuple(row) for row in model.objects.values_list(*names)), key=repr)
    return snapshot
