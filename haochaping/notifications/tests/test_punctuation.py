"""Staff text that ends in punctuation is never followed by a second mark from the template."""

from __future__ import annotations

import re

import pytest
from django.db import transaction

from haochaping.notifications.models import MessageTemplate
from haochaping.notifications.rendering import render_text
from haochaping.notifications.services import notification_queue

from .conftest import PHONE

pytestmark = pytest.mark.django_db

DOUBLED = re.compile(r"[。！？；，、…!?;,.][。！？；，、!?;,.]")
SENTENCE_ENDINGS = ["！", "。", "？", "…", "……", "!", "?", "."]
CLAUSE_ENDINGS = ["；", "，", "、", ";", ","]


@pytest.mark.parametrize("ending", SENTENCE_ENDINGS)
def test_a_sentence_ending_of_the_staff_text_replaces_the_templates_mark(ending):
    text = "已整改，感谢您的监督" + ending
    assert render_text("已办理：{text}。详见我的评价", {"text": text}) == f"已办理：{text}详见我的评价"
    assert render_text("被退回：{text}，请重新分派", {"text": text}) == f"被退回：{text}请重新分派"


@pytest.mark.parametrize("ending", CLAUSE_ENDINGS)
def test_a_clause_ending_of_the_staff_text_gives_way_to_the_templates_mark(ending):
    text = "已整改，详见附件" + ending
    assert render_text("已办理：{text}。详见我的评价", {"text": text}) == "已办理：已整改，详见附件。详见我的评价"


def test_text_without_an_ending_keeps_the_templates_mark_and_other_placeholders_are_untouched():
    assert render_text("已办理：{text}。{number}。", {"text": "已整改 ", "number": "GD1"}) == "已办理：已整改 。GD1。"
    assert render_text("{text}。", {"text": "已整改！  "}) == "已整改！"
    assert render_text("{{text}}。{text}", {"text": "好。"}) == "{text}。好。"
    assert render_text("{missing}。", {}) == "{missing}。"


def test_no_template_doubles_the_mark_after_any_text_placeholder():
    """Every template, shipped or installed by another app, with every text variable ending in a mark."""
    templates = list(MessageTemplate.objects.all())
    assert len(templates) >= 10
    for template in templates:
        for ending in SENTENCE_ENDINGS + CLAUSE_ENDINGS:
            context = {name: "说明" + ending for name in re.findall(r"\{(\w+)\}", template.title + template.body)}
            title, body = template.render(context)
            assert not DOUBLED.search(title + body), (template.code, ending, body)


@pytest.mark.parametrize(
    ("staff_text", "sms_text"),
    [("已调整窗口排班，感谢您的监督！", "已调整窗口排班，感谢您的监督！"), ("感谢监督。", "感谢监督。")],
)
def test_the_feedback_sms_reads_right_and_the_provider_gets_the_text_without_its_final_mark(staff_text, sms_text):
    context = {"item": "食品经营许可（新办）", "number": "GD1", "text": staff_text, "url": "http://x/m/a"}
    with transaction.atomic():
        sms = notification_queue(template="case_feedback", to_phone=PHONE, context=context)
    assert f"{sms_text}。" not in sms.body
    assert sms_text in sms.body
    assert "！。" not in sms.body and "。。" not in sms.body
    # Aliyun fills its own copy of the template ("…${text}。…"): there the value ends without a mark.
    assert sms.template_params["text"] == staff_text[:-1]
