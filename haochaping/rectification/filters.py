"""The filters of the case lists: ``GET /api/v1/cases`` and the console's work queue.

The parameter names are a contract with integrators (docs/subsystems/api.md).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q

from haochaping.core.filters import FilterSet, FlagFilter, IntegerFilter, choice_filter, text_filter, unit_path_filter
from haochaping.rectification.models import OPEN_STATES, CaseState, RectificationCase


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
    open_only = FlagFilter(label="仅未办结", q=Q(state__in=OPEN_STATES), help_text="仅未办结的工单（true / false）")

    class Meta(FilterSet.Meta):
        model = RectificationCase
        fields: list[str] = []
