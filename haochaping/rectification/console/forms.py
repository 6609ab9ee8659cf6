"""Forms of the case pages: the work queue's filter bar and one form per workflow step."""

from __future__ import annotations

from django import forms
from django.conf import settings

from haochaping.core.filters import FilterForm
from haochaping.core.pages.filters import DateInput
from haochaping.core.workflow import Transition
from haochaping.organizations.models import Unit
from haochaping.rectification.attachments import ALLOWED as ALLOWED_ATTACHMENTS
from haochaping.rectification.attachments import MAX_FILES as MAX_ATTACHMENTS
from haochaping.rectification.filters import CaseFilter
from haochaping.rectification.models import CaseState
from haochaping.rectification.services import MAX_TEXT
from haochaping.rectification.workflow import Action


class CaseQueueForm(FilterForm):
    """The work queue's filter bar (the form of ``CaseQueueFilter``); the tab (a preset of
    states) rides along as a hidden field."""

    tab = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "tab")


class CaseQueueFilter(CaseFilter):
    """``CaseFilter`` on the work queue: the state choices are the tab's states (none with a
    single-state tab), and a unit without sub-units has no unit to choose."""

    class Meta(CaseFilter.Meta):
        form = CaseQueueForm

    def __init__(self, data, queryset=None, *, units: list[Unit], states: list[str]):
        super().__init__(data, queryset, units=units)
        fields = self.form.fields
        del fields["open_only"]  # the tabs say which cases are open
        del fields["service_no"]  # an API refinement of project_no; staff search by number
        fields["overdue"].widget = forms.CheckboxInput()
        if len(states) > 1:
            fields["state"].empty_label = "本栏全部状态"
            fields["state"].choices = [(s, CaseState(s).label) for s in states]
        else:
            del fields["state"]
        if len(units) <= 1:
            del fields["unit_code"]  # a unit without sub-units: nothing to choose


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def attachment_limits() -> str:
    """The upload rules, as shown under every file input."""
    kinds = "、".join(sorted({ext.lstrip(".") for ext in ALLOWED_ATTACHMENTS}))
    size = settings.CASE_ATTACHMENT_MAX_BYTES / (1024 * 1024)
    return f"支持 {kinds}；单个文件不超过 {size:g} MB，一次最多 {MAX_ATTACHMENTS} 个"


NEGATIVE_ACTIONS = frozenset({Action.REJECT_INVALID, Action.REJECT_EXTENSION, Action.CALLBACK_UNSATISFIED})


class StepForm(forms.Form):
    """One workflow step (a row of ``workflow.TRANSITIONS``) as a form on the case page.

    It only parses input; whether the step is allowed and complete is decided by
    ``rectification.services.case_transition``, whose Chinese field errors are added back here.
    Field names are the same for every step; ids carry the action so several forms can share
    one page.
    """

    action = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3}))
    new_due = forms.DateField(required=False, widget=DateInput())
    files = MultipleFileField(required=False)

    def __init__(self, transition: Transition, data=None, files=None, *, requested_due=None, text: str = ""):
        initial = {"action": transition.action, "text": text}  # ``text``: a prefill the user may edit
        super().__init__(data, files, auto_id=f"id_{transition.action.value}_%s", initial=initial)
        self.transition = t = transition
        text = self.fields["text"]
        text.label = t.text_label if t.needs_text else f"{t.text_label}（选填）"
        text.widget.attrs.update({"maxlength": MAX_TEXT, "placeholder": f"请填写{t.text_label}"})
        if t.needs_text:
            text.widget.attrs["required"] = True
        if t.needs_date:
            due = self.fields["new_due"]
            due.label = "申请延期至" if t.action == Action.REQUEST_EXTENSION else "新的整改期限"
            due.widget.attrs["required"] = True
            if requested_due is not None:
                due.initial = requested_due
                due.help_text = f"申请延期至 {requested_due:%Y-%m-%d}，可修改"
        else:
            del self.fields["new_due"]
        files_field = self.fields["files"]
        files_field.label = "证明材料" if t.needs_attachment else "附件（选填）"
        files_field.help_text = attachment_limits()
        files_field.widget.attrs["accept"] = ",".join(sorted(ALLOWED_ATTACHMENTS))
        if t.needs_attachment:
            files_field.widget.attrs["required"] = True

    @property
    def is_negative(self) -> bool:
        """A refusal or a return (shown as a red button)."""
        return self.transition.action in NEGATIVE_ACTIONS


STATEMENT = "statement"  # the posted ``action`` of the clerk's 情况说明 form


class StatementForm(forms.Form):
    """A window clerk's 情况说明 on a case about their own service (``case_statement_add``)."""

    action = forms.CharField(widget=forms.HiddenInput, initial=STATEMENT)
    text = forms.CharField(
        label="情况说明",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": MAX_TEXT,
                "required": True,
                "placeholder": "请如实说明当时的办理情况（如办理经过、未能当场办结的原因），供单位核实时参考",
            }
        ),
    )
    files = MultipleFileField(required=False, label="附件（选填）")

    def __init__(self, data=None, files=None):
        super().__init__(data, files, auto_id="id_statement_%s")
        files_field = self.fields["files"]
        files_field.help_text = attachment_limits()
        files_field.widget.attrs["accept"] = ",".join(sorted(ALLOWED_ATTACHMENTS))
