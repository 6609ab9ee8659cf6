"""The rated window clerk's 情况说明: a timeline event, not a state change (issue 13 item 12)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.notifications.models import Notification
from haochaping.organizations.selectors import caller_for_user
from haochaping.rectification.models import CaseAttachment, CaseState, RectificationCase
from haochaping.rectification.services import case_statement_add
from haochaping.rectification.workflow import Action
from haochaping.testing import login, record_payload
from haochaping.testing_world import push, rate, step, upload


@pytest.fixture
def fresh(cast):
    """A bad rating of clerk A001's service (unit A), given just now: 待核实."""
    record = push(cast, "SCJG2026140001")
    return rate(record, 1, reasons=["XC-TD-B01"], text="窗口人员态度生硬").case


def add(cast, who: str, case, text: str = "当时系统故障，已向评价人解释并登记。", files=()):
    return case_statement_add(caller=caller_for_user(cast.users[who]), case_id=case.pk, text=text, files=files)


def detail(case) -> str:
    return reverse("console:case_detail", args=[case.pk])


# --- the service ---------------------------------------------------------------------------------


def test_the_rated_clerk_adds_statements_with_attachments_audited_and_the_unit_told(cast, fresh):
    entry = add(cast, "clerk_a", fresh, files=[upload("情况说明.pdf")])
    second = add(cast, "clerk_a", fresh, text="补充：评价人当天材料不全。")
    case = RectificationCase.objects.get(pk=fresh.pk)
    assert case.state == CaseState.PENDING_VERIFY  # not a transition
    steps = list(case.actions.order_by("occurred_at", "id").values_list("action", "text", "from_state", "to_state"))
    assert steps[1:] == [
        ("statement", "当时系统故障，已向评价人解释并登记。", "", ""),
        ("statement", "补充：评价人当天材料不全。", "", ""),
    ]  # each statement is kept
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.action_id == entry.pk and attachment.name == "情况说明.pdf"
    events = AuditEvent.objects.filter(action="rectification:case:statement_added", target_id=str(case.pk))
    assert events.count() == 2
    assert events.order_by("id").first().data["attachments"] == [attachment.sm3]
    message = Notification.objects.get(recipient=cast.users["admin_a"], template_code="case_statement_added",
                                       dedupe_key__contains=f":{entry.pk}:")  # fmt: skip
    assert message.title == "窗口工作人员提交了情况说明" and case.number in message.body
    assert second.pk != entry.pk


@pytest.mark.parametrize("who", ["admin_a", "supervisor", "operator", "auditor"])
def test_nobody_but_a_window_clerk_adds_a_statement(cast, fresh, who):
    with pytest.raises(PermissionDenied):
        add(cast, who, fresh)
    assert not fresh.actions.filter(action="statement").exists()


def test_another_units_clerk_does_not_find_the_case(cast, fresh):
    with pytest.raises(NotFound):
        add(cast, "clerk_b", fresh)


def test_no_statement_on_a_closed_case_or_without_text_or_with_a_bad_file(cast, fresh):
    with pytest.raises(ValidationFailed) as empty:
        add(cast, "clerk_a", fresh, text="   ")
    assert "text" in empty.value.fields
    with pytest.raises(ValidationFailed) as bad:
        add(cast, "clerk_a", fresh, files=[upload("x.exe", b"MZ", "application/octet-stream")])
    assert "files" in bad.value.fields
    step(cast, "admin_a", fresh, Action.REQUEST_INVALID, files=[upload()])
    step(cast, "supervisor", fresh, Action.APPROVE_INVALID)
    with pytest.raises(Conflict):
        add(cast, "clerk_a", fresh)
    assert not fresh.actions.filter(action="statement").exists()
    assert not AuditEvent.objects.filter(action="rectification:case:statement_added").exists()


# --- the console ---------------------------------------------------------------------------------


def test_the_clerk_posts_a_statement_and_the_unit_admin_reads_it_before_verifying(cast, fresh):
    clerk = login(Client(), cast, "clerk_a")
    page = clerk.get(detail(fresh))
    assert page.status_code == 200 and page.context["statement_form"] is not None
    assert 'id="step-statement"' in page.content.decode()
    response = clerk.post(detail(fresh), {"action": "statement", "text": "当时系统故障，已当场解释。",
                                          "files": [upload("说明.pdf")]})  # fmt: skip
    assert response.status_code == 302
    assert "情况说明已提交" in clerk.get(response["Location"]).content.decode()

    html = login(Client(), cast, "admin_a").get(detail(fresh)).content.decode()
    actions = html.split('id="actions"')[1]
    # In the 办理 panel, above the 核实 form; and on the timeline.
    assert actions.index("被评价窗口工作人员的情况说明") < actions.index('id="step-verify"')
    assert actions.index("当时系统故障，已当场解释。") < actions.index('id="step-verify"')
    assert "说明.pdf" in actions
    assert 'id="step-statement"' not in html  # the admin has no statement form
    timeline = html.split("处理记录")[1]
    assert "情况说明" in timeline and "当时系统故障，已当场解释。" in timeline


def test_an_empty_statement_is_refused_on_the_page(cast, fresh):
    response = login(Client(), cast, "clerk_a").post(detail(fresh), {"action": "statement", "text": ""})
    assert response.status_code == 422
    assert "请填写情况说明" in response.content.decode()
    assert not fresh.actions.filter(action="statement").exists()


def test_the_form_is_only_for_the_rated_clerk_of_an_open_case(cast, fresh):
    assert login(Client(), cast, "clerk_b").get(detail(fresh)).status_code == 404
    other = login(Client(), cast, "clerk_b").post(detail(fresh), {"action": "statement", "text": "x"})
    assert other.status_code == 404
    for who in ("admin_a", "supervisor", "auditor"):
        assert login(Client(), cast, who).get(detail(fresh)).context["statement_form"] is None
    refused = login(Client(), cast, "admin_a").post(detail(fresh), {"action": "statement", "text": "x"})
    assert refused.status_code == 403
    step(cast, "admin_a", fresh, Action.REQUEST_INVALID, files=[upload()])
    step(cast, "supervisor", fresh, Action.APPROVE_INVALID)
    assert login(Client(), cast, "clerk_a").get(detail(fresh)).context["statement_form"] is None


def test_the_clerks_queue_and_menu_count_the_cases_awaiting_a_statement(cast, fresh):
    later = rate(push(cast, "SCJG2026140002"), 2, reasons=["XC-TD-B01"]).case
    step(cast, "admin_a", later, Action.VERIFY)  # verified: no longer awaits a statement
    client = login(Client(), cast, "clerk_a")
    response = client.get(reverse("console:case_list"))
    html = response.content.decode()
    assert "与我有关的差评" in html and "我的待办" not in html
    assert response.context["tab"].label == "待说明情况"
    assert [case.pk for case in response.context["page_obj"]] == [fresh.pk]
    assert response.context["menu_counts"].cases == 1
    assert 'aria-label="1 件可提交情况说明"' in html


# --- the API -------------------------------------------------------------------------------------


def test_the_api_case_detail_timeline_includes_the_statement(cast, api_all, api_a):
    api_all.post("/api/v1/service-records", record_payload(cast))
    r = api_all.post("/api/v1/evaluations", {"project_no": "SCJG2026110001", "level": 2, "channel": 4,
                                             "text": "材料要求反复变化"})  # fmt: skip
    case = RectificationCase.objects.get(number=r.json()["case"]["number"])
    add(cast, "clerk_a", case, text="当时排队人数较多。")
    detail_json = api_a.get(f"/api/v1/cases/{case.pk}").json()
    assert [(s["action"], s["text"]) for s in detail_json["timeline"]][1:] == [("statement", "当时排队人数较多。")]
    assert detail_json["state"] == "pending_verify"
