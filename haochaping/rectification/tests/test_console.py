"""The case console: the whole closed loop through real POSTs, refusals, attachments, the queue."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.notifications.models import Notification
from haochaping.organizations.selectors import scope_for_user
from haochaping.rectification.models import (
    DEADLINE_STATES,
    FINAL_STATES,
    OPEN_STATES,
    CaseAttachment,
    CaseState,
    RectificationCase,
)
from haochaping.rectification.selectors import case_queue_counts
from haochaping.rectification.services import case_scan_deadlines
from haochaping.rectification.workflow import Action
from haochaping.testing import login
from haochaping.testing_world import PDF, PLAINTEXT, PNG, attach_evidence, push, push_b, rate, step, upload

S = CaseState


def detail(case) -> str:
    return reverse("console:case_detail", args=[case.pk])


def post_step(client: Client, case, action: str, **fields):
    return client.post(detail(case), {"action": action, **fields})


def state_of(case) -> str:
    return RectificationCase.objects.get(pk=case.pk).state


def timeline(case) -> list[str]:
    return list(RectificationCase.objects.get(pk=case.pk).actions.values_list("action", flat=True))


def local_due(case) -> dt.date:
    return timezone.localtime(RectificationCase.objects.get(pk=case.pk).due_at).date()


def html_of(response, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.content.decode()


def follow(client: Client, response) -> str:
    assert response.status_code == 302, (response.status_code, response.content[:800])
    return html_of(client.get(response["Location"]))


@pytest.fixture
def fresh(cast):
    """A bad rating of unit A given just now: its case is 待核实 with 15 days to go."""
    record = push(cast, "SCJG2026130001")
    return rate(record, 1, reasons=["XC-TD-B01"], text="窗口人员态度生硬，多次催促").case


# --- the closed loop -----------------------------------------------------------------------------


def test_a_bad_rating_goes_from_pending_to_closed_through_the_console(cast, fresh):
    admin = login(Client(), cast, "admin_a")
    supervisor = login(Client(), cast, "supervisor")
    operator = login(Client(), cast, "operator")

    # 待核实: the admin sees the two steps of this state as forms, nothing else.
    page = admin.get(detail(fresh))
    assert [f.transition.action for f in page.context["step_forms"]] == [Action.VERIFY, Action.REQUEST_INVALID]
    html = html_of(page)
    assert "核实情况" in html and 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert "单个文件不超过 10 MB" in html

    # 核实属实 → 整改中
    html = follow(admin, post_step(admin, fresh, Action.VERIFY, text="经调阅监控，情况属实"))
    assert "已核实属实，工单状态为“整改中”" in html
    assert state_of(fresh) == S.RECTIFYING and timeline(fresh) == ["opened", "verify"]
    assert "经调阅监控，情况属实" in html and "待核实 → 整改中" in html

    # 申请延期 (reason + proposed date) → 延期待审核
    original_due = local_due(fresh)
    wanted = original_due + dt.timedelta(days=10)
    response = post_step(admin, fresh, Action.REQUEST_EXTENSION, text="需市场监管与卫健部门会商", new_due=wanted)
    html = follow(admin, response)
    assert state_of(fresh) == S.EXTENSION_REQUESTED and timeline(fresh)[-1] == "request_extension"
    assert f"申请延期至：{wanted:%Y-%m-%d}" in html and "等待区政务服务中心审核" in html

    # The supervisor finds it in the 延期待审核 queue and approves the requested date (prefilled).
    queue = supervisor.get(reverse("console:case_list"), {"tab": "extension"})
    assert [c.pk for c in queue.context["page_obj"]] == [fresh.pk]
    assert f"申请延期至 {wanted:%Y-%m-%d}" in html_of(queue) and "需市场监管与卫健部门会商" in html_of(queue)
    page = supervisor.get(detail(fresh))
    forms = {f.transition.action: f for f in page.context["step_forms"]}
    assert set(forms) == {Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION}
    assert forms[Action.APPROVE_EXTENSION]["new_due"].value() == wanted
    assert f'value="{wanted:%Y-%m-%d}"' in html_of(page)
    html = follow(supervisor, post_step(supervisor, fresh, Action.APPROVE_EXTENSION, new_due=wanted.isoformat()))
    assert "已同意延期" in html
    case = RectificationCase.objects.get(pk=fresh.pk)
    assert case.state == S.RECTIFYING and local_due(case) == wanted
    assert timezone.localtime(case.original_due_at).date() == original_due
    assert f"新整改期限：{wanted:%Y-%m-%d}" in html and f"原整改期限：{original_due:%Y-%m-%d}" in html

    # 提交整改结果 with a photo → 已整改
    photo = upload("整改后窗口照片.png", PNG, "image/png")
    response = admin.post(
        detail(fresh), {"action": Action.RECTIFY, "text": "已约谈窗口人员并调整排班", "files": [photo]}
    )
    html = follow(admin, response)
    assert state_of(fresh) == S.RECTIFIED
    attachment = CaseAttachment.objects.get(case=fresh)
    assert attachment.name == "整改后窗口照片.png" and attachment.content_type == "image/png"
    assert reverse("console:case_attachment", args=[attachment.pk]) in html and "整改后窗口照片.png" in html
    assert "是否按期：按期整改" in html
    download = admin.get(reverse("console:case_attachment", args=[attachment.pk]))
    assert download.status_code == 200 and download.getvalue() == PNG

    # 反馈评价人 → 已反馈待回访, and the evaluator's SMS is queued.
    html = follow(admin, post_step(admin, fresh, Action.FEED_BACK, text="已整改，感谢您的监督"))
    assert state_of(fresh) == S.FED_BACK
    assert Notification.objects.filter(template_code="case_feedback").count() == 1

    # The operator's queue shows it awaiting callback; 回访满意 → 办结.
    queue = operator.get(reverse("console:case_list"))
    assert queue.context["tab"].key == "todo" and [c.pk for c in queue.context["page_obj"]] == [fresh.pk]
    html = follow(operator, post_step(operator, fresh, Action.CALLBACK_SATISFIED, text="评价人表示满意"))
    case = RectificationCase.objects.get(pk=fresh.pk)
    assert case.state == S.CLOSED and case.closed_at is not None
    assert timeline(fresh) == ["opened", "verify", "request_extension", "approve_extension", "rectify", "feed_back",
                               "callback_satisfied"]  # fmt: skip
    assert "已回访满意，工单状态为“办结”" in html and "工单已办结" in html
    steps = operator.get(detail(fresh)).context["steps"]  # oldest first, newest last
    assert [row["title"] for row in steps] == ["生成工单", "核实属实", "申请延期", "同意延期", "提交整改结果",
                                               "反馈评价人", "回访满意"]  # fmt: skip
    a, district = "admin_a（区市场监督管理局）", "（平顶山市石龙区）"  # the person and their unit
    assert [row["actor"] for row in steps] == ["系统", a, a, "supervisor" + district, a, a, "operator" + district]
    assert (steps[-1]["from_state"], steps[-1]["to_state"]) == ("已反馈待回访", "办结")
    for value in PLAINTEXT:
        assert value not in html


def test_the_supervisor_approves_an_invalidity_request_from_the_review_queue(cast, fresh):
    admin = login(Client(), cast, "admin_a")
    response = admin.post(detail(fresh), {"action": Action.REQUEST_INVALID, "text": "同一号码当日连续恶意差评",
                                          "files": [upload("通话记录.pdf")]})  # fmt: skip
    follow(admin, response)
    supervisor = login(Client(), cast, "supervisor")
    queue = supervisor.get(reverse("console:case_list"), {"tab": "invalid"})
    assert queue.context["nav"] == "review" and [c.pk for c in queue.context["page_obj"]] == [fresh.pk]
    html = html_of(queue)
    assert "同一号码当日连续恶意差评" in html and "admin_a" in html
    html = follow(supervisor, post_step(supervisor, fresh, Action.APPROVE_INVALID, text="经核查属实，认定无效"))
    assert state_of(fresh) == S.INVALIDATED and "该差评已认定为无效评价" in html


def test_an_unsatisfied_callback_sends_the_case_back_to_the_unit(cast, fresh):
    for who, action in (("admin_a", Action.VERIFY), ("admin_a", Action.RECTIFY), ("admin_a", Action.FEED_BACK)):
        step(cast, who, fresh, action)
    operator = login(Client(), cast, "operator")
    html = html_of(operator.get(detail(fresh)))
    assert "回访满意" in html and "回访不满意" in html and "btn-danger" in html
    follow(operator, post_step(operator, fresh, Action.CALLBACK_UNSATISFIED, text="问题仍未解决"))
    assert state_of(fresh) == S.RECTIFYING
    admin_queue = login(Client(), cast, "admin_a").get(reverse("console:case_list"))
    assert fresh.pk in [c.pk for c in admin_queue.context["page_obj"]]


def test_the_feedback_box_starts_with_the_latest_rectification_text(cast, fresh):
    step(cast, "admin_a", fresh, Action.VERIFY)
    step(cast, "admin_a", fresh, Action.RECTIFY, text="已约谈窗口人员")
    step(cast, "admin_a", fresh, Action.FEED_BACK, text="已整改")
    step(cast, "operator", fresh, Action.CALLBACK_UNSATISFIED, text="问题仍未解决")
    step(cast, "admin_a", fresh, Action.RECTIFY, text="已调整排班并增设引导员 <2 名>")
    admin = login(Client(), cast, "admin_a")
    page = admin.get(detail(fresh))
    forms = {f.transition.action: f for f in page.context["step_forms"]}
    assert forms[Action.FEED_BACK]["text"].value() == "已调整排班并增设引导员 <2 名>"
    assert "已调整排班并增设引导员 &lt;2 名&gt;</textarea>" in html_of(page)  # editable, escaped
    follow(admin, post_step(admin, fresh, Action.FEED_BACK, text="已调整排班，感谢您的监督"))
    assert RectificationCase.objects.get(pk=fresh.pk).actions.last().text == "已调整排班，感谢您的监督"


def test_each_state_tells_its_reader_what_happens_next_and_who_acts(cast, fresh):
    admin, operator = login(Client(), cast, "admin_a"), login(Client(), cast, "operator")
    due = f"{local_due(fresh):%Y-%m-%d}"
    assert "等待承办单位核实" in html_of(operator.get(detail(fresh)))
    html = follow(admin, post_step(admin, fresh, Action.VERIFY, text="属实"))
    assert f"接下来：等待承办单位在 {due} 前整改并提交整改结果" in html
    step(cast, "admin_a", fresh, Action.RECTIFY, text="已整改")
    assert "等待承办单位将整改结果反馈评价人" in html_of(operator.get(detail(fresh)))
    html = follow(admin, post_step(admin, fresh, Action.FEED_BACK, text="已整改，感谢监督"))
    assert "已反馈评价人，工单状态为“已反馈待回访”。接下来：等待回访员" in html
    html = html_of(admin.get(detail(fresh)))  # the unit has nothing to do: it waits for the callback
    assert (
        "等待回访员（或区政务服务中心督查）电话回访评价人" in html and "审核" not in html.split('id="actions"')[1][:400]
    )
    clerk = html_of(login(Client(), cast, "clerk_a").get(detail(fresh)))
    assert "等待回访员" in clerk and "您的角色可以查看工单，不能办理" in clerk
    html = follow(operator, post_step(operator, fresh, Action.CALLBACK_SATISFIED, text="满意"))
    assert "已回访满意，工单状态为“办结”。" in html and "接下来" not in html


def _unit_message(cast, template: str) -> Notification:
    return Notification.objects.get(recipient=cast.users["admin_a"], template_code=template)


def test_decisions_reach_the_unit_saying_what_was_decided_and_what_to_do_next(cast, fresh):
    step(cast, "admin_a", fresh, Action.VERIFY)
    wanted = local_due(fresh) + dt.timedelta(days=20)
    step(cast, "admin_a", fresh, Action.REQUEST_EXTENSION, text="需协调", new_due=wanted)
    step(cast, "supervisor", fresh, Action.APPROVE_EXTENSION, text="")
    approved = _unit_message(cast, "case_extension_approved")
    assert approved.title == "延期申请已同意" and approved.body.startswith("您的延期申请已同意")
    assert f"新整改期限 {wanted:%Y-%m-%d}" in approved.body and "请及时处理" not in approved.body

    step(cast, "admin_a", fresh, Action.REQUEST_EXTENSION, text="再延", new_due=wanted + dt.timedelta(days=5))
    step(cast, "supervisor", fresh, Action.REJECT_EXTENSION, text="理由不充分")
    rejected = _unit_message(cast, "case_extension_rejected")
    assert rejected.body.startswith("您的延期申请未获同意") and f"整改期限仍为 {wanted:%Y-%m-%d}" in rejected.body

    for who, action in (("admin_a", Action.RECTIFY), ("admin_a", Action.FEED_BACK)):
        step(cast, who, fresh, action)
    step(cast, "operator", fresh, Action.CALLBACK_UNSATISFIED, text="问题仍未解决")
    reopened = _unit_message(cast, "case_returned")
    assert reopened.title == "回访不满意，工单退回整改" and "已退回重新整改" in reopened.body
    assert f"整改期限 {wanted:%Y-%m-%d}" in reopened.body  # item 1: the extension stands

    other = rate(push(cast, "SCJG2026130002"), 1, text="态度差").case
    step(cast, "admin_a", other, Action.REQUEST_INVALID, text="恶意", files=[upload()])
    step(cast, "supervisor", other, Action.REJECT_INVALID, text="证据不足")
    refused = _unit_message(cast, "case_invalid_rejected")
    assert refused.body.startswith(f"您对工单 {other.number} 的无效评价申请未获同意，工单已转入整改")


# --- refused steps change nothing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("clerk_a", Action.VERIFY),  # a window clerk takes no step
        ("auditor", Action.VERIFY),
        ("operator", Action.VERIFY),  # callbacks only
        ("admin_a", Action.APPROVE_INVALID),  # supervision stays with the centre
    ],
)
def test_a_role_outside_the_table_gets_a_403_and_nothing_changes(cast, fresh, who, action):
    client = login(Client(), cast, who)
    before = timeline(fresh)
    response = post_step(client, fresh, action, text="越权操作")
    assert "无权" in html_of(response, 403)
    assert state_of(fresh) == S.PENDING_VERIFY and timeline(fresh) == before


def test_another_units_admin_gets_a_404_and_nothing_changes(cast, fresh):
    client = login(Client(), cast, "admin_b")
    assert client.get(detail(fresh)).status_code == 404
    response = post_step(client, fresh, Action.VERIFY, text="越权操作")
    assert "未找到该记录" in html_of(response, 404)
    assert state_of(fresh) == S.PENDING_VERIFY and timeline(fresh) == ["opened"]


def test_a_step_in_the_wrong_state_reloads_the_page_with_a_message(cast, fresh):
    client = login(Client(), cast, "admin_a")
    html = follow(client, post_step(client, fresh, Action.RECTIFY, text="提前整改"))
    assert "工单状态已变化" in html and "不能执行“提交整改结果”" in html
    assert state_of(fresh) == S.PENDING_VERIFY and timeline(fresh) == ["opened"]


def test_a_step_raced_by_someone_else_reloads_with_a_message(cast, fresh):
    """Two people had the page open; the second submit finds the case already moved."""
    first, second = login(Client(), cast, "admin_a"), login(Client(), cast, "supervisor")
    follow(first, post_step(first, fresh, Action.VERIFY, text="属实"))
    html = follow(second, post_step(second, fresh, Action.VERIFY, text="属实"))
    assert "工单状态已变化" in html
    assert timeline(fresh) == ["opened", "verify"]


def test_anonymous_posts_go_to_the_login_page(cast, fresh):
    response = post_step(Client(), fresh, Action.VERIFY, text="x")
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))
    assert state_of(fresh) == S.PENDING_VERIFY


def test_steps_are_csrf_protected(cast, fresh):
    client = Client(enforce_csrf_checks=True)
    login(client, cast, "admin_a")
    assert post_step(client, fresh, Action.VERIFY, text="属实").status_code == 403
    assert state_of(fresh) == S.PENDING_VERIFY


def test_missing_or_wrong_input_re_renders_the_form_with_chinese_errors(cast, fresh):
    client = login(Client(), cast, "admin_a")
    html = html_of(post_step(client, fresh, Action.VERIFY, text="   "), 422)
    assert "请填写核实情况" in html and "提交的内容不完整或有误" in html
    html = html_of(post_step(client, fresh, Action.REQUEST_INVALID, text="恶意差评"), 422)
    assert "请上传证明材料" in html
    response = client.post(detail(fresh), {"action": Action.REQUEST_INVALID, "text": "恶意差评",
                                           "files": [upload("病毒.exe", b"MZ\x90\x00")]})  # fmt: skip
    assert "不支持的文件类型" in html_of(response, 422)
    response = client.post(detail(fresh), {"action": Action.REQUEST_INVALID, "text": "恶意差评",
                                           "files": [upload("假的.pdf", b"not a pdf")]})  # fmt: skip
    assert "文件内容与扩展名不符" in html_of(response, 422)
    step(cast, "admin_a", fresh, Action.VERIFY)
    today = timezone.localdate()
    response = post_step(client, fresh, Action.REQUEST_EXTENSION, text="需延期", new_due=today.isoformat())
    html = html_of(response, 422)
    assert "新的整改期限须晚于当前期限" in html and "需延期" in html  # the typed text is kept
    html = html_of(post_step(client, fresh, Action.REQUEST_EXTENSION, text="需延期", new_due="明天"), 422)
    assert "有效的日期" in html
    assert state_of(fresh) == S.RECTIFYING and timeline(fresh) == ["opened", "verify"]
    response = post_step(client, fresh, "delete_everything")
    assert "未知的处理操作" in html_of(response, 422)


@pytest.mark.parametrize("name", ["", ".", "..", "/"])
def test_a_file_without_a_usable_name_is_no_evidence_and_no_server_error(cast, fresh, name):
    """Such a part (a browser sends filename="" for an empty input) is not a file: the form says
    which field is missing, the case does not move."""
    client = login(Client(), cast, "admin_a")
    boundary = "----haochaping"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\n{Action.REQUEST_INVALID}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n恶意差评\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(detail(fresh), body, content_type=f"multipart/form-data; boundary={boundary}")
    html = html_of(response, 422)
    assert "请上传证明材料" in html and "提交的内容不完整或有误" in html
    assert state_of(fresh) == S.PENDING_VERIFY and not CaseAttachment.objects.exists()


def test_an_oversized_upload_is_refused_before_it_is_read(cast, fresh, settings):
    settings.CASE_ATTACHMENT_MAX_BYTES = 1024
    client = login(Client(), cast, "admin_a")
    response = client.post(detail(fresh), {"action": Action.REQUEST_INVALID, "text": "恶意差评",
                                           "files": [upload("大文件.pdf", PDF + b"0" * 2 * 1024 * 1024)]})  # fmt: skip
    assert "上传内容过大" in follow(client, response)
    assert state_of(fresh) == S.PENDING_VERIFY and not CaseAttachment.objects.exists()


def test_the_case_page_only_answers_get_and_post(cast, fresh):
    assert login(Client(), cast, "admin_a").put(detail(fresh)).status_code == 405


# --- attachments ---------------------------------------------------------------------------------


@pytest.fixture
def evidence(cast, fresh):
    step(cast, "admin_a", fresh, Action.REQUEST_INVALID, text="恶意差评", files=[upload("通话录音记录.pdf")])
    return CaseAttachment.objects.get(case=fresh)


def test_an_attachment_downloads_with_its_name_type_and_no_sniffing(cast, evidence):
    response = login(Client(), cast, "supervisor").get(reverse("console:case_attachment", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote('通话录音记录.pdf')}" in disposition
    assert "no-store" in response["Cache-Control"]
    assert response.getvalue() == PDF


def test_an_attachment_is_refused_outside_the_cases_scope(cast, evidence):
    url = reverse("console:case_attachment", args=[evidence.pk])
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))
    assert login(Client(), cast, "admin_b").get(url).status_code == 404
    assert login(Client(), cast, "clerk_b").get(url).status_code == 404
    # The clerk whose service it was sees the case but not the evidence (it may identify the evaluator).
    response = login(Client(), cast, "clerk_a").get(url)
    assert "窗口工作人员不能下载工单附件" in html_of(response, 403)
    html = html_of(login(Client(), cast, "clerk_a").get(reverse("console:case_detail", args=[evidence.case_id])))
    assert "通话录音记录.pdf" in html and url not in html
    assert login(Client(), cast, "admin_a").get(reverse("console:case_attachment", args=[999999])).status_code == 404


def test_the_media_url_is_never_exposed(cast, evidence, settings):
    html = html_of(login(Client(), cast, "admin_a").get(detail(evidence.case)))
    assert f"/{settings.MEDIA_URL}" not in html and evidence.file.name not in html
    assert Client().get(f"/{settings.MEDIA_URL}{evidence.file.name}").status_code == 404


def test_a_missing_file_is_a_chinese_404(cast, evidence):
    evidence.file.storage.delete(evidence.file.name)
    response = login(Client(), cast, "admin_a").get(reverse("console:case_attachment", args=[evidence.pk]))
    assert "附件文件已丢失" in html_of(response, 404)


# --- the case page ---------------------------------------------------------------------------------


def test_the_case_page_shows_the_rating_with_masked_identity_deadlines_and_the_service(cast, fresh):
    response = login(Client(), cast, "admin_a").get(detail(fresh))
    html = html_of(response)
    assert "态度生硬、冷漠" in html and "窗口人员态度生硬，多次催促" in html  # reason text and free text
    assert "张**" in html and "138****5678" in html and "已脱敏" in html
    assert "服务态度" in html and "办事效率" in html  # the dimensions rated
    assert "原整改期限" in html and "当前整改期限" in html and "剩余 15 天" in html
    assert "SCJG2026130001" in html and "食品经营许可（新办）" in html and "王晓红" in html
    assert "生成工单" in html  # the case's own timeline
    for value in PLAINTEXT:
        assert value not in html


def test_a_window_clerk_sees_the_case_but_no_evaluator_and_no_forms(cast, fresh):
    response = login(Client(), cast, "clerk_a").get(detail(fresh))
    html = html_of(response)
    assert response.context["step_forms"] == []
    assert "<dt>评价人</dt>" not in html and "张**" not in html and "138****5678" not in html
    assert "您的角色可以查看工单" in html


def test_the_case_page_uses_a_fixed_number_of_queries(cast, fresh, django_assert_max_num_queries):
    step(cast, "admin_a", fresh, Action.VERIFY)
    for n in range(3):
        step(cast, "admin_a", fresh, Action.REQUEST_EXTENSION, text=f"第 {n} 次", files=[upload(f"{n}.pdf")],
             new_due=local_due(fresh) + dt.timedelta(days=2))  # fmt: skip
        step(cast, "supervisor", fresh, Action.APPROVE_EXTENSION, text="")
    client = login(Client(), cast, "admin_a")
    with django_assert_max_num_queries(11):
        response = client.get(detail(fresh))
    assert len(response.context["steps"]) == 8


# --- the work queue ------------------------------------------------------------------------------


@pytest.fixture
def queue(cast):
    """Unit A: overdue, due in 3 days, fresh, rectified (late, awaiting feedback), extension
    requested; unit B: one fresh. Named by what they are."""
    made = {}
    for name, days_ago in (("overdue", 20), ("soon", 12), ("fresh", 0), ("rectified", 20), ("extension", 1)):
        made[name] = rate(push(cast, f"SCJG-Q-{name}"), 2, reasons=["XC-XL-B01"], days_ago=days_ago).case
    made["b"] = rate(push_b(cast, "RSJ-Q-1"), 1, reasons=["XC-XL-B01"]).case
    step(cast, "admin_a", made["rectified"], Action.VERIFY)
    step(cast, "admin_a", made["rectified"], Action.RECTIFY)
    step(cast, "admin_a", made["extension"], Action.VERIFY)
    step(cast, "admin_a", made["extension"], Action.REQUEST_EXTENSION, new_due=local_due(made["extension"]) +
         dt.timedelta(days=7))  # fmt: skip
    return made


def pks(response) -> list[int]:
    return [c.pk for c in response.context["page_obj"]]


def test_a_department_admins_queue_puts_overdue_first_then_the_nearest_deadline(cast, queue):
    response = login(Client(), cast, "admin_a").get(reverse("console:case_list"))
    assert response.context["tab"].key == "todo"
    q = queue
    assert pks(response) == [q["overdue"].pk, q["soon"].pk, q["fresh"].pk, q["rectified"].pk]
    html = html_of(response)
    assert "已逾期 5 天" in html and "剩余 3 天" in html and "剩余 15 天" in html and "逾期整改" in html
    assert 'class="flag flag-overdue"' in html
    assert q["b"].number not in html
    tabs = {tab.key: count for tab, count in response.context["tabs"]}
    assert tabs == {"todo": 4, "open": 5, "overdue": 1, "escalated": 0, "all": 5}
    # A department admin has no review tabs: asking for one shows the default queue.
    response = login(Client(), cast, "admin_a").get(reverse("console:case_list"), {"tab": "invalid"})
    assert response.context["tab"].key == "todo" and response.context["nav"] == "cases"
    assert "审核</a>" not in html_of(response)


def test_the_queue_filters_by_state_and_unit(cast, queue):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:case_list")
    assert pks(client.get(url, {"state": "rectified"})) == [queue["rectified"].pk]
    assert pks(client.get(url, {"unit": "RSJ"})) == [queue["b"].pk]
    response = client.get(url, {"tab": "all", "unit": "RSJ"})
    assert {tab.key: count for tab, count in response.context["tabs"]}["all"] == 1
    response = client.get(url, {"tab": "invalid", "state": "closed"})  # not a state of this tab: ignored
    assert pks(response) == [] and "暂无待办工单" in html_of(response)


def test_the_queue_filter_bar_uses_the_api_names_and_reports_invalid_values(cast, queue):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:case_list")
    assert pks(client.get(url, {"unit_code": "RSJ"})) == [queue["b"].pk]
    response = client.get(url, {"state": "nope", "unit_code": "RSJ"})
    assert response.context["form"].errors["state"] and pks(response) == [queue["b"].pk]  # unit still applies
    assert "取值不在允许范围内" in html_of(response)


def test_the_supervisor_sees_everything_and_the_review_queues(cast, queue):
    client = login(Client(), cast, "supervisor")
    response = client.get(reverse("console:case_list"))
    assert response.context["tab"].key == "open" and len(pks(response)) == 6
    html = html_of(response)
    assert "无效申请待审核" in html and "延期待审核" in html and '审核<span class="nav-count"' in html
    response = client.get(reverse("console:case_list"), {"tab": "extension"})
    assert pks(response) == [queue["extension"].pk] and response.context["nav"] == "review"
    assert pks(client.get(reverse("console:case_list"), {"tab": "invalid"})) == []
    # The 审核 link opens the review queue that has work: here, only an extension is pending.
    response = client.get(reverse("console:case_list"), {"tab": "review"})
    assert response.context["tab"].key == "extension" and pks(response) == [queue["extension"].pk]


def test_the_queue_finds_a_case_by_its_number_in_the_tab_holding_it(cast, queue):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:case_list")
    response = client.get(url, {"number": f" {queue['rectified'].number} "})
    assert pks(response) == [queue["rectified"].pk]
    assert {"number", "project_no"} <= set(response.context["form"].fields)
    assert "service_no" not in response.context["form"].fields and "工单编号</span>" in html_of(response)
    assert pks(client.get(url, {"tab": "all", "number": "CP0000"})) == []


def test_a_unit_without_sub_units_gets_no_unit_filter(cast, queue):
    response = login(Client(), cast, "admin_a").get(reverse("console:case_list"))
    assert "unit_code" not in response.context["form"].fields and "责任单位</span>" not in html_of(response)
    assert "unit_code" in login(Client(), cast, "supervisor").get(reverse("console:case_list")).context["form"].fields


def test_escalated_cases_carry_the_supervision_mark(cast, queue):
    case_scan_deadlines()
    client = login(Client(), cast, "supervisor")
    response = client.get(reverse("console:case_list"), {"tab": "escalated"})
    assert pks(response) == [queue["overdue"].pk]
    html = html_of(response)
    assert 'class="flag flag-escalated"' in html and "督办至平顶山市石龙区" in html
    html = html_of(client.get(detail(queue["overdue"])))
    assert "督办" in html and "督办单位：平顶山市石龙区" in html


def test_the_operator_queue_is_the_cases_awaiting_callback(cast, queue):
    step(cast, "admin_a", queue["rectified"], Action.FEED_BACK)
    response = login(Client(), cast, "operator").get(reverse("console:case_list"))
    assert response.context["tab"].label == "待回访" and pks(response) == [queue["rectified"].pk]


def test_the_tab_counts_are_the_cases_counted_one_by_one(cast, queue):
    """``case_queue_counts`` groups by state and sums the overdue and escalated marks over the
    states where they apply: the same figures as counting each case (``open_only``: the open
    states' alone, a final state's 0)."""
    invalid = rate(push(cast, "SCJG-Q-invalid"), 1, reasons=["XC-XL-B01"], days_ago=20).case
    attach_evidence(cast, "admin_a", invalid)
    step(cast, "supervisor", invalid, Action.APPROVE_INVALID, text="认定无效")
    case_scan_deadlines()  # the overdue case is escalated (督办)
    now = timezone.now()
    cases = list(RectificationCase.objects.all())
    expected = {state.value: sum(c.state == state for c in cases) for state in S}
    expected["overdue"] = sum(c.state in DEADLINE_STATES and c.due_at < now for c in cases)
    expected["escalated"] = sum(c.state in OPEN_STATES and c.escalated_at is not None for c in cases)
    assert expected[S.INVALIDATED] == 1 and expected["overdue"] >= 1 and expected["escalated"] == 1
    scope = scope_for_user(cast.users["supervisor"])
    assert case_queue_counts(scope=scope, now=now) == expected
    open_expected = {k: (0 if k in FINAL_STATES else v) for k, v in expected.items()}
    assert case_queue_counts(scope=scope, now=now, open_only=True) == open_expected
    unit_a = scope_for_user(cast.users["admin_a"])
    assert case_queue_counts(scope=unit_a, now=now)[S.RECTIFYING] == 0  # the extension is requested
    assert case_queue_counts(scope=unit_a, now=now)[S.PENDING_VERIFY] == 3  # overdue, soon, fresh


@pytest.fixture
def many(cast):
    for n in range(60):
        rate(push(cast, f"SCJG-M-{n:03d}"), 1 + n % 2, reasons=["XC-TD-B01"], days_ago=n % 25)


@pytest.mark.parametrize("who", ["supervisor", "admin_a", "operator"])
@pytest.mark.parametrize("tab", ["", "todo", "open", "invalid", "extension", "overdue", "escalated", "all"])
def test_every_queue_tab_uses_a_fixed_number_of_queries(cast, many, django_assert_max_num_queries, who, tab):
    client = login(Client(), cast, who)
    with django_assert_max_num_queries(12):  # 11 + the menu's calls due (supervisor, operator)
        response = client.get(reverse("console:case_list"), {"tab": tab} if tab else {})
    assert response.status_code == 200
    assert len(pks(response)) <= 50


def test_the_queue_is_paginated(cast, many):
    client = login(Client(), cast, "admin_a")
    response = client.get(reverse("console:case_list"), {"tab": "all"})
    assert len(pks(response)) == 50 and "共 <strong>60</strong> 条，第 1 / 2 页" in html_of(response)
    assert "tab=all&amp;page=2" in html_of(response)
    assert len(pks(client.get(reverse("console:case_list"), {"tab": "all", "page": "2"}))) == 10
