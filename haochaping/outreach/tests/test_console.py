"""The outreach console: an operator works the call lists, supervisors and departments handle
demands, supervisors read the coverage figures and export them."""

import datetime as dt
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.services import RatingInput
from haochaping.notifications.models import Notification
from haochaping.outreach.choices import DemandState, TaskStatus
from haochaping.outreach.models import CallTask, Demand, DemandCategory
from haochaping.outreach.services.demands import category_ensure_default
from haochaping.outreach.tests.factories import (
    assigned_demand,
    fed_back_case,
    finished_record,
    generate,
    task_for,
)
from haochaping.rectification.models import CaseState
from haochaping.testing import flash_messages, login, submit_rating

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _categories(db):
    category_ensure_default()


def task_url(task) -> str:
    return reverse("console:outreach_task_detail", args=[task.pk])


def demand_url(demand) -> str:
    return reverse("console:outreach_demand_detail", args=[demand.pk])


def test_an_operator_works_through_an_invitation_and_a_callback_list(cast):
    case = fed_back_case(cast)
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    client = login(Client(), cast, "operator")
    workbench = reverse("console:outreach_workbench")
    response = client.post(workbench, {"action": "generate"}, follow=True)
    assert "新增差评回访 1 条、邀评 1 条" in response.content.decode()
    page = client.get(workbench)
    html = page.content.decode()
    assert page.status_code == 200 and "下一个" in html and "138****5678" in html and PHONE not in html
    invitation, callback = task_for(record=record), task_for(case=case)
    # Callbacks first (they close cases), though the invitation was due earlier (yesterday).
    assert invitation.due_at < callback.due_at
    assert [t.pk for t in page.context["page_obj"]] == [callback.pk, invitation.pk]

    # 下一个 on the 邀评 list opens the invitation, with its script beside the form.
    response = client.post(workbench, {"action": "next", "kind": "invitation_unrated"})
    assert response.status_code == 302 and response["Location"] == task_url(invitation)
    html = client.get(task_url(invitation)).content.decode()
    assert "不得代替群众评价" in html and "邀请评价" in html and "发送评价短信" in html and "张先生/女士" in html
    assert PHONE not in html and "138****5678" in html

    # 拨打/显示号码: the number, once, audited.
    response = client.post(task_url(invitation), {"action": "reveal"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    assert AuditEvent.objects.filter(action="outreach:contact:revealed", actor_label="operator").count() == 1
    assert PHONE not in client.get(task_url(invitation)).content.decode()

    # The citizen rates on the phone, in their own words; 保存并拨打下一个 opens the callback.
    response = client.post(
        task_url(invitation),
        {
            "action": "call",
            "outcome": "reached_rated",
            "level": "5",
            "rating_text": "很满意，一次就办好了",
            "then": "next",
        },
    )
    assert response.status_code == 302 and response["Location"] == task_url(callback)
    evaluation = Evaluation.objects.get(record=record)
    assert (evaluation.channel, evaluation.level, evaluation.text) == (6, 5, "很满意，一次就办好了")

    html = client.get(task_url(callback)).content.decode()
    assert "询问满意度" in html and "已对窗口人员批评教育" in html
    # 不满意: the case is back in 整改中 — visible on the case page's timeline.
    response = client.post(
        task_url(callback),
        {
            "action": "call",
            "outcome": "reached_rated",
            "satisfaction": "unsatisfied",
            "notes": "公示栏在窗口里面，排队时看不到",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RECTIFYING
    case_page = client.get(reverse("console:case_detail", args=[case.pk])).content.decode()
    assert "回访不满意" in case_page and "公示栏在窗口里面，排队时看不到" in case_page
    assert client.get(workbench).context["counts"]["today"] == 0


def test_the_workbench_and_next_put_callbacks_ahead_of_invitations(cast):
    """Issue 13 item 8: 差评回访 close cases, so they come before 邀评 due earlier."""
    case = fed_back_case(cast)
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    invitation, callback = task_for(record=record), task_for(case=case)
    assert invitation.due_at < callback.due_at
    client = login(Client(), cast, "operator")
    workbench = reverse("console:outreach_workbench")
    page = client.get(workbench)
    assert [t.pk for t in page.context["page_obj"]] == [callback.pk, invitation.pk]
    assert [label for _, label, _ in page.context["tabs"]] == ["全部", "差评回访", "投诉回访", "邀评"]
    response = client.post(workbench, {"action": "next"})
    assert response["Location"] == task_url(callback)


def test_a_callback_outcome_is_confirmed_with_its_own_label(cast):
    """Issue 13 item 4: "接通，已表态" is confirmed and listed as such, not as "接通已评价"."""
    case = fed_back_case(cast)
    generate()
    callback = task_for(case=case)
    client = login(Client(), cast, "operator")
    response = client.post(
        task_url(callback), {"action": "call", "outcome": "reached_rated", "satisfaction": "satisfied"}
    )
    assert response.status_code == 302
    assert flash_messages(response) == ["已记录：接通，已表态，任务已完成。 工单已办结。"]
    html = client.get(task_url(callback)).content.decode()
    assert "第 1 次 · 接通，已表态" in html and "接通已评价" not in html.split("通话记录")[-1]
    rows = client.get(reverse("console:outreach_task_list")).content.decode()
    assert "接通，已表态" in rows


def test_the_script_introduces_the_operator_by_staff_number_or_name_never_the_login(cast):
    """Issue 13 item 4: the script reads 工号 of the linked staff record, else the name."""
    from haochaping.organizations.models import Staff

    case = fed_back_case(cast)
    generate()
    callback = task_for(case=case)
    client = login(Client(), cast, "operator")
    user = cast.users["operator"]
    user.first_name = "张晓燕"
    user.save(update_fields=["first_name"])
    html = client.get(task_url(callback)).content.decode()
    assert "我是石龙区政务服务中心的回访员张晓燕。" in html and "工号 operator" not in html
    staff = Staff.objects.create(staff_no="HF1001", name="张晓燕", unit=cast.district)
    user.membership.staff = staff
    user.membership.save(update_fields=["staff"])
    html = client.get(task_url(callback)).content.decode()
    assert "我是石龙区政务服务中心的回访员，工号 HF1001。" in html and "operator" not in html.split("开场")[1][:300]


def test_call_form_errors_are_shown_in_chinese_and_nothing_is_saved(cast):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    task = task_for(record=record)
    client = login(Client(), cast, "operator")
    response = client.post(task_url(task), {"action": "call", "outcome": "reached_rated", "level": "1"})
    assert response.status_code == 422
    assert "须记录群众反映的具体问题" in response.content.decode()
    response = client.post(task_url(task), {"action": "call"})
    assert response.status_code == 422 and "这个字段是必填项" in response.content.decode()
    assert not Evaluation.objects.filter(record=record).exists()


def test_an_sms_invitation_from_the_task_page(cast):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    task = task_for(record=record)
    client = login(Client(), cast, "operator")
    response = client.post(task_url(task), {"action": "sms"}, follow=True)
    assert "评价短信已加入发送队列" in response.content.decode()
    sms = Notification.objects.get(template_code="rating_invitation")
    assert sms.template_params["url"].endswith("?c=7")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize("who", ["admin_a", "auditor"])
def test_department_admins_and_auditors_read_tasks_but_never_reveal_or_call(cast, who):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    task = task_for(record=record)
    client = login(Client(), cast, who)
    html = client.get(task_url(task)).content.decode()
    assert "138****5678" in html and "拨打 / 显示号码" not in html and "记录本次通话" not in html
    response = client.post(task_url(task), {"action": "reveal"})
    assert response.status_code == 403 and PHONE not in response.content.decode()
    assert client.post(task_url(task), {"action": "call", "outcome": "no_answer"}).status_code == 403
    assert client.post(reverse("console:outreach_workbench"), {"action": "next"}).status_code == 403
    assert not AuditEvent.objects.filter(action="outreach:contact:revealed").exists()
    task.refresh_from_db()
    assert task.attempts == 0


def test_window_staff_see_no_outreach_page(cast):
    record = finished_record(cast, "SCJG-INV-1", days_ago=2)
    generate()
    client = login(Client(), cast, "clerk_a")
    for url in (
        reverse("console:outreach_workbench"),
        reverse("console:outreach_task_list"),
        reverse("console:outreach_demand_list"),
        task_url(task_for(record=record)),
    ):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "138****5678" not in response.content.decode()
    assert "回访工作台" not in client.get(reverse("console:home")).content.decode()


def test_the_workbench_and_the_demand_list_take_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    for n in range(8):
        finished_record(cast, f"SCJG-INV-{n}", days_ago=2, applicant_phone=f"1380000000{n}")
        assigned_demand(cast, f"第{n}个诉求：窗口工作人员态度不好")
    generate()
    client = login(Client(), cast, "operator")
    with django_assert_max_num_queries(16):
        assert len(client.get(reverse("console:outreach_workbench")).context["page_obj"]) == 8
    with django_assert_max_num_queries(14):
        assert len(client.get(reverse("console:outreach_demand_list")).context["page_obj"]) == 8


# --- demands --------------------------------------------------------------------------------------


def test_a_phone_demand_is_taken_assigned_answered_and_closed_in_the_console(cast):
    operator = login(Client(), cast, "operator")
    response = operator.post(
        reverse("console:outreach_demand_new"),
        {
            "content": "请问灵活就业人员的社保补贴申领需要什么条件？",
            "contact_name": "吴用",
            "contact_phone": "13655556666",
            "category_code": "",
        },
    )
    demand = Demand.objects.get()
    assert response.status_code == 302 and response["Location"] == demand_url(demand)
    assert demand.category.code == "policy" and demand.source == "phone"
    html = operator.get(demand_url(demand)).content.decode()
    assert "系统自动建议：政策咨询（已采用）" in html and "136****6666" in html and "13655556666" not in html

    supervisor = login(Client(), cast, "supervisor")
    response = supervisor.post(
        demand_url(demand), {"action": "assign", "unit": "RSJ", "category_code": "", "days": "", "text": "请人社局答复"}
    )
    assert response.status_code == 302
    demand.refresh_from_db()
    assert (demand.state, demand.unit) == (DemandState.ASSIGNED, cast.unit_b)

    admin_a = login(Client(), cast, "admin_a")
    assert admin_a.get(demand_url(demand)).status_code == 404
    admin_b = login(Client(), cast, "admin_b")
    assert admin_b.post(demand_url(demand), {"action": "reply", "text": ""}).status_code == 422
    response = admin_b.post(
        demand_url(demand), {"action": "reply", "text": "符合条件的灵活就业人员可在社保窗口申领，需携带身份证。"}
    )
    assert response.status_code == 302
    assert Notification.objects.filter(template_code="demand_reply").count() == 1
    assert admin_b.post(demand_url(demand), {"action": "reveal"}).status_code == 403

    response = operator.post(demand_url(demand), {"action": "reveal"})
    assert "13655556666" in response.content.decode()
    response = operator.post(demand_url(demand), {"action": "close", "satisfaction": "satisfied", "text": "已回访"})
    demand.refresh_from_db()
    assert (demand.state, demand.satisfaction) == (DemandState.CLOSED, "satisfied")
    timeline = operator.get(demand_url(demand)).content.decode()
    for step in ("受理", "分派", "答复", "办结"):
        assert step in timeline


def test_a_department_returns_a_demand_and_it_leaves_its_list(cast):
    demand = assigned_demand(cast, "社保卡补办要多久", unit="a")
    client = login(Client(), cast, "admin_a")
    response = client.post(demand_url(demand), {"action": "return", "text": "不属于本单位职责"})
    assert response.status_code == 302 and response["Location"] == reverse("console:outreach_demand_list")
    assert client.get(reverse("console:outreach_demand_list")).context["page_obj"].paginator.count == 0


def test_a_rating_with_a_suggestion_is_promoted_from_the_console(cast):
    record = finished_record(cast, "SCJG-SUG-1", days_ago=2)
    evaluation = submit_rating(
        actor=Actor.citizen(),
        record=record,
        data=RatingInput(level=4, channel=4, text="建议增加自助打印机，希望周末也能办"),
    )
    client = login(Client(), cast, "admin_a")
    listing = client.get(reverse("console:outreach_suggestions"))
    assert [e.pk for e in listing.context["page_obj"]] == [evaluation.pk]
    url = reverse("console:outreach_promote_evaluation", args=[evaluation.pk])
    page = client.get(url).content.decode()
    assert "建议增加自助打印机" in page and "意见建议" in page
    response = client.post(url, {"content": evaluation.text, "category_code": "feedback-suggestion"})
    demand = Demand.objects.get(evaluation=evaluation)
    assert response["Location"] == demand_url(demand)
    assert demand.unit == cast.unit_a  # taken by the unit's own admin: the unit answers it
    assert client.get(reverse("console:outreach_suggestions")).context["page_obj"].paginator.count == 0
    assert "已转为诉求" in client.get(url).content.decode()


def test_supervisors_add_a_category_in_the_console(cast):
    client = login(Client(), cast, "supervisor")
    response = client.post(
        reverse("console:outreach_categories"),
        {
            "code": "policy-social",
            "name": "社保政策",
            "parent": "policy",
            "kind": "consultation",
            "days": "3",
            "keywords": "社保 养老保险:2 医保",
            "sort_order": "81",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    category = DemandCategory.objects.get(code="policy-social")
    assert category.parent.code == "policy" and category.keywords == ["社保", ["养老保险", 2], "医保"]
    edit = reverse("console:outreach_category_edit", args=["policy-social"])
    response = client.post(
        edit,
        {
            "name": "社保政策咨询",
            "parent": "policy",
            "kind": "consultation",
            "days": "4",
            "keywords": "社保",
            "sort_order": "81",
        },
    )
    category.refresh_from_db()
    assert (category.name, category.days, category.is_active) == ("社保政策咨询", 4, False)


# --- coverage figures ----------------------------------------------------------------------------


def test_the_coverage_figures_and_their_excel_export(cast):
    done = fed_back_case(cast, "SCJG-CB-1")
    open_case = fed_back_case(cast, "RSJ-CB-1", unit="b")
    invited = finished_record(cast, "SCJG-INV-1", days_ago=2)
    finished_record(cast, "SCJG-INV-2", days_ago=2, applicant_phone="")  # cannot be invited
    generate()
    operator = login(Client(), cast, "operator")
    operator.post(
        task_url(task_for(case=done)), {"action": "call", "outcome": "reached_rated", "satisfaction": "satisfied"}
    )
    operator.post(task_url(task_for(record=invited)), {"action": "sms"})
    submit_rating(actor=Actor.citizen(), record=invited, data=RatingInput(level=5, channel=7))
    assert task_for(case=open_case).status == TaskStatus.OPEN

    # The period asked for covers every service above (they finished 2 and 20 days ago): the
    # default period, this month, would miss them on the first days of a month.
    today = timezone.localdate()
    period = {"date_from": (today - dt.timedelta(days=30)).isoformat(), "date_to": today.isoformat()}
    supervisor = login(Client(), cast, "supervisor")
    page = supervisor.get(reverse("console:outreach_reports"), period)
    reports = {r.key: r for r in page.context["reports"]}
    callbacks = reports["callbacks"]
    assert (callbacks.total.get("required"), callbacks.total.get("done"), callbacks.total.get("open")) == (2, 1, 1)
    assert callbacks.cell(callbacks.total, "rate") == 0.5
    assert callbacks.cell(callbacks.total, "satisfaction_rate") == 1.0
    by_unit = {row.code: row for row in callbacks.rows}
    assert by_unit["SCJG"].get("done") == 1 and by_unit["RSJ"].get("open") == 1
    invitations = reports["invitations"]
    assert (invitations.total.get("tasks"), invitations.total.get("invited"), invitations.total.get("converted")) == (
        1,
        1,
        1,
    )
    backlog = {row.code: row for row in reports["backlog"].rows}
    assert backlog["SCJG"].get("no_phone") == 1 and backlog["SCJG"].get("unrated") == 1

    response = supervisor.get(reverse("console:outreach_report_export"), period)
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["回访覆盖率", "邀评转化情况", "未评价积压", "诉求分类统计"]
    sheet = book["回访覆盖率"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True) if row[0]}
    assert rows["合计"][1:5] == (2, 2, 0, 1)  # 应回访, 差评回访, 投诉回访, 已回访
    assert rows["合计"][8] == 0.5  # 回访率
    one = supervisor.get(reverse("console:outreach_report_export"), {**period, "report": "backlog"})
    assert load_workbook(BytesIO(one.content)).sheetnames == ["未评价积压"]

    admin_a = login(Client(), cast, "admin_a")
    figures = {r.key: r for r in admin_a.get(reverse("console:outreach_reports"), period).context["reports"]}
    assert figures["callbacks"].total.get("required") == 1  # only SCJG's
    assert CallTask.objects.count() == 3


def test_the_promotion_link_for_the_evaluation_page_shows_for_staff_only(cast):
    from django.template.loader import render_to_string

    from haochaping.organizations.models import Membership

    record = finished_record(cast, "SCJG-SUG-1", days_ago=2)
    evaluation = submit_rating(
        actor=Actor.citizen(), record=record, data=RatingInput(level=4, channel=4, text="建议增加自助打印机")
    )
    html = render_to_string(
        "outreach/_promote_evaluation.html",
        {"evaluation": evaluation, "membership": Membership.objects.get(user=cast.users["admin_a"])},
    )
    assert reverse("console:outreach_promote_evaluation", args=[evaluation.pk]) in html
    clerk = Membership.objects.get(user=cast.users["clerk_a"])
    assert "转为诉求" not in render_to_string(
        "outreach/_promote_evaluation.html", {"evaluation": evaluation, "membership": clerk}
    )
