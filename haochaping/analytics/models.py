"""Rollup tables: the day-level counts every analytics page reads instead of the raw rows.

Each table holds, per local day and per combination of the dimensions a page filters or ranks
by, the counts of one kind of fact. A day's rows for a set of units are always recomputed
whole from the raw tables (``analytics.rollups``), never adjusted by +1/-1, so a refresh that
runs twice, or a rebuild, gives exactly the same rows.

The dimension columns are plain ids (no foreign-key constraint, no cascade): rollups are
derived data, rebuilt at will; joins to units (for the subtree scope) still work.
"""

from __future__ import annotations

from django.conf import settings
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
        indexes = [
            models.Index(fields=["day", "unit"], name="analytics_service_day_idx"),
            # A period's services and rated per item, unit, window or system (接入与覆盖, the
            # places of 二维码与覆盖) as an index-only scan on PostgreSQL: at a city's scale a
            # month's rows lie scattered over the table, a row a page.
            models.Index(
                fields=["day", "unit"],
                include=["item", "window", "system", "services", "rated"],
                name="analytics_service_cover_idx",
            ),
            # A clerk's own figures (their staff number, the home page and their analytics).
            models.Index(fields=["staff", "day"], name="analytics_service_staff_idx"),
            # A business system's days (接入与覆盖: a system's usage and its last push). The
            # summed columns are included (PostgreSQL: an index-only scan; a month of a system's
            # rows lies scattered over the table, a row a page).
            models.Index(
                fields=["system", "day"], include=["unit", "services", "rated"], name="analytics_service_system_idx"
            ),
        ]


class RatingDay(Dimensions):
    """Ratings by the day they were given, per channel and level; ``invalid`` when the rating's
    malicious-rating appeal was approved (excluded from 好评率/差评率, still counted and listed)."""

    channel = models.PositiveSmallIntegerField("评价渠道")
    level = models.PositiveSmallIntegerField("总体评价")
    is_default = models.BooleanField(default=False)
    invalid = models.BooleanField(default=False)
    ratings = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # A period's ratings by channel, level (分析总览's channel mix, the rankings' rates):
            # the summed columns are included (PostgreSQL: an index-only scan; a month's rows lie
            # scattered over the table, 32,000 rows over 11,500 pages at a city's scale).
            models.Index(
                fields=["day", "unit"],
                include=["channel", "level", "is_default", "invalid", "ratings"],
                name="analytics_rating_cover_idx",
            ),
            models.Index(fields=["staff", "day"], name="analytics_rating_staff_idx"),
            models.Index(fields=["system", "day"], include=["unit", "ratings"], name="analytics_rating_system_idx"),
        ]


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


class UnitMonthTotals(models.Model):
    """A unit's totals of one calendar month, summed from its days' unit totals: a period of whole
    months (a year to date, a month and the months it is compared with) reads a row per unit and
    month instead of one per unit and day.
    Recomputed from the day totals whenever a day of the month is (``analytics.rollups``)."""

    month = models.DateField("月份")  # the month's first day
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.month:%Y-%m} unit {self.unit_id}"


class ServiceSums(models.Model):
    services = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    rated_active = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class RatingSums(models.Model):
    """Every rating, the invalid and default ones, and the valid ones per level."""

    ratings = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    by_default = models.PositiveIntegerField(default=0)
    level_5 = models.PositiveIntegerField(default=0)
    level_4 = models.PositiveIntegerField(default=0)
    level_3 = models.PositiveIntegerField(default=0)
    level_2 = models.PositiveIntegerField(default=0)
    level_1 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CaseSums(models.Model):
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
        abstract = True


class ServiceUnitDay(UnitTotals, ServiceSums):
    """``ServiceDay`` summed per unit and day."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_service_unit_day_unique")]


class RatingUnitDay(UnitTotals, RatingSums):
    """``RatingDay`` summed per unit and day."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_rating_unit_day_unique")]


class CaseUnitDay(UnitTotals, CaseSums):
    """``CaseDay`` summed per unit and day."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "unit"], name="analytics_case_unit_day_unique")]


class ServiceUnitMonth(UnitMonthTotals, ServiceSums):
    """``ServiceUnitDay`` summed per unit and month."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="analytics_service_unit_month_unique")]


class RatingUnitMonth(UnitMonthTotals, RatingSums):
    """``RatingUnitDay`` summed per unit and month."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="analytics_rating_unit_month_unique")]


class CaseUnitMonth(UnitMonthTotals, CaseSums):
    """``CaseUnitDay`` summed per unit and month."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "unit"], name="analytics_case_unit_month_unique")]


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


class BacklogDay(models.Model):
    """Services by the local day they finished (办结时间) and the day they reached the platform,
    per unit and channel, with how many of them have been rated so far and, of the unrated ones,
    how many have no phone number and how many an invitation task (邀评): the 未评价积压 report
    (``outreach.reports``). ``created`` lets a page read the services received today live and the
    earlier ones from here without counting any twice."""

    day = models.DateField("办结日期")
    created = models.DateField("接收日期")
    unit = models.ForeignKey("organizations.Unit", db_index=False, **NO_CONSTRAINT)
    mode = models.CharField("办理渠道", max_length=7)
    services = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    no_phone = models.PositiveIntegerField(default=0)  # unrated, without a phone number
    invited = models.PositiveIntegerField(default=0)  # unrated, with an invitation task

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="analytics_backlog_day_idx")]

    def __str__(self) -> str:
        return f"BacklogDay {self.day} unit {self.unit_id} {self.mode}"


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


# -- 重点督办 (制度第十二条) ---------------------------------------------------------------------


class TargetKind(models.TextChoices):
    UNIT = "unit", "单位"
    WINDOW = "window", "窗口"
    STAFF = "staff", "工作人员"


class TargetState(models.TextChoices):
    ACTIVE = "active", "督办中"
    LIFTED = "lifted", "已解除"


class SupervisionTarget(models.Model):
    """A unit, window or staff member marked as a key supervision target (重点督办) by one rule
    for one month, with the evidence that triggered it, a rectification deadline and, once lifted,
    who lifted it and why. The rules never mark the same entity twice for the same rule and month
    (the unique constraint), so re-running them is harmless."""

    kind = models.CharField("对象类型", max_length=10, choices=TargetKind.choices)
    entity_id = models.PositiveIntegerField("对象 ID")
    entity_name = models.CharField("对象名称", max_length=200)  # as it was when marked
    # The unit whose subtree sees the mark: the unit itself, a window's department (or its place),
    # a staff member's unit.
    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="所属单位")
    rule = models.CharField("规则", max_length=30)
    month = models.DateField("月份")  # the first day of the month evaluated
    evidence = models.JSONField("依据", default=dict)
    marked_at = models.DateTimeField("列入时间")
    deadline = models.DateField("整改期限")
    state = models.CharField("状态", max_length=10, choices=TargetState.choices, default=TargetState.ACTIVE)
    lifted_at = models.DateTimeField("解除时间", null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="解除人",
    )
    lift_reason = models.TextField("解除理由", blank=True)

    class Meta:
        ordering = ["-month", "kind", "entity_name", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "entity_id", "rule", "month"], name="analytics_supervision_once")
        ]
        indexes = [models.Index(fields=["state", "month"], name="analytics_supervision_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.entity_name} {self.rule} {self.month:%Y-%m}"

    @property
    def evidence_text(self) -> str:
        """The evidence as a sentence (built from the months, values and ranks when marked)."""
        return str(self.evidence.get("text", ""))

    @property
    def for_notice(self) -> bool:
        """A staff member listed for 通报 (staff ranked low for a long time)."""
        return self.rule == "staff_notice"


class SupervisionRun(models.Model):
    """One evaluation of the supervision rules for a month (the monthly job runs it once)."""

    month = models.DateField("月份", unique=True)
    evaluated_at = models.DateTimeField("评估时间")
    marked = models.PositiveIntegerField("新列入", default=0)
    actor = models.CharField("执行人", max_length=100, blank=True)

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"SupervisionRun {self.month:%Y-%m}"


# -- monthly 通报 ---------------------------------------------------------------------------------


class ReportTemplate(models.Model):
    """A version of the 通报 Word template uploaded by the centre (the newest one is used; none:
    the default shipped in ``analytics/templates_docx/monthly_report.docx``)."""

    version = models.PositiveIntegerField("版本", unique=True)
    file = models.FileField(upload_to="report-templates/")
    name = models.CharField("文件名", max_length=200)
    sm3 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField("上传时间")
    uploaded_by = models.CharField("上传人", max_length=150)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"通报模板 v{self.version}"


class ReportState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已印发"


class Report(models.Model):
    """One version of the 通报 of a unit subtree for a period. ``snapshot`` holds every figure,
    table and sentence the page and both documents show, so they agree forever whatever the data
    do later. Regenerating a draft replaces it; regenerating a published report makes the next
    version (earlier versions are kept). Publishing assigns the 文号 (per year)."""

    unit = models.ForeignKey("organizations.Unit", on_delete=models.PROTECT, related_name="+", verbose_name="单位")
    period_kind = models.CharField("统计周期", max_length=8)
    period_first = models.DateField("起始日期")
    period_last = models.DateField("截止日期")
    version = models.PositiveIntegerField("版本", default=1)
    state = models.CharField("状态", max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    title = models.CharField("标题", max_length=200)
    number_year = models.PositiveIntegerField("文号年份", null=True, blank=True)
    number = models.PositiveIntegerField("文号序号", null=True, blank=True)
    snapshot = models.JSONField(default=dict)
    template = models.ForeignKey(ReportTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    docx = models.FileField(upload_to="reports/%Y/")
    xlsx = models.FileField(upload_to="reports/%Y/")
    docx_sm3 = models.CharField(max_length=64, blank=True)
    xlsx_sm3 = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField("生成时间")
    generated_by = models.CharField("生成人", max_length=150)
    published_at = models.DateTimeField("印发时间", null=True, blank=True)
    published_by = models.CharField("印发人", max_length=150, blank=True)

    class Meta:
        ordering = ["-period_first", "unit__path", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period_kind", "period_first", "period_last", "version"],
                name="analytics_report_version",
            ),
            models.UniqueConstraint(
                fields=["number_year", "number"],
                condition=models.Q(number__isnull=False),
                name="analytics_report_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.state == ReportState.PUBLISHED

    @property
    def number_text(self) -> str:
        """The 文号 as printed (石政服〔2026〕3号), "" before publication."""
        if self.number is None:
            return ""
        from django.conf import settings

        return f"{settings.ANALYTICS_REPORT_NUMBER_PREFIX}〔{self.number_year}〕{self.number}号"
