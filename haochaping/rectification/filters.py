"""The filters of the case lists: ``GET /api/v1/cases`` and the console's work queue.

The parameter names are a contract with integrators (docs/subsystems/api.md).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from haochaping.core.filters import (
    FilterSet,
    FlagFilter,
    IntegerFilter,
    choice_filter,
    date_filter,
    text_filter,
    unit_path_filter,
)
from haochaping.evaluations.choices import BAD_LEVELS
from haochaping.rectification.models import OPEN_STATES, CaseState, RectificationCase
from haochaping.rectification.selectors import running_overdue


def overdue_now() -> Q:
    return running_overdue(timezone.now())


class CaseFilter(FilterSet):
    """Narrows cases already scoped by ``rectification.selectors`` (``case_list``, ``case_queue``)."""

    state = choice_filter(
        label="状态",
        choices=CaseState.choices,
        empty_label="全部状态",
        field_name="state",
        help_text="工单状态：" + " / ".join(f"{value} {label}" for value, label in CaseState.choices),
    )
    unit_code = django_filters.CharFilter(
        label="责任单位", method=unit_path_filter("unit"), help_text="责任单位编码（含下级）"
    )
    number = text_filter(label="工单编号", field_name="number", help_text="工单编号（完整编号，如 CP2026113000000202）")
    project_no = text_filter(
        label="办件编号", field_name="evaluation__record__project_no", help_text="被评价办件的办件编号"
    )
    service_no = IntegerFilter(
        label="服务序号",
        field_name="evaluation__record__service_no",
        help_text="被评价服务的序号（与 project_no 合用）",
    )
    date_from = date_filter(
        label="生成日期起", field_name="opened_at", lookup_expr="date__gte", help_text="工单生成日期起（含）"
    )
    date_to = date_filter(
        label="生成日期止", field_name="opened_at", lookup_expr="date__lte", help_text="工单生成日期止（含）"
    )
    level = choice_filter(
        label="差评等级",
        choices=[(int(level), level.label) for level in BAD_LEVELS],
        empty_label="全部等级",
        field_name="evaluation__level",
        help_text="差评的评价等级：2 不满意 / 1 非常不满意",
    )
    overdue = FlagFilter(
        label="仅逾期",
        q=overdue_now,
        help_text="仅已逾期的工单：期限已过且尚未整改（true / false）",
    )
    open_only = FlagFilter(label="仅未办结", q=Q(state__in=OPEN_STATES), help_text="仅未办结的工单（true / false）")
    # The slices of the analytics pages, so that every figure drills down to its cases.
    window_code = text_filter(label="窗口编码", field_name="evaluation__record__window__code", help_text="窗口编码")
    staff_no = text_filter(label="工号", field_name="evaluation__record__staff__staff_no", help_text="工作人员工号")
    item_code = text_filter(label="事项编码", field_name="evaluation__record__item__code", help_text="事项实施编码")

    class Meta(FilterSet.Meta):
        model = RectificationCase
        fields: list[str] = []
