"""我的评价 (``/my/``, the mobile user centre): services, ratings, case progress and feedback."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.evaluations.models import Evaluation
from haochaping.portal.citizen_data import my_services
from haochaping.portal.tests.factories import MASKED, OTHER_PHONE, PHONE, push, verify
from haochaping.portal.verification import phone_indexes
from haochaping.rectification.workflow import Action
from haochaping.testing_world import rate, step, upload

MY = "/my/"
FEEDBACK = "已对窗口人员进行批评教育，并优化一次性告知清单，感谢您的监督。"


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def history(cast):
    """Four services of the citizen: a fed-back bad rating, an appealed bad rating, a good one,
    an unrated one; and one of somebody else."""
    fed = push(cast, "SCJG-FED")
    case = rate(fed, 1, reasons=["XC-TD-B01"]).case
    case = step(cast, "admin_a", case, Action.VERIFY, text="属实")
    case = step(cast, "admin_a", case, Action.RECTIFY, text="已整改")
    step(cast, "admin_a", case, Action.FEED_BACK, text=FEEDBACK)
    appealed = push(cast, "SCJG-APPEAL")
    appeal = rate(appealed, 2, reasons=["XC-TD-B01"]).case
    step(cast, "admin_a", appeal, Action.REQUEST_INVALID, text="恶意差评，同一号码多次差评", files=[upload()])
    good = push(cast, "SCJG-GOOD")
    rate(good, 5)
    unrated = push(cast, "SCJG-NEW")
    other = push(cast, "SCJG-OTHER", applicant_name="赵明远", applicant_phone=OTHER_PHONE)
    return {"fed": fed, "appealed": appealed, "good": good, "unrated": unrated, "other": other, "case": case}


def test_my_ratings_asks_for_the_phone_first(client):
    html = body(client.get(MY))
    assert "我的评价" in html and "获取验证码" in html and "整改进度" in html


def test_the_citizen_sees_services_ratings_progress_and_feedback(client, cast, history):
    page = verify(client, MY)
    html = body(page)
    assert MASKED in html and "退出 / 更换号码" in html
    # Newest first.
    order = [html.index(f'data-project="{no}"') for no in ("SCJG-NEW", "SCJG-GOOD", "SCJG-APPEAL", "SCJG-FED")]
    assert order == sorted(order)
    assert "SCJG-OTHER" not in html
    # The fed-back case: level, case number, "已反馈", the feedback text and when.
    assert history["case"].number in html and "已反馈" in html and FEEDBACK in html and "整改反馈" in html
    assert "非常不满意" in html and "非常满意" in html
    # The appeal is never revealed: the case shows as being verified.
    assert "核实中" in html and "恶意" not in html and "无效" not in html
    # Only the unrated service has a rating button.
    assert reverse("portal:my_rate", args=[history["unrated"].pk]) in html
    for key in ("fed", "appealed", "good"):
        assert reverse("portal:my_rate", args=[history[key].pk]) not in html
    for value in ("张三丰", "410404199001011234", PHONE):
        assert value not in html


def test_an_unrated_service_is_rated_from_my_ratings(client, cast, history):
    verify(client, MY)
    r = client.get(reverse("portal:my_rate", args=[history["unrated"].pk]))
    assert r.status_code == 302 and r["Location"].startswith("/r/") and "c=" not in r["Location"]
    client.post(r["Location"], {"level": "4"}, headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148"})
    assert Evaluation.objects.get(record=history["unrated"]).channel == 2  # 移动端
    html = body(client.get(MY))
    assert reverse("portal:my_rate", args=[history["unrated"].pk]) not in html


def test_someone_elses_service_cannot_be_reached(client, cast, history):
    verify(client, MY)
    r = client.get(reverse("portal:my_rate", args=[history["other"].pk]))
    assert r["Location"] == MY
    html = body(verify(Client(), MY, OTHER_PHONE))
    assert "SCJG-OTHER" in html and "SCJG-FED" not in html and FEEDBACK not in html


def test_old_unrated_services_are_listed_without_a_rating_button(client, cast, history):
    with time_machine.travel(timezone.now() + dt.timedelta(days=40)):
        html = body(verify(client, MY))
        assert "SCJG-NEW" in html and reverse("portal:my_rate", args=[history["unrated"].pk]) not in html
        assert "已超过网上评价期限" in html
        assert client.get(reverse("portal:my_rate", args=[history["unrated"].pk]))["Location"] == MY


def test_logging_out_clears_the_citizen_from_the_session(client, cast, history):
    verify(client, MY)
    r = client.post(reverse("portal:citizen_logout"), {"next": MY})
    assert r["Location"] == MY
    html = body(client.get(MY))
    assert "获取验证码" in html and FEEDBACK not in html


def test_a_verification_for_one_page_serves_the_other(client, cast, history):
    """One phone, one session: verified on a QR page, "我的评价" opens without a second code."""
    from haochaping.portal.tests.factories import qr_for

    verify(client, reverse("portal:qr", args=[qr_for(window=cast.window_a).slug]))
    assert FEEDBACK in body(client.get(MY))


def test_the_selector_reads_by_blind_index_in_four_queries(cast, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        services = my_services(indexes=phone_indexes(PHONE))
    assert [s.record.project_no for s in services] == ["SCJG-NEW", "SCJG-GOOD", "SCJG-APPEAL", "SCJG-FED"]
    fed = services[-1]
    assert fed.case_progress == "已反馈，待回访" and fed.feedback == FEEDBACK and fed.fed_back_at is not None


def test_the_citizen_also_sees_their_demands_and_the_reply(client, cast, history):
    from haochaping.audit.services import Actor
    from haochaping.outreach.models import DemandCategory
    from haochaping.outreach.services.demands import DemandInput, demand_submit

    DemandCategory.objects.update(days=8)  # issue 13 item 2: the page states the demand's own limit
    demand_submit(actor=Actor.citizen(), source="portal",
                  data=DemandInput(content="建议大厅增设老年人休息座椅，排队时间太长站不住", contact_name="张三丰",
                                   contact_phone=PHONE))  # fmt: skip
    demand_submit(actor=Actor.citizen(), source="portal",
                  data=DemandInput(content="别人的诉求内容不应被看到，长度足够的文字", contact_name="赵明远",
                                   contact_phone=OTHER_PHONE))  # fmt: skip
    html = body(verify(client, MY))
    assert "我的诉求与意见建议" in html and "老年人休息座椅" in html
    assert "前（8 个工作日）" in html
    assert "别人的诉求内容" not in html
