"""The filter bar of the rating list."""

from __future__ import annotations

from django import forms

from haochaping.core.pages.filters import ListFilterForm
from haochaping.evaluations.choices import Channel, Level

BAD = "bad"


class EvaluationFilterForm(ListFilterForm):
    level = forms.ChoiceField(
        label="评价等级",
        required=False,
        choices=[("", "全部等级"), (BAD, "差评（不满意及以下）")] + [(str(v), label) for v, label in Level.choices],
    )
    channel = forms.TypedChoiceField(
        label="评价渠道", required=False, coerce=int, empty_value=None, choices=[("", "全部渠道"), *Channel.choices]
    )
    field_order = ["unit", "level", "channel", "date_from", "date_to"]

    def __init__(self, data, *, units):
        super().__init__(data, units=units)
        self.fields["date_from"].label = "评价日期起"
        self.fields["date_to"].label = "评价日期止"
