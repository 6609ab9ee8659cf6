"""Supervisors edit the Chinese message templates; future messages use the new text."""

from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.notifications.models import MessageTemplate, Notification
from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import push, rate, step

EDIT = reverse("console:message_template_edit", kwargs={"code": "case_feedback"})


def bad_case(cast):
    """A bad rating's rectification case (pending verification)."""
    return rate(push(cast, "SCJG-CASE-1"), 1, text="窗口工作人员态度生硬").case


def test_the_list_shows_every_template_with_its_variables(cast):
    page = login(Client(), cast, "supervisor").get(reverse("console:message_templates")).content.decode()
    assert "case_feedback" in page and "sms_code" in page and "{number}" in page


def test_an_edit_changes_the_next_feedback_sms_and_is_audited(cast):
    client = login(Client(), cast, "supervisor")
    body = "【石龙区政务服务】工单{number}已整改：{text}。感谢您的监督！"
    r = client.post(EDIT, {"title": "差评整改结果反馈", "body": body, "is_active": "on"})
    assert r.status_code == 302
    event = AuditEvent.objects.get(action="notifications:template:updated")
    assert event.data["after"]["body"] == body and "您对" in event.data["before"]["body"]
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY)
    step(cast, "admin_a", case, Action.FEED_BACK, text="已调整窗口排班")
    sms = Notification.objects.get(template_code="case_feedback")
    assert sms.body == f"【石龙区政务服务】工单{case.number}已整改：已调整窗口排班。感谢您的监督！"


def test_unknown_variables_and_empty_bodies_are_refused_in_chinese(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(EDIT, {"title": "x", "body": "您的身份证号 {id_number}", "is_active": "on"})
    assert r.status_code == 200 and "不支持的变量：{id_number}" in r.content.decode()
    r = client.post(EDIT, {"title": "x", "body": "", "is_active": "on"})
    assert r.status_code == 200
    assert MessageTemplate.objects.get(code="case_feedback").body.startswith("【石龙区政务服务】您对")


def test_a_disabled_template_sends_nothing(cast):
    login(Client(), cast, "supervisor").post(EDIT, {"title": "t", "body": "【石龙区政务服务】{number}"})
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY)
    step(cast, "admin_a", case, Action.FEED_BACK, text="已整改")
    assert not Notification.objects.filter(template_code="case_feedback").exists()


def test_templates_of_other_apps_keep_their_own_variables(cast):
    from haochaping.outreach.models import Demand  # noqa: F401  (its migration ships demand_reply)

    url = reverse("console:message_template_edit", kwargs={"code": "demand_reply"})
    template = MessageTemplate.objects.get(code="demand_reply")
    client = login(Client(), cast, "supervisor")
    r = client.post(url, {"title": template.title, "body": template.body + "（本短信无需回复）", "is_active": "on"})
    assert r.status_code == 302
    r = client.post(url, {"title": template.title, "body": "{id_number}", "is_active": "on"})
    assert r.status_code == 200 and "不支持的变量" in r.content.decode()
