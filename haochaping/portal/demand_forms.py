"""The public demand form (诉求/意见建议) and the tracking lookup: friendly first-line checks.

``outreach.services.demands.demand_submit`` stays the authority: it validates again and its
errors are shown on the same fields. ``website`` is a honeypot: hidden from people (CSS, not
announced, not focusable), filled only by robots that fill every field.
"""

from __future__ import annotations

from django import forms

from haochaping.outreach.selectors import category_tree, demand_reply_limits
from haochaping.outreach.services.demands import MAX_CONTENT, MIN_CONTENT

HONEYPOT = "website"
INDENT = "\u3000"


class DemandForm(forms.Form):
    category_code = forms.ChoiceField(label="问题类别", required=False)
    content = forms.CharField(
        label="您要反映的问题或建议",
        min_length=MIN_CONTENT,
        max_length=MAX_CONTENT,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MAX_CONTENT}),
        error_messages={
            "required": "请填写您要反映的问题或建议",
            "min_length": f"请再具体描述一下（至少 {MIN_CONTENT} 个字）",
            "max_length": f"内容不能超过 {MAX_CONTENT} 字",
        },
    )
    contact_name = forms.CharField(label="您的姓名", max_length=50, error_messages={"required": "请填写您的姓名"})
    contact_phone = forms.CharField(
        label="手机号码", max_length=20, error_messages={"required": "请填写手机号码，答复将以短信发送给您"}
    )
    project_no = forms.CharField(label="相关办件编号", required=False, max_length=50)
    consent = forms.BooleanField(
        label="我同意将姓名和手机号码用于办理和答复本次诉求（依法保密，不向被反映的单位和个人透露）",
        error_messages={"required": "请勾选同意，以便我们联系和答复您"},
    )
    website = forms.CharField(required=False, label="请勿填写")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tree = category_tree(active_only=True)
        # The time limits the page promises, from the categories themselves (one source).
        self.limits = demand_reply_limits([c for c, _ in tree])
        self.fields["category_code"].choices = [("", "不确定（由工作人员分类）")] + [
            (c.code, INDENT * depth + f"{c.name}（{c.days} 个工作日）") for c, depth in tree
        ]
        self.fields["content"].widget.attrs["placeholder"] = "请写明办理的事项、时间、地点和遇到的问题，或您的意见建议"
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["project_no"].widget.attrs["placeholder"] = "选填，见办件回执或短信"
        self.fields[HONEYPOT].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def trapped(self) -> bool:
        """A robot filled the hidden field."""
        return bool((self.data.get(HONEYPOT) or "").strip())

    @property
    def error_summary(self) -> list[tuple[str, str, str]]:
        out = []
        for name, errors in self.errors.items():
            if name == "__all__":
                out += [("", "", e) for e in errors]
            elif name != HONEYPOT:
                out += [(self[name].id_for_label, self.fields[name].label, e) for e in errors]
        return out


class TrackForm(forms.Form):
    number = forms.CharField(label="受理编号", max_length=30, error_messages={"required": "请填写受理编号"})
    code = forms.CharField(label="查询码", max_length=10, error_messages={"required": "请填写查询码"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs.update(
            {"placeholder": "如 SQ20261009000123", "autocapitalize": "characters"}
        )
        self.fields["code"].widget.attrs.update(
            {"placeholder": "6 位数字", "inputmode": "numeric", "autocomplete": "off"}
        )


class SatisfactionForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label="您对办理结果是否满意",
        choices=[("satisfied", "满意"), ("basic", "基本满意"), ("unsatisfied", "不满意")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择您对办理结果的满意程度"},
    )
    comment = forms.CharField(
        label="还想说的（选填）",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
