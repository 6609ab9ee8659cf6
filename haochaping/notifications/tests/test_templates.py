"""Message templates: shipped defaults, Chinese rendering, placeholders that never crash."""

from __future__ import annotations

import importlib

import pytest
from django.db import transaction

from haochaping.notifications.defaults import DEFAULT_TEMPLATES
from haochaping.notifications.models import Channel, MessageTemplate, Notification
from haochaping.notifications.rendering import placeholders, render_text
from haochaping.notifications.services import notification_queue

from .conftest import FEEDBACK_CONTEXT, PHONE

pytestmark = pytest.mark.django_db


def test_the_default_templates_are_shipped_by_the_data_migration():
    rows = {t.code: t for t in MessageTemplate.objects.all()}
    assert set(rows) >= {
        "case_feedback",
        "case_review_requested",
        "case_returned",
        "case_deadline_warning",
        "case_escalated",
        "sms_code",
        "rating_invitation",
    }
    sms = {code for code, t in rows.items() if t.channel == Channel.SMS}
    assert sms >= {"case_feedback", "rating_invitation", "sms_code"}  # other apps ship their own too
    for code in sms:
        assert rows[code].body.startswith("【石龙区政务服务】")
    assert all(t.is_active for t in rows.values())


def _migration(name: str):
    return importlib.import_module(f"haochaping.notifications.migrations.{name}")


CASE_MESSAGES = "0004_case_messages_say_what_happens_next"
FEEDBACK_SMS = "0005_feedback_sms_links_to_my_ratings"
STATEMENT = "0006_case_statement_message"
SUPERVISION = "0008_escalation_message_and_supervision_digest"


def test_the_migrations_and_the_code_ship_the_same_defaults():
    """0002's frozen copy, with the changes and additions of 0004–0008 applied, is ``defaults.py``."""
    shipped = {
        code: (channel, title, body)
        for code, channel, title, body in _migration("0002_load_default_templates").DEFAULTS
    }
    later = _migration(CASE_MESSAGES)
    for code, (old, new) in later.CHANGED.items():
        assert shipped[code][1:] == old
        shipped[code] = (shipped[code][0], *new)
    for code, channel, title, body in later.ADDED:
        assert code not in shipped
        shipped[code] = (channel, title, body)
    feedback = _migration(FEEDBACK_SMS)
    channel, title, body = shipped["case_feedback"]
    assert body == feedback.OLD
    shipped["case_feedback"] = (channel, title, feedback.NEW)
    statement = _migration(STATEMENT)
    assert statement.CODE not in shipped
    shipped[statement.CODE] = (statement.CHANNEL, statement.TITLE, statement.BODY)
    supervision = _migration(SUPERVISION)
    for code, (old, new) in supervision.CHANGED.items():
        assert shipped[code][1:] == old
        shipped[code] = (shipped[code][0], *new)
    for code, channel, title, body in supervision.ADDED:
        assert code not in shipped
        shipped[code] = (channel, title, body)
    assert shipped == {code: (channel, title, body) for code, channel, title, body in DEFAULT_TEMPLATES}


def test_the_case_message_migration_updates_only_rows_nobody_edited():
    from django.apps import apps

    later = _migration(CASE_MESSAGES)
    later.backwards(apps, None)  # the database as 0002 left it
    assert not MessageTemplate.objects.filter(code__in=[code for code, *_ in later.ADDED]).exists()
    assert MessageTemplate.objects.get(code="case_returned").title == "工单待处理：{action}"
    MessageTemplate.objects.filter(code="case_deadline_warning").update(body="工单 {number} {due} 到期（本区自定）")
    MessageTemplate.objects.create(
        code="case_invalid_rejected", channel=Channel.INAPP, title="自定", body="自定 {number}"
    )
    later.forwards(apps, None)
    rows = {t.code: t for t in MessageTemplate.objects.all()}
    assert rows["case_returned"].title == "回访不满意，工单退回整改"  # still the shipped text: updated
    assert rows["case_deadline_warning"].body == "工单 {number} {due} 到期（本区自定）"  # edited: kept
    assert (rows["case_invalid_rejected"].title, rows["case_invalid_rejected"].body) == ("自定", "自定 {number}")
    assert rows["case_extension_approved"].title == "延期申请已同意"


def test_the_supervision_migration_updates_only_rows_nobody_edited_and_adds_the_digest():
    from django.apps import apps

    later = _migration(SUPERVISION)
    later.backwards(apps, None)
    assert not MessageTemplate.objects.filter(code="supervision_digest").exists()
    assert MessageTemplate.objects.get(code="case_escalated").body == "工单 {number}（{unit}）已逾期，已督办至 {to}。"
    later.forwards(apps, None)
    assert MessageTemplate.objects.get(code="case_escalated").title == "工单逾期，已列入督办"
    assert MessageTemplate.objects.get(code="supervision_digest").channel == Channel.INAPP
    later.backwards(apps, None)
    MessageTemplate.objects.filter(code="case_escalated").update(body="工单 {number} 逾期（本区自定）")
    later.forwards(apps, None)
    assert MessageTemplate.objects.get(code="case_escalated").body == "工单 {number} 逾期（本区自定）"  # edited: kept


def test_the_feedback_sms_reads_like_a_government_sms():
    _, body = MessageTemplate.objects.get(code="case_feedback").render(FEEDBACK_CONTEXT)
    assert body == (
        "【石龙区政务服务】您对“食品经营许可（新办）”的评价已有整改反馈："
        "已对窗口人员进行批评教育。查看详情：http://127.0.0.1:8000/m/1.2.x"
    )


def test_the_in_app_templates_render_the_case_context():
    title, body = MessageTemplate.objects.get(code="case_review_requested").render(
        {"number": "GD202611300001", "unit": "区市场监督管理局", "action": "申请延期"}
    )
    assert (title, body) == ("待审核：申请延期", "工单 GD202611300001（区市场监督管理局）申请延期，请审核。")
    # The unit's admins read it (the supervisors get the daily digest): what happened, what to do.
    title, body = MessageTemplate.objects.get(code="case_escalated").render(
        {"number": "GD1", "unit": "区市场监督管理局", "to": "平顶山市石龙区"}
    )
    assert (title, body) == (
        "工单逾期，已列入督办",
        "工单 GD1 已逾期，已列入 平顶山市石龙区 督办：请立即办理，尽快核实、整改并提交整改结果；"
        "确有困难的，请申请延期并说明理由。",
    )


def test_a_missing_placeholder_stays_visible_instead_of_failing():
    assert render_text("工单 {number} 将于 {due} 到期", {"number": "GD1"}) == "工单 GD1 将于 {due} 到期"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("工单 {number} 有一个 { 孤立的括号", "工单 GD1 有一个 { 孤立的括号"),
        ("位置参数 {0} 与 {number}", "位置参数 {0} 与 GD1"),
        ("属性 {number.__class__} 与 {number}", "属性 {number.__class__} 与 GD1"),
        ("格式 {number:%} 与 {number}", "格式 {number:%} 与 GD1"),
        ("嵌套 {number[0]} 与 {number}", "嵌套 {number[0]} 与 GD1"),
        ("", ""),
    ],
)
def test_a_broken_template_renders_what_it_can_and_never_raises(text, expected):
    assert render_text(text, {"number": "GD1"}) == expected


def test_context_values_are_plain_so_a_template_cannot_reach_into_objects():
    class Secretive:
        secret = "不应出现"

        def __str__(self):
            return "对象"

    assert render_text("{obj} {obj.secret}", {"obj": Secretive()}) == "对象 {obj.secret}"


def test_placeholders_are_listed_in_order_of_first_use():
    body = MessageTemplate.objects.get(code="case_feedback").body
    assert placeholders(body) == ["item", "text", "url"]
    assert placeholders("{a}{b.c}{a}{d[0]}") == ["a", "b", "d"]
    assert placeholders("{ 孤立") == []


def test_editing_a_template_changes_future_messages_only():
    with transaction.atomic():
        first = notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)
    MessageTemplate.objects.filter(code="case_feedback").update(body="【石龙区政务服务】新版本：{text}")
    with transaction.atomic():
        second = notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)
    first.refresh_from_db()
    assert "已有整改反馈" in first.body
    assert second.body == "【石龙区政务服务】新版本：已对窗口人员进行批评教育"
    assert second.template_params == {"text": "已对窗口人员进行批评教育"}


def test_a_disabled_template_queues_nothing():
    MessageTemplate.objects.filter(code="case_feedback").update(is_active=False)
    with transaction.atomic():
        assert notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT) is None
    assert not Notification.objects.exists()


def test_a_shipped_template_whose_row_is_gone_falls_back_to_the_default():
    MessageTemplate.objects.filter(code="case_feedback").delete()
    with transaction.atomic():
        message = notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)
    assert message.body.startswith("【石龙区政务服务】您对“食品经营许可（新办）”的评价")


def test_an_unknown_template_code_is_a_programming_error():
    with pytest.raises(LookupError), transaction.atomic():
        notification_queue(template="case_feedbak", to_phone=PHONE, context={})
