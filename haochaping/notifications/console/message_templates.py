"""Supervisors edit the Chinese message templates (SMS and in-app): the list and one template."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from haochaping.audit.services import Actor
from haochaping.core.errors import PermissionDenied, ValidationFailed
from haochaping.core.pages.forms import add_service_errors
from haochaping.notifications.selectors import message_template_get, message_template_list, template_variables
from haochaping.notifications.services import template_update
from haochaping.organizations.models import Role
from haochaping.organizations.pages import console_page


class TemplateForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200, required=False)
    body = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 4}))
    is_active = forms.BooleanField(label="启用", required=False)


def _require_supervisor(scope) -> None:
    if scope.role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以修改消息模板")


@console_page
def template_list(request, scope):
    _require_supervisor(scope)
    templates = message_template_list()
    return render(request, "notifications/message_templates.html", {"templates": templates, "nav": "templates"})


@console_page
def template_edit(request, scope, code: str):
    _require_supervisor(scope)
    template = message_template_get(code=code)
    form = TemplateForm(request.POST or None, initial={"title": template.title, "body": template.body,
                                                      "is_active": template.is_active})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            template_update(actor=Actor.for_user(request.user), code=code, **form.cleaned_data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已保存模板“{template.title or code}”，此后发送的消息使用新内容")
            return redirect("console:message_templates")
    context = {"template": template, "form": form, "variables": template_variables(code), "nav": "templates"}
    return render(request, "notifications/message_template_edit.html", context)
