"""Console forms of the outreach pages (call lists, demands, categories, reports).

Forms only parse; ``outreach.services`` decides what is allowed and complete, and its Chinese
field errors are added back to the forms. Unit choices come from the caller's scope.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from haochaping.core.pages.filters import GetFilterForm, unit_choices
from haochaping.evaluations.choices import Level
from haochaping.organizations.models import Unit
from haochaping.outreach.choices import (
    CALL_OUTCOMES,
    CALLBACK_OUTCOME_LABELS,
    CALLBACK_SATISFACTION,
    CategoryKind,
    DemandSource,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.outreach.models import DemandCategory
from haochaping.outreach.selectors import category_tree
from haochaping.outreach.services.demands import MAX_CONTENT


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def category_choices(*, blank: str = "不选（系统自动建议）", active_only: bool = True) -> list[tuple[str, str]]:
    return [("", blank)] + [(c.code, "\u3000" * depth + c.name) for c, depth in category_tree(active_only=active_only)]


# --- call lists ------------------------------------------------------------------------------


class TaskFilterForm(GetFilterForm):
    kind = forms.ChoiceField(label="清单", required=False, choices=[("", "全部清单"), *TaskKind.choices])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *TaskStatus.choices])
    unit = forms.ChoiceField(label="责任单位", required=False)
    mine = forms.BooleanField(label="只看指定给我的", required=False)

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data)
        self.fields["unit"].choices = unit_choices(units)


class CallForm(forms.Form):
    """The result of one call; which fields apply depends on the list (callback or invitation)."""

    outcome = forms.ChoiceField(label="通话结果", widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(
        label="对整改（办理）结果的满意度",
        required=False,
        widget=forms.RadioSelect,
        choices=[(s.value, s.label) for s in CALLBACK_SATISFACTION],
    )
    level = forms.TypedChoiceField(
        label="群众给出的评价等级",
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=[(level.value, level.label) for level in sorted(Level, reverse=True)],
    )
    rating_text = forms.CharField(
        label="群众原话（作为评价内容）",
        required=False,
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "maxlength": 500, "placeholder": "逐字记录群众的原话；不得加入回访员本人的看法"}
        ),
    )
    notes = forms.CharField(
        label="回访记录", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
    )
    next_attempt_at = forms.DateTimeField(
        label="下次拨打时间",
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="无人接听时填写；不填则两小时后再拨",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, auto_id="id_call_%s", **kwargs)
        self.kind = kind
        labels = {o.value: o.label for o in CALL_OUTCOMES}
        if kind != TaskKind.INVITATION_UNRATED:
            labels.update({o.value: label for o, label in CALLBACK_OUTCOME_LABELS.items()})
            del self.fields["level"], self.fields["rating_text"]
            self.fields["notes"].label = "回访记录（群众意见）"
            self.fields["notes"].widget.attrs["placeholder"] = "记录群众对整改（办理）结果的意见；不满意的须写明原因"
        else:
            del self.fields["satisfaction"]
            self.fields["notes"].label = "通话备注（内部）"
            self.fields["notes"].widget.attrs["placeholder"] = "如：约定下午再联系、群众选择短信评价等"
        self.fields["outcome"].choices = [(o.value, labels[o.value]) for o in CALL_OUTCOMES]

    def clean_next_attempt_at(self):
        value = self.cleaned_data.get("next_attempt_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class AssignTaskForm(forms.Form):
    operator = forms.TypedChoiceField(label="指定回访员", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [("", "不指定（所有回访员均可拨打）")] + [
            (u.pk, f"{u.first_name or u.get_username()}（{u.get_username()}）") for u in operators
        ]


# --- demands ---------------------------------------------------------------------------------


class DemandFilterForm(GetFilterForm):
    tab = forms.CharField(required=False, widget=forms.HiddenInput)
    number = forms.CharField(label="受理编号", required=False, max_length=30)
    category = forms.ChoiceField(label="分类", required=False)
    source = forms.ChoiceField(label="来源", required=False, choices=[("", "全部来源"), *DemandSource.choices])
    unit = forms.ChoiceField(label="承办单位", required=False)

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data)
        self.fields["category"].choices = category_choices(blank="全部分类", active_only=False)
        if len(units) > 1:
            self.fields["unit"].choices = unit_choices(units)
        else:
            del self.fields["unit"]

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "tab")


class DemandIntakeForm(forms.Form):
    """A demand taken by phone, or a rating promoted to a demand."""

    category_code = forms.ChoiceField(label="分类", required=False)
    content = forms.CharField(
        label="诉求内容", max_length=MAX_CONTENT, widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_CONTENT})
    )
    contact_name = forms.CharField(label="联系人姓名", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    project_no = forms.CharField(label="相关办件编号", required=False, max_length=50)

    def __init__(self, *args, with_contact: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_code"].choices = category_choices()
        self.fields["content"].widget.attrs["placeholder"] = "按群众原话记录反映的问题、诉求或建议"
        if not with_contact:  # a promoted rating: the evaluator's contact is taken from the rating
            del self.fields["contact_name"], self.fields["contact_phone"], self.fields["project_no"]


class AssignDemandForm(forms.Form):
    unit = forms.ChoiceField(label="承办单位")
    category_code = forms.ChoiceField(label="分类", required=False)
    days = forms.IntegerField(
        label="办理时限（工作日）",
        required=False,
        min_value=1,
        max_value=60,
        help_text="不填按分类默认时限；自受理之日起按工作日计算（节假日顺延）",
    )
    text = forms.CharField(
        label="分派说明（选填）", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, units: list[Unit], **kwargs):
        super().__init__(*args, auto_id="id_assign_%s", **kwargs)
        self.fields["unit"].choices = [("", "请选择承办单位"), *unit_choices(units)[1:]]
        self.fields["category_code"].choices = category_choices(blank="保持当前分类")


class DemandTextForm(forms.Form):
    """Return, reply, invalidate: one text."""

    text = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}))

    def __init__(self, *args, action: str, label: str, **kwargs):
        super().__init__(*args, auto_id=f"id_{action}_%s", **kwargs)
        self.fields["text"].label = label


class CloseDemandForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label="群众对办理结果的满意度", widget=forms.RadioSelect, choices=Satisfaction.choices
    )
    text = forms.CharField(
        label="回访情况", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="id_close_%s", **kwargs)


class CategoryForm(forms.Form):
    code = forms.SlugField(label="编码", max_length=40, help_text="小写字母、数字和连字符，创建后不可修改")
    name = forms.CharField(label="名称", max_length=50)
    parent = forms.ChoiceField(label="上级分类", required=False)
    kind = forms.ChoiceField(
        label="类型", choices=CategoryKind.choices, help_text="“投诉”类诉求答复后自动进入投诉回访清单"
    )
    days = forms.IntegerField(label="办理时限（工作日）", min_value=1, max_value=60)
    keywords = forms.CharField(
        label="关键词",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行或以空格、逗号分隔一个词；“词:权重”提高权重，如“乱收费:3”。用于自动建议分类。",
    )
    sort_order = forms.IntegerField(label="排序", min_value=0, max_value=9999, initial=100)
    is_active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, editing: DemandCategory | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "（顶级分类）")] + [
            (c.code, "\u3000" * depth + c.name) for c, depth in category_tree() if editing is None or c.pk != editing.pk
        ]
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
