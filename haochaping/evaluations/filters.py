"""The filters of the rating list: ``GET /api/v1/evaluations`` and the console's 评价记录 page.

The parameter names are a contract with integrators (docs/subsystems/api.md).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from haochaping.core.filters import FilterSet, FlagFilter, choice_filter, date_filter, text_filter, unit_path_filter
from haochaping.evaluations.choices import BAD_LEVELS, Channel, Level
from haochaping.evaluations.models import Evaluation

BAD = "bad"  # 差评: 不满意 and 非常不满意

LEVEL_HELP = "5 非常满意 / 4 满意 / 3 基本满意 / 2 不满意 / 1 非常不满意 / bad 差评（不满意及以下）"
CHANNEL_HELP = "1 PC 2 移动端 3 二维码 4 评价器 5 自助终端 6 电话 7 短信"


def _level(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if value == BAD:
        return queryset.filter(level__in=[int(level) for level in BAD_LEVELS])
    return queryset.filter(level=int(value))


class EvaluationFilter(FilterSet):
    """Narrows ratings already scoped by ``evaluations.selectors.evaluation_list``."""

    unit_code = django_filters.CharFilter(label="单位", method=unit_path_filter("unit"), help_text="单位编码（含下级）")
    level = choice_filter(
        label="评价等级",
        choices=[(BAD, "差评（不满意及以下）"), *Level.choices],
        empty_label="全部等级",
        method=_level,
        help_text=f"评价等级：{LEVEL_HELP}",
    )
    channel = choice_filter(
        label="评价渠道",
        choices=Channel.choices,
        empty_label="全部渠道",
        field_name="channel",
        help_text=f"评价渠道：{CHANNEL_HELP}",
    )
    date_from = date_filter(
        label="评价日期起", field_name="evaluated_at", lookup_expr="date__gte", help_text="评价日期起（含）"
    )
    date_to = date_filter(
        label="评价日期止", field_name="evaluated_at", lookup_expr="date__lte", help_text="评价日期止（含）"
    )
    project_no = django_filters.CharFilter(label="办件编号", field_name="record__project_no", help_text="办件编号")
    # The slices of the analytics pages, so that every figure drills down to its ratings.
    window_code = text_filter(label="窗口编码", field_name="record__window__code", help_text="窗口编码")
    staff_no = text_filter(label="工号", field_name="staff__staff_no", help_text="工作人员工号")
    item_code = text_filter(label="事项编码", field_name="record__item__code", help_text="事项实施编码")
    system = django_filters.NumberFilter(
        label="业务系统", field_name="record__system_id", help_text="推送办件的业务系统编号"
    )
    invalid = FlagFilter(
        label="仅无效评价",
        q=Q(case__state="invalidated"),
        help_text="仅经审核认定无效的评价（true / false）；无效评价不计入好评率、差评率",
    )

    class Meta(FilterSet.Meta):
        model = Evaluation
        fields: list[str] = []
