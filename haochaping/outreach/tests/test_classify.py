"""The first automatic category suggestion (jieba tokens + the shipped keyword tables)."""

import pytest

from haochaping.outreach.classify import intent, phrases, suggest
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


# Issue 13 item 5: what the citizen does outranks the words they use. Complaints that also
# suggest something, denials, pure suggestions and pure questions, as citizens write them.
MIXED = [
    # complaint + suggestion words: the complaint decides
    ("等了一个多小时，叫号屏坏了没人管，希望增加窗口", "timeliness"),
    ("排队排了两个小时，效率太低，建议多开几个窗口", "timeliness"),
    ("办个证等了三个星期还没办好，希望加快进度", "timeliness"),
    ("说好五个工作日办结，现在两周了还没消息，希望给个说法", "timeliness"),
    ("工作人员态度很差，爱答不理，希望加强培训", "attitude"),
    ("窗口人员上班时间玩手机，不理人，希望管一管", "attitude"),
    ("材料要求一次说不清，让我来回跑了三趟，建议出一个清单", "process"),
    ("网上办事大厅老是登录不上，希望尽快修复", "platform-web"),
    ("小程序上传材料一直失败，应该优化一下", "platform-mobile"),
    ("多收了我二十块钱工本费，也不给发票，希望退还", "fees"),
    ("工作人员暗示给好处费才能快点办，希望严肃处理", "complaint-integrity"),
    ("上午窗口没人，工作人员迟到了半个小时，希望加强管理", "complaint-conduct"),
    ("大厅空调坏了，热得受不了，建议尽快维修", "facilities"),
    ("停车场太小了根本停不下，希望增加停车位", "facilities"),
    ("叫号屏坏了好几天也没人修，建议尽快修好", "facilities"),
    ("服务太差了，希望改进", "complaint"),  # a complaint about nothing the tables know
    # denials: a denied word counts for nothing
    ("不是态度问题，是流程太复杂，同一件事要跑三个窗口", "process"),
    ("不是要投诉，只是建议大厅多放几把椅子", "feedback-suggestion"),
    ("不是投诉哪个人，是网上办事大厅总是登录不上", "platform-web"),
    # pure suggestions (and praise with a wish)
    ("建议在自助服务区多放几台打印机，方便群众自助打印", "feedback-suggestion"),
    ("希望能在周末也开放一两个窗口，方便上班族办事", "feedback-suggestion"),
    ("建议网上办事大厅增加办件进度查询功能", "feedback-suggestion"),
    ("能否在大厅设置母婴室？希望考虑一下", "feedback-suggestion"),
    ("感谢窗口的李师傅耐心讲解，希望继续保持", "feedback-praise"),
    # pure questions
    ("请问办理营业执照变更需要带哪些材料？", "policy"),
    ("请问灵活就业人员的社保补贴在哪里申请？", "policy"),
    ("想咨询一下公积金提取需要什么条件", "policy"),
    ("请问周六大厅上班吗", "policy"),
    # a complaint phrased as a question stays a complaint
    ("为什么让我等了三个小时？", "timeliness"),
]


@pytest.mark.parametrize(("text", "expected"), MIXED, ids=[f"{i}-{code}" for i, (_, code) in enumerate(MIXED)])
def test_complaint_signals_outweigh_suggestion_words(text, expected):
    suggestion = suggest(text, active_categories())
    assert suggestion is not None
    assert suggestion.code == expected, (suggestion.code, suggestion.matched)
    assert suggestion.matched


def test_the_intent_is_complaint_before_question_before_suggestion():
    assert intent("等了一个多小时，叫号屏坏了没人管，希望增加窗口") == "complaint"
    assert intent("为什么让我等了三个小时？") == "complaint"
    assert intent("请问周六大厅上班吗") == "question"
    assert intent("希望能在周末也开放窗口") == "suggestion"
    assert intent("不是要投诉，只是建议大厅多放几把椅子") == "suggestion"  # the denied 投诉 does not count
    assert intent("你好") is None


def test_a_denied_keyword_is_not_among_the_matched_words():
    suggestion = suggest("不是态度问题，是流程太复杂", active_categories())
    assert suggestion.code == "process" and "态度" not in suggestion.matched
    assert "态度" in phrases("不是态度问题") and "态度" not in phrases("不是态度问题", affirmed_only=True)


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
