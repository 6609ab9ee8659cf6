"""The first automatic category suggestion (jieba tokens + the shipped keyword tables)."""

import pytest

from haochaping.outreach.classify import phrases, suggest
from haochaping.outreach.models import DemandCategory
from haochaping.outreach.services.demands import active_categories

# Realistic texts as citizens write them, and the category a supervisor would pick.
TEXTS = [
    ("办理食品经营许可证要求提交的材料太多了，同一份营业执照复印件重复提交了三次", "materials"),
    ("窗口工作人员态度很差，问两句就不耐烦，还大声训斥老人", "attitude"),
    ("早上八点来排队，等了三个多小时才轮到我，效率太低了", "timeliness"),
    ("网上办事大厅登录不上，换了好几个浏览器都打不开页面", "platform-web"),
    ("微信小程序上传照片一直失败，手机上根本办不了", "platform-mobile"),
    ("大厅停车位太少，每次来办事都找不到地方停车", "facilities"),
    ("请问灵活就业人员的社保补贴申领需要什么条件？", "policy"),
    ("办理营业执照时有工作人员暗示要给好处费才能加快，我要举报", "complaint-integrity"),
    ("上午十点去窗口，工作人员不在岗，等了一个小时也没人，这是故意刁难", "complaint-conduct"),
    ("感谢社保窗口的王晓红同志，耐心细致地帮我解决了问题，特此表扬", "feedback-praise"),
    ("建议在大厅增设老年人专用窗口，希望能简化一下退休审批流程", "feedback-suggestion"),
    ("办个证跑了好几趟，每次都说少一个环节，流程太复杂了", "process"),
    ("补办证件被多收了工本费，而且没有给发票", "fees"),
    ("我要投诉！窗口之间推诿扯皮，谁都说不归自己管", "complaint-conduct"),
]


@pytest.mark.parametrize(("text", "expected"), TEXTS, ids=[code for _, code in TEXTS])
def test_a_realistic_text_gets_the_category_a_supervisor_would_pick(text, expected):
    suggestion = suggest(text, active_categories())
    assert suggestion is not None
    assert suggestion.code == expected, (suggestion.code, suggestion.matched)
    assert suggestion.matched  # the words that decided it are shown to the supervisor


def test_the_suggestion_is_deterministic():
    categories = active_categories()
    results = {suggest("网上办事大厅登录不上，页面打不开，材料也上传不了", categories) for _ in range(5)}
    assert len(results) == 1


def test_a_text_without_any_keyword_gets_no_suggestion():
    assert suggest("你好", active_categories()) is None
    assert suggest("", active_categories()) is None


def test_keywords_match_runs_of_tokens_within_a_clause_only():
    grams = phrases("办个证跑了好几趟，每次都说少一个环节")
    assert "跑了好几趟" in grams  # 跑 / 了 / 好几趟
    assert "好几趟每次" not in grams  # never across the comma


def test_an_edited_keyword_table_changes_future_suggestions_and_inactive_categories_are_skipped():
    text = "大厅里没有饮水机，夏天太热"
    assert suggest(text, active_categories()).code == "facilities"
    DemandCategory.objects.filter(code="facilities").update(is_active=False)
    assert suggest(text, active_categories()) is None
    DemandCategory.objects.filter(code="other").update(keywords=[["饮水机", 2], "太热"])
    assert suggest(text, active_categories()).code == "other"
