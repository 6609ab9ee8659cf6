"""Demands: intake, time limits in working days, the transition table, replies, closure, the
deadline watch, the citizen's view, promotion of a rating, and the category tree."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.crypto import blind_index
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.evaluations.services import RatingInput
from haochaping.notifications.models import Notification
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import DemandSource, DemandState, DemandStep
from haochaping.outreach.models import DemandAction
from haochaping.outreach.selectors import demand_list, demands_for_phone
from haochaping.outreach.services import (
    DemandStepInput,
    demand_close_by_citizen,
    demand_find_for_citizen,
    demand_from_evaluation,
    demand_scan_deadlines,
    demand_transition,
)
from haochaping.outreach.services.categories import CategoryInput, category_create, category_update, parse_keywords
from haochaping.outreach.tests.factories import assigned_demand, finished_record, submit_demand, submitted_demand
from haochaping.testing import submit_rating

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def move(cast, who, demand, action, **data):
    return demand_transition(
        caller=caller_for_user(cast.users[who]), demand_id=demand.pk, action=action, data=DemandStepInput(**data)
    )


# --- intake and time limits ------------------------------------------------------------------


def test_a_demand_is_numbered_categorised_and_given_a_time_limit_in_working_days(cast, time_machine):
    time_machine.move_to(at(2026, 11, 16, 10, 0), tick=False)  # a Monday
    submitted = submitted_demand(cast, "窗口工作人员态度很差，问两句就不耐烦")
    demand = submitted.demand
    assert submitted.created and submitted.suggestion is not None
    assert demand.number == f"SQ20261116{demand.pk:06d}"
    assert submitted.query_code is not None and len(submitted.query_code) == 6 and submitted.query_code.isdigit()
    assert demand.category.code == "attitude" and demand.suggested_category.code == "attitude"
    assert demand.days == 5
    assert demand.due_at == at(2026, 11, 23, 23, 59, 59)  # Mon + 5 working days = next Mon
    assert (demand.state, demand.unit, demand.intake_unit) == (DemandState.RECEIVED, cast.district, cast.district)
    assert demand.contact_phone == "13700001111" and demand.phone_index == blind_index("phone", "13700001111")
    event = AuditEvent.objects.get(action="outreach:demand:submitted")
    assert event.data["suggested"] == "attitude" and "钱多多" not in str(event.data)
    assert "13700001111" not in str(event.data)


@pytest.mark.parametrize("spelling", ["+86 137 0000 1111", "0086-137-0000-1111", "137-0000-1111"])
def test_a_mobile_number_with_its_country_code_or_separators_is_stored_as_its_11_digits(cast, spelling):
    demand = submit_demand(cast, "大厅排队叫号系统经常出故障", phone=spelling)
    assert demand.contact_phone == "13700001111" and demand.phone_index == blind_index("phone", "13700001111")


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # 5 working days from Tue 29 Sep 2026: 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (调休上班), 12 Oct.
        (at(2026, 9, 29, 10, 0), 5, at(2026, 10, 12, 23, 59, 59)),
        # Received on National Day itself: the first working day after the holiday is day 1.
        (at(2026, 10, 3, 9, 0), 3, at(2026, 10, 10, 23, 59, 59)),
        # 政策咨询: 3 working days from Wed 30 Sep: 8, 9, 10 Oct.
        (at(2026, 9, 30, 16, 0), 3, at(2026, 10, 10, 23, 59, 59)),
    ],
)
def test_time_limits_count_working_days_across_the_2026_national_day_holiday(cast, time_machine, received, days, due):
    time_machine.move_to(received, tick=False)
    category = "policy" if days == 3 else "process"
    demand = submit_demand(cast, "请问办事流程是怎样的", category=category)
    assert demand.days == days
    assert demand.due_at == due


def test_a_changed_time_limit_at_assignment_counts_from_receipt_in_working_days(cast, time_machine):
    time_machine.move_to(at(2026, 9, 29, 10, 0), tick=False)
    demand = submit_demand(cast, "请问灵活就业社保补贴怎么申领", category="policy")
    time_machine.move_to(at(2026, 10, 8, 9, 0), tick=False)
    moved = move(cast, "supervisor", demand, DemandStep.ASSIGNED, unit=cast.unit_b, days=10)
    assert moved.due_at == at(2026, 10, 19, 23, 59, 59)  # 30 Sep, 8, 9, 10, 12–16, 19 Oct
    assert moved.assigned_at == at(2026, 10, 8, 9, 0)


def test_invalid_input_is_refused_with_chinese_field_messages(cast):
    with pytest.raises(ValidationFailed) as refused:
        submit_demand(cast, "差", phone="12345", name="")
    assert set(refused.value.fields) == {"content", "contact_name", "contact_phone"}
    with pytest.raises(ValidationFailed) as refused:
        submit_demand(cast, "请问怎么办理营业执照", category="no-such-category")
    assert "category_code" in refused.value.fields


def test_a_related_project_number_links_the_service_when_the_intake_may_see_it(cast):
    record = finished_record(cast, "SCJG-REL-1", days_ago=3)
    from haochaping.organizations.selectors import scope_for_system
    from haochaping.outreach.services import DemandInput, demand_submit

    data = DemandInput(
        content="营业执照办了一个月还没有办结", contact_name="孙", contact_phone="13700001111", project_no="SCJG-REL-1"
    )
    linked = demand_submit(actor=Actor.citizen(), data=data, source=DemandSource.PORTAL).demand
    assert linked.record == record
    outsider = demand_submit(
        actor=Actor.for_system(cast.system_a), data=data, source=DemandSource.API, scope=scope_for_system(cast.system_a)
    ).demand
    assert outsider.record == record  # SCJG's own system: in scope
    data.project_no = "NO-SUCH-PROJECT"
    assert demand_submit(actor=Actor.citizen(), data=data, source=DemandSource.PORTAL).demand.record is None


# --- the transition table ---------------------------------------------------------------------


def test_a_demand_goes_from_received_to_closed_with_a_timeline_and_the_reply_by_sms(cast):
    demand = submit_demand(cast)
    demand = move(cast, "supervisor", demand, DemandStep.ASSIGNED, unit=cast.unit_a, text="请市场监管局核实答复")
    assert (demand.state, demand.unit) == (DemandState.ASSIGNED, cast.unit_a)
    assert Notification.objects.filter(template_code="demand_assigned", recipient=cast.users["admin_a"]).exists()
    demand = move(cast, "admin_a", demand, DemandStep.REPLIED, text="已约谈窗口工作人员并通报批评，感谢您的监督。")
    assert demand.state == DemandState.REPLIED and demand.on_time
    sms = Notification.objects.get(template_code="demand_reply")
    assert sms.phone == "13700001111"
    assert demand.number in sms.body and "已约谈窗口工作人员" in sms.body
    assert "/demand/t/" in sms.template_params["url"]
    demand = move(cast, "operator", demand, DemandStep.CLOSED, satisfaction="satisfied", text="电话回访满意")
    assert (demand.state, demand.satisfaction) == (DemandState.CLOSED, "satisfied")
    steps = list(DemandAction.objects.filter(demand=demand).values_list("action", "to_state"))
    assert steps == [("submitted", "received"), ("assign", "assigned"), ("reply", "replied"), ("close", "closed")]
    actions = list(
        AuditEvent.objects.filter(target_id=str(demand.pk), action__startswith="outreach:demand:")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "outreach:demand:submitted",
        "outreach:demand:assigned",
        "outreach:demand:replied",
        "outreach:demand:closed",
    ]


def test_steps_outside_the_table_are_refused(cast):
    demand = submit_demand(cast)
    with pytest.raises(PermissionDenied):
        move(cast, "operator", demand, DemandStep.ASSIGNED, unit=cast.unit_a)  # supervisors assign
    with pytest.raises(NotFound):
        move(cast, "admin_a", demand, DemandStep.REPLIED, text="答复")  # not yet theirs: not even visible
    with pytest.raises(Conflict):
        move(cast, "supervisor", demand, DemandStep.CLOSED, satisfaction="satisfied")  # not answered yet
    demand = move(cast, "supervisor", demand, DemandStep.ASSIGNED, unit=cast.unit_a)
    with pytest.raises(NotFound):
        move(cast, "admin_b", demand, DemandStep.REPLIED, text="越权答复")
    with pytest.raises(ValidationFailed) as refused:
        move(cast, "admin_a", demand, DemandStep.REPLIED, text="  ")
    assert "text" in refused.value.fields
    with pytest.raises(NotFound):  # window staff see no demands at all
        move(cast, "clerk_a", demand, DemandStep.REPLIED, text="答复")


def test_a_department_returns_a_misassigned_demand_to_the_centre(cast):
    demand = assigned_demand(cast, "社保卡补办要多久", unit="a")
    demand = move(cast, "admin_a", demand, DemandStep.RETURNED, text="社保卡业务不属于市场监管局职责")
    assert (demand.state, demand.unit, demand.assigned_at) == (DemandState.RECEIVED, cast.district, None)
    assert Notification.objects.filter(template_code="demand_returned", recipient=cast.users["supervisor"]).exists()
    assert not demand_list(scope=caller_for_user(cast.users["admin_a"]).scope).exists()
    demand = move(cast, "supervisor", demand, DemandStep.ASSIGNED, unit=cast.unit_b)
    assert demand.unit == cast.unit_b


def test_inbox_messages_say_what_to_do_next_without_doubled_punctuation(cast):
    """Issue 13 item 4: the returned reason keeps one 。; assignment says where to answer."""
    demand = assigned_demand(cast, "社保卡补办要多久", unit="a")
    assigned = Notification.objects.get(template_code="demand_assigned", recipient=cast.users["admin_a"])
    assert "在“诉求与意见建议”中答复群众" in assigned.body and "请退回并说明理由" in assigned.body
    move(cast, "admin_a", demand, DemandStep.RETURNED, text="社保卡业务不属于市场监管局职责。")
    returned = Notification.objects.get(template_code="demand_returned", recipient=cast.users["supervisor"])
    assert "理由：社保卡业务不属于市场监管局职责。请核实后重新分派承办单位。" in returned.body
    assert "。。" not in returned.body


def test_the_shipped_inbox_texts_are_replaced_only_where_unedited(cast):
    """Migration 0007 updates a row whose body is still 0003's text; an edited row stays."""
    from importlib import import_module

    from django.apps import apps

    from haochaping.notifications.models import MessageTemplate

    migration = import_module("haochaping.outreach.migrations.0007_message_templates_say_what_to_do_next")
    old_assigned, new_assigned = migration.CHANGES["demand_assigned"]
    MessageTemplate.objects.filter(code="demand_assigned").update(body=old_assigned)
    MessageTemplate.objects.filter(code="demand_returned").update(body="本单位改过的文字 {number}")
    migration.forward(apps, None)
    assert MessageTemplate.objects.get(code="demand_assigned").body == new_assigned
    assert MessageTemplate.objects.get(code="demand_returned").body == "本单位改过的文字 {number}"
    migration.backward(apps, None)
    assert MessageTemplate.objects.get(code="demand_assigned").body == old_assigned


def test_the_supervisor_may_refuse_a_demand_without_content(cast):
    demand = submit_demand(cast, "啊啊啊啊啊啊啊")
    demand = move(cast, "supervisor", demand, DemandStep.INVALIDATED, text="无实际内容")
    assert demand.state == DemandState.INVALID and demand.closed_at is not None


def test_a_staff_closure_without_the_citizens_view_needs_an_explanation(cast):
    demand = assigned_demand(cast)
    move(cast, "admin_a", demand, DemandStep.REPLIED, text="已答复")
    with pytest.raises(ValidationFailed) as refused:
        move(cast, "operator", demand, DemandStep.CLOSED, satisfaction="unknown")
    assert "text" in refused.value.fields
    demand = move(cast, "operator", demand, DemandStep.CLOSED, satisfaction="unknown", text="三次联系均未接通")
    assert demand.satisfaction == "unknown"


# --- the citizen ---------------------------------------------------------------------------------


def test_the_citizen_finds_the_demand_with_number_and_code_and_closes_it(cast):
    demand = assigned_demand(cast)
    submitted = submitted_demand(cast, "请问办事流程是怎样的")
    fresh, code = submitted.demand, submitted.query_code
    assert demand_find_for_citizen(number=fresh.number.lower(), code=code).pk == fresh.pk
    assert demand_find_for_citizen(number=fresh.number, code="99999x") is None
    assert demand_find_for_citizen(number="SQ000", code=code) is None
    move(cast, "admin_a", demand, DemandStep.REPLIED, text="已整改")
    with pytest.raises(ValidationFailed):
        demand_close_by_citizen(demand_id=demand.pk, satisfaction="unknown")
    closed = demand_close_by_citizen(demand_id=demand.pk, satisfaction="unsatisfied", comment="还是没解决")
    assert (closed.state, closed.satisfaction) == (DemandState.CLOSED, "unsatisfied")
    event = AuditEvent.objects.filter(action="outreach:demand:closed").latest("id")
    assert event.actor_type == "citizen" and event.data["by"] == "citizen"
    with pytest.raises(Conflict):
        demand_close_by_citizen(demand_id=demand.pk, satisfaction="satisfied")


def test_the_my_ratings_page_gets_the_citizens_demands_by_phone_index(cast):
    mine = assigned_demand(cast, "营业执照办理太慢", phone="13700001111")
    other = submit_demand(cast, "别人的诉求内容", phone="13900009999")
    move(cast, "admin_a", mine, DemandStep.REPLIED, text="已加快办理，预计三个工作日内办结。")
    rows = demands_for_phone(blind_index("phone", "13700001111"))
    assert [row.number for row in rows] == [mine.number]
    row = rows[0]
    assert (row.progress, row.reply, row.can_rate) == ("已答复", "已加快办理，预计三个工作日内办结。", True)
    assert other.number not in [r.number for r in rows]
    assert demands_for_phone("") == []
    assert not hasattr(row, "contact_phone")


# --- the deadline watch --------------------------------------------------------------------------


def test_the_watch_warns_marks_overdue_and_escalates_unanswered_demands(cast, time_machine):
    time_machine.move_to(at(2026, 9, 29, 10, 0), tick=False)
    demand = assigned_demand(cast, "营业执照变更登记进度太慢", category="timeliness")
    assert demand.due_at == at(2026, 10, 12, 23, 59, 59)
    answered = assigned_demand(cast, "请问营业执照变更需要什么材料", category="materials")
    move(cast, "admin_a", answered, DemandStep.REPLIED, text="需要变更登记申请书等材料")
    assert demand_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}
    time_machine.move_to(at(2026, 10, 12, 8, 0), tick=False)
    assert demand_scan_deadlines().__dict__ == {"warned": 1, "overdue": 0, "escalated": 0}
    assert (
        Notification.objects.filter(template_code="demand_deadline_warning", recipient=cast.users["admin_a"]).count()
        == 1
    )
    time_machine.move_to(at(2026, 10, 13, 9, 0), tick=False)
    assert demand_scan_deadlines().__dict__ == {"warned": 0, "overdue": 1, "escalated": 0}
    time_machine.move_to(at(2026, 10, 14, 0, 30), tick=False)
    assert demand_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 1}
    assert demand_scan_deadlines().__dict__ == {"warned": 0, "overdue": 0, "escalated": 0}
    demand.refresh_from_db()
    assert demand.escalated_to == cast.district
    # The unit is told what to do; the supervisors get the daily digest, not a message per demand.
    escalated = Notification.objects.get(template_code="demand_escalated")
    assert escalated.recipient == cast.users["admin_a"] and escalated.thread == f"demand:{demand.pk}"
    assert escalated.body.startswith(
        f"诉求 {demand.number}（办理时限）已逾期未答复，已列入平顶山市石龙区督办：请立即答复群众"
    )
    marks = list(
        DemandAction.objects.filter(demand=demand, action__in=["warned", "overdue", "escalated"]).values_list(
            "action", flat=True
        )
    )
    assert marks == ["warned", "overdue", "escalated"]
    assert list(AuditEvent.objects.filter(action="outreach:demand:escalated").values_list("actor_type", flat=True)) == [
        "job"
    ]


def test_the_periodic_jobs_are_registered():
    from haochaping.jobs.registry import get_periodic

    for name in (
        "outreach.generate_call_lists",
        "outreach.scan_demand_deadlines",
        "outreach.supervision_digest",
        "outreach.purge_portal_attempts",
    ):
        assert get_periodic(name) is not None, name


# --- promotion of a rating -----------------------------------------------------------------------


def test_a_rating_with_a_suggestion_is_promoted_to_a_demand_once(cast):
    record = finished_record(cast, "SCJG-SUG-1", days_ago=2)
    evaluation = submit_rating(
        actor=Actor.citizen(),
        record=record,
        data=RatingInput(level=4, channel=4, text="服务不错，建议大厅增设老年人专用窗口"),
    )
    demand = demand_from_evaluation(caller=caller_for_user(cast.users["operator"]), evaluation_id=evaluation.pk)
    assert (demand.source, demand.evaluation, demand.record) == (DemandSource.RATING, evaluation, record)
    assert demand.content == "服务不错，建议大厅增设老年人专用窗口"
    assert demand.category.code == "feedback-suggestion"
    assert demand.contact_phone == "13812345678" and demand.contact_name == "张三丰"
    with pytest.raises(Conflict) as refused:
        demand_from_evaluation(caller=caller_for_user(cast.users["operator"]), evaluation_id=evaluation.pk)
    assert refused.value.code == "already_promoted"
    with pytest.raises(PermissionDenied):
        demand_from_evaluation(caller=caller_for_user(cast.users["clerk_a"]), evaluation_id=evaluation.pk)
    with pytest.raises(NotFound):
        demand_from_evaluation(caller=caller_for_user(cast.users["admin_b"]), evaluation_id=evaluation.pk)


# --- categories and templates --------------------------------------------------------------------


def test_supervisors_edit_the_category_tree_and_its_keywords(cast):
    supervisor = caller_for_user(cast.users["supervisor"])
    assert parse_keywords("态度 不耐烦:2，冷漠") == ["态度", ["不耐烦", 2], "冷漠"]
    created = category_create(
        caller=supervisor,
        code="facilities-parking",
        data=CategoryInput(name="停车问题", kind="request", days=7, keywords="停车:3 车位", parent_code="facilities"),
    )
    assert created.parent.code == "facilities" and created.keywords == [["停车", 3], "车位"]
    assert submit_demand(cast, "大厅门口停车太难了").category.code == "facilities-parking"
    with pytest.raises(ValidationFailed) as refused:
        category_update(
            caller=supervisor,
            code="facilities",
            data=CategoryInput(name="场所设施", kind="request", days=10, parent_code="facilities-parking"),
        )
    assert "parent" in refused.value.fields
    with pytest.raises(PermissionDenied):
        category_create(
            caller=caller_for_user(cast.users["operator"]),
            code="x",
            data=CategoryInput(name="x", kind="request", days=5),
        )
    assert AuditEvent.objects.filter(action="outreach:category:created").count() == 1


def test_the_migration_ships_the_same_templates_as_the_code():
    import importlib

    from haochaping.outreach.notify import TEMPLATES

    migration = importlib.import_module("haochaping.outreach.migrations.0003_message_templates")
    # 0007 (issue 13) replaced some bodies, where still unedited, and 0008 the escalation's title
    # and body: 0003 + 0007 + 0008 = the code.
    changes = importlib.import_module("haochaping.outreach.migrations.0007_message_templates_say_what_to_do_next")
    escalation = importlib.import_module("haochaping.outreach.migrations.0008_demand_escalated_goes_to_the_unit")
    shipped = []
    for code, channel, title, body in migration.TEMPLATES:
        if code in changes.CHANGES:
            old, new = changes.CHANGES[code]
            assert body == old
            body = new
        if code == escalation.CODE:
            assert (title, body) == escalation.OLD
            title, body = escalation.NEW
        shipped.append((code, channel, title, body))
    assert shipped == TEMPLATES


def test_the_escalation_migration_keeps_an_edited_text():
    import importlib

    from django.apps import apps

    from haochaping.notifications.models import MessageTemplate

    escalation = importlib.import_module("haochaping.outreach.migrations.0008_demand_escalated_goes_to_the_unit")
    row = MessageTemplate.objects.get(code=escalation.CODE)
    assert (row.title, row.body) == escalation.NEW
    escalation.backward(apps, None)
    assert MessageTemplate.objects.get(code=escalation.CODE).body == escalation.OLD[1]
    MessageTemplate.objects.filter(code=escalation.CODE).update(body="诉求 {number} 逾期（本区自定）")
    escalation.forward(apps, None)
    assert MessageTemplate.objects.get(code=escalation.CODE).body == "诉求 {number} 逾期（本区自定）"


def test_a_missing_template_row_is_recreated_before_the_reply_is_queued(cast):
    from haochaping.notifications.models import MessageTemplate

    MessageTemplate.objects.filter(code="demand_reply").delete()
    demand = assigned_demand(cast)
    move(cast, "admin_a", demand, DemandStep.REPLIED, text="已处理")
    assert MessageTemplate.objects.get(code="demand_reply").channel == "sms"
    assert Notification.objects.filter(template_code="demand_reply").count() == 1


@pytest.mark.parametrize("sql", ["UPDATE outreach_demandaction SET text = 'x'", "DELETE FROM outreach_demandaction"])
def test_the_database_refuses_to_change_a_timeline(cast, sql):
    """The append-only triggers (audit.immutability) hold on the table after its migration to
    the timeline base (0005 rebuilds the table on SQLite)."""
    submit_demand(cast)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert DemandAction.objects.get().action == DemandStep.SUBMITTED
