"""Rollup tables: the day-level counts every analytics page reads instead of the raw rows.

Each table holds, per local day and per combination of the dimensions a page filters or ranks
by, the counts of one kind of fact. A day's rows for a set of units are always recomputed
whole from the raw tables (``analytics.rollups``), never adjusted by +1/-1, so a refresh that
runs twice, or a rebuild, gives exactly the same rows.

The dimension columns are plain ids (no foreign-key constraint, no cascade): rollups are
derived data, rebuilt at will; joins to units (for the subtree scope) still work.
"""

from __future__ import annotations

from django.db import models

NO_CONSTRAINT = {"on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class Dimensions(models.Model):
    """Where and by whom a service was given: the dimensions shared by every rollup."""

    day = models.DateField("日期")
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)
    window = models.ForeignKey("organizations.Window", null=True, db_index=False, **NO_CONSTRAINT)
    staff = models.ForeignKey("organizations.Staff", null=True, db_index=False, **NO_CONSTRAINT)
    item = models.ForeignKey("service_records.ServiceItem", db_index=False, **NO_CONSTRAINT)
    system = models.ForeignKey("organizations.BusinessSystem", null=True, db_index=False, **NO_CONSTRAINT)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.day} unit {self.unit_id}"


class ServiceDay(Dimensions):
    """Services (rating opportunities) by the day they reached the platform, and how many of
    them have been rated so far (评价率, 主动评价率)."""

    mode = models.CharField("办理渠道", max_length=7)
    services = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rated_active = models.PositiveIntegerField(default=0)  # rated by the person, not by default

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_service_day_idx")]


class RatingDay(Dimensions):
    """Ratings by the day they were given, per channel and level; ``invalid`` when the rating's
    malicious-rating appeal was approved (excluded from 好评率/差评率, still counted and listed)."""

    channel = models.PositiveSmallIntegerField("评价渠道")
    level = models.PositiveSmallIntegerField("总体评价")
    is_default = models.BooleanField(default=False)
    invalid = models.BooleanField(default=False)
    ratings = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_rating_day_idx")]


class CaseDay(Dimensions):
    """Bad-rating cases by the day they opened, with their handling as of the last refresh."""

    channel = models.PositiveSmallIntegerField("评价渠道")
    cases = models.PositiveIntegerField(default=0)
    invalidated = models.PositiveIntegerField(default=0)
    rectified = models.PositiveIntegerField(default=0)  # reached 已整改 (or later), not invalidated
    due = models.PositiveIntegerField(default=0)  # rectified, or its deadline has passed
    on_time = models.PositiveIntegerField(default=0)  # rectified by the (approved) deadline
    overdue_open = models.PositiveIntegerField(default=0)  # deadline passed, still not rectified
    escalated = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_case_day_idx")]


class UnitTotals(models.Model):
    """A unit's totals of one day, summed from the detailed table (the same facts without the
    window, staff, item, system and channel): what the overview and the unit ranking read. The
    detailed tables hold about one row per fact at a district's volume (a member of staff rates
    a few services of a day, each of an item of their own); these hold one row per unit and day.
    Recomputed with the detailed rows of the same partition (``analytics.rollups``)."""

    day = models.DateField("日期")
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.day} unit {self.unit_id}"


class ServiceUnitDay(UnitTotals):
    """``ServiceDay`` summed per unit and day."""

    services = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rated_active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_service_unit_day_unique")]


class RatingUnitDay(UnitTotals):
    """``RatingDay`` summed per unit and day: every rating, the invalid and default ones, and the
    valid ones per level."""

    ratings = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    by_default = models.PositiveIntegerField(default=0)
    level_5 = models.PositiveIntegerField(default=0)
    level_4 = models.PositiveIntegerField(default=0)
    level_3 = models.PositiveIntegerField(default=0)
    level_2 = models.PositiveIntegerField(default=0)
    level_1 = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_rating_unit_day_unique")]


class CaseUnitDay(UnitTotals):
    """``CaseDay`` summed per unit and day."""

    cases = models.PositiveIntegerField(default=0)
    invalidated = models.PositiveIntegerField(default=0)
    rectified = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    overdue_open = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_case_unit_day_unique")]


class CallbackDay(models.Model):
    """Callback tasks (回访) by the day they were generated, per unit and list."""

    day = models.DateField("日期")
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)
    kind = models.CharField(max_length=24)
    required = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)  # calls where the citizen said 满意/基本满意
    unsatisfied = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_callback_day_idx")]

    def __str__(self) -> str:
        return f"CallbackDay {self.day} unit {self.unit_id} {self.kind}"


class DemandDay(models.Model):
    """Demands (诉求) by the day they were received, per handling unit, category kind and source."""

    day = models.DateField("日期")
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)
    kind = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=10)
    received = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    replied = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)  # answered late, or still unanswered past its limit
    satisfied = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_demand_day_idx")]

    def __str__(self) -> str:
        return f"DemandDay {self.day} unit {self.unit_id} {self.kind}"


class RollupRun(models.Model):
    """One refresh: the highest id of each watched table when it started (the next runs scan
    from an older run's marks, so rows committed late are not missed) and what it recomputed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    marks = models.JSONField(default=dict)
    full = models.BooleanField(default=False)
    days = models.PositiveIntegerField(default=0)
    partitions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"RollupRun {self.started_at:%Y-%m-%d %H:%M:%S}"
