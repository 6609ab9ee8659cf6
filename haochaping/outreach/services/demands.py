"""Writes for demands and suggestions: intake (portal, rating, phone, API), the transitions of
``workflow.py``, the citizen's closure, contact reveal, and the deadline watch.

Every state change moves the state with a conditional UPDATE (two users racing the same step
cannot both succeed), appends a ``DemandAction`` and writes the audit event, in one
transaction; messages are queued in that same transaction (``notify.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.core.calendar import DayKind, deadline
from haochaping.core.crypto import blind_index, constant_time_equal
from haochaping.core.crypto import normalise_phone as core_normalise_phone
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.core.timeutil import local_date
from haochaping.core.workflow import Transition
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import evaluation_get_for
from haochaping.organizations.models import BusinessSystem, Role, Unit
from haochaping.organizations.selectors import Caller, Scope
from haochaping.outreach import classify, notify
from haochaping.outreach.choices import (
    CALLBACK_SATISFACTION,
    DEMAND_RUNNING,
    DemandSource,
    DemandState,
    DemandStep,
    Satisfaction,
)
from haochaping.outreach.models import Demand, DemandAction, DemandCategory, PortalAttempt
from haochaping.outreach.selectors import demand_get_for
from haochaping.outreach.workflow import TRANSITIONS
from haochaping.rectification.services import supervising_unit
from haochaping.service_records.models import ServiceRecord

MIN_CONTENT = 5
MAX_CONTENT = 2000
MAX_TEXT = 2000
MAX_NAME = 50
MAX_DAYS = 60
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11})$")  # a mainland mobile, or a landline with its area code
REVEAL_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
INTAKE_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.DEPT_ADMIN})


def normalise_phone(phone: str) -> str:
    """Digits only, without a mobile's country code: "0375-123 4567" -> "03751234567",
    "+86 138 1234 5678" -> "13812345678"."""
    return "".join(ch for ch in core_normalise_phone(phone or "") if ch.isdigit())


def demand_deadline(start: dt.datetime, days: int) -> dt.datetime:
    """限时办理: the end of the local day ``days`` working days after ``start`` (holidays and 调休 counted)."""
    return deadline(start, days, DayKind.WORKING)


def intake_unit_default() -> Unit:
    """Where demands without a unit are received: ``DEMAND_INTAKE_UNIT``, else the root of the tree."""
    code = settings.DEMAND_INTAKE_UNIT
    unit = (Unit.objects.filter(code=code) if code else Unit.objects.filter(parent__isnull=True)).order_by("path")
    found = unit.first()
    if found is None:
        raise NotFound("平台尚未设置受理单位，请联系平台管理员", code="no_intake_unit")
    return found


def query_code_hash(number: str, code: str) -> str:
    return blind_index("demand_code", f"{number}:{code}")


CATEGORY_DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def category_ensure_default() -> int:
    """Load the shipped category tree if the table is empty (migration 0002 does this on install;
    a wiped database, e.g. after a transactional test, needs it again). Returns how many were added."""
    if DemandCategory.objects.exists():
        return 0
    spec = json.loads(CATEGORY_DATA.read_text(encoding="utf-8"))
    added = 0

    def add(items: list[dict], parent: DemandCategory | None) -> None:
        nonlocal added
        for item in items:
            category, created = DemandCategory.objects.get_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "parent": parent,
                    "kind": item["kind"],
                    "days": item["days"],
                    "keywords": item["keywords"],
                    "sort_order": item["sort_order"],
                },
            )
            added += created
            add(item.get("children", []), category)

    with transaction.atomic():
        add(spec["categories"], None)
    return added


def active_categories() -> list[DemandCategory]:
    """Every active category in tree order (parents before their children)."""
    category_ensure_default()
    return list(DemandCategory.objects.filter(is_active=True).order_by("sort_order", "code"))


# --- intake --------------------------------------------------------------------------------


@dataclass
class DemandInput:
    """A demand as the citizen (or the staff member taking the call) states it."""

    content: str
    contact_name: str
    contact_phone: str
    category_code: str = ""
    project_no: str = ""
    external_id: str = ""  # a business system's own id: a resend returns the stored demand


def _validate(data: DemandInput, *, category_required: bool = False) -> tuple[str, str, str, DemandCategory | None]:
    errors: dict[str, list[str]] = {}
    content = (data.content or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    name = (data.contact_name or "").strip()
    phone = normalise_phone(data.contact_phone)
    if len(content) < MIN_CONTENT:
        errors["content"] = [f"请具体描述您反映的问题或建议（至少 {MIN_CONTENT} 个字）"]
    elif len(content) > MAX_CONTENT:
        errors["content"] = [f"内容不能超过 {MAX_CONTENT} 字"]
    if not name:
        errors["contact_name"] = ["请填写联系人姓名"]
    elif len(name) > MAX_NAME:
        errors["contact_name"] = [f"姓名不能超过 {MAX_NAME} 字"]
    if not PHONE_RE.match(phone):
        errors["contact_phone"] = ["请填写正确的手机号码（11 位）或带区号的固定电话"]
    if len(data.project_no or "") > 50:
        errors["project_no"] = ["办件编号不能超过 50 位"]
    category = None
    if data.category_code:
        category = DemandCategory.objects.filter(code=data.category_code, is_active=True).first()
        if category is None:
            errors["category_code"] = [f"分类 {data.category_code} 不存在或已停用"]
    elif category_required:
        errors["category_code"] = ["请选择分类"]
    if errors:
        raise ValidationFailed("提交的内容不完整或有误", fields=errors)
    return content, name, phone, category


def _related_record(project_no: str, scope: Scope | None) -> ServiceRecord | None:
    """The service a demand refers to (its latest service), if it exists and the intake may see it."""
    if not project_no:
        return None
    record = ServiceRecord.objects.select_related("unit").filter(project_no=project_no).order_by("-service_no").first()
    if record is None or (scope is not None and not scope.allows_unit(record.unit)):
        return None
    return record


@dataclass(frozen=True)
class SubmittedDemand:
    """What ``demand_submit`` hands back: the demand and what only this intake call knows.

    ``created`` is False when a business system's resend (same ``external_id``) returned the
    stored demand; then ``query_code`` is None (only its hash is kept, the code was issued
    once) and so is ``suggestion``. ``suggestion`` is the automatic category guess, if any.
    """

    demand: Demand
    created: bool
    query_code: str | None = None
    suggestion: classify.Suggestion | None = None


def demand_submit(
    *,
    actor: Actor,
    data: DemandInput,
    source: str,
    intake_unit: Unit | None = None,
    scope: Scope | None = None,
    system: BusinessSystem | None = None,
    evaluation: Evaluation | None = None,
    user=None,
    now: dt.datetime | None = None,
) -> SubmittedDemand:
    """Receive one demand: validate, suggest a category (jieba keywords), set the time limit in
    working days, number it, and return it with its ``query_code`` (shown once to the citizen).

    ``scope`` limits which service record a given 办件编号 may link to (a business system's or a
    staff member's scope; the public form passes None and never learns whether it matched).
    A business system's resend with the same ``external_id`` returns the stored demand with
    ``created = False``.
    """
    if source not in DemandSource.values:
        raise ValueError(f"unknown demand source {source!r}")
    if system is not None and data.external_id:
        existing = Demand.objects.filter(system=system, external_id=data.external_id).first()
        if existing is not None:
            return SubmittedDemand(existing, created=False)
    content, name, phone, chosen = _validate(data)
    categories = active_categories()
    suggestion = classify.suggest(content, categories)
    suggested = next((c for c in categories if suggestion and c.pk == suggestion.category_id), None)
    category = chosen or suggested
    days = category.days if category is not None else settings.DEMAND_DEFAULT_DAYS
    now = now or timezone.now()
    unit = intake_unit or intake_unit_default()
    record = evaluation.record if evaluation is not None else _related_record((data.project_no or "").strip(), scope)
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        with transaction.atomic():
            demand = Demand.objects.create(
                number=f"tmp-{uuid.uuid4().hex[:24]}",  # replaced below, once the id is known
                source=source,
                state=DemandState.RECEIVED,
                category=category,
                suggested_category=suggested,
                content=content,
                contact_name=name,
                contact_phone=phone,
                phone_index=blind_index("phone", phone),
                project_no=(data.project_no or "").strip() or (record.project_no if record else ""),
                record=record,
                evaluation=evaluation,
                system=system,
                external_id=data.external_id or "",
                intake_unit=unit,
                unit=unit,
                days=days,
                received_at=now,
                due_at=demand_deadline(now, days),
                created_by=user,
            )
            demand.number = f"SQ{local_date(now):%Y%m%d}{demand.pk:06d}"
            demand.query_code_hash = query_code_hash(demand.number, code)
            demand.save(update_fields=["number", "query_code_hash"])
            payload = {
                "number": demand.number,
                "source": source,
                "category": category.code if category else "",
                "suggested": suggested.code if suggested else "",
                "matched": list(suggestion.matched) if suggestion else [],
                "days": days,
                "due_at": demand.due_at.isoformat(),
                "record": record.pk if record else None,
                "evaluation": evaluation.pk if evaluation else None,
            }
            timeline_append(
                DemandAction,
                demand,
                DemandStep.SUBMITTED,
                actor=actor,
                user=user,
                to_state=demand.state,
                text="",
                data=payload,
                at=now,
            )
            notify.received(demand=demand)
            audit_record(
                actor=actor, action="outreach:demand:submitted", target=demand, data={**payload, "unit": unit.code}
            )
    except IntegrityError as exc:
        if evaluation is not None:
            raise Conflict("该评价已转为诉求", code="already_promoted") from exc
        if system is not None and data.external_id:
            existing = Demand.objects.filter(system=system, external_id=data.external_id).first()
            if existing is not None:
                return SubmittedDemand(existing, created=False)
        raise
    return SubmittedDemand(demand, created=True, query_code=code, suggestion=suggestion)


def _caller_unit(caller: Caller) -> Unit:
    membership = getattr(caller.user, "membership", None) if caller.user is not None else None
    if membership is not None:
        return membership.unit
    if caller.system is not None and caller.system.unit is not None:
        return caller.system.unit
    return intake_unit_default()


def demand_take_call(*, caller: Caller, data: DemandInput) -> SubmittedDemand:
    """A demand taken by phone (电话受理): received at the staff member's own unit."""
    if caller.role not in INTAKE_ROLES or caller.user is None:
        raise PermissionDenied("您的角色不能登记诉求", code="intake_not_allowed")
    return demand_submit(
        actor=Actor.for_caller(caller),
        data=data,
        source=DemandSource.PHONE,
        intake_unit=_caller_unit(caller),
        scope=caller.scope,
        user=caller.user,
    )


def demand_from_evaluation(*, caller: Caller, evaluation_id: int, content: str = "", category_code: str = "") -> Demand:
    """Promote a rating whose text carries a suggestion or a complaint to a demand (评价转办).

    The contact is the evaluator (the rating's or, usually, the service's applicant); the
    content defaults to the rating's own words. One demand per rating.
    """
    if caller.role not in INTAKE_ROLES or caller.user is None:
        raise PermissionDenied("您的角色不能将评价转为诉求", code="intake_not_allowed")
    evaluation = evaluation_get_for(scope=caller.scope, pk=evaluation_id, with_identity=True)
    existing = Demand.objects.filter(evaluation=evaluation).first()
    if existing is not None:
        raise Conflict(f"该评价已转为诉求 {existing.number}", code="already_promoted", extra={"id": existing.pk})
    record = evaluation.record
    phone = evaluation.evaluator_phone or record.applicant_phone
    if not phone:
        raise ValidationFailed("该评价没有联系电话，无法转为诉求（无法答复评价人）", code="no_contact")
    data = DemandInput(
        content=content or evaluation.text,
        contact_name=evaluation.evaluator_name or record.applicant_name,
        contact_phone=phone,
        category_code=category_code,
    )
    return demand_submit(
        actor=Actor.for_caller(caller),
        data=data,
        source=DemandSource.RATING,
        intake_unit=_caller_unit(caller),
        scope=caller.scope,
        evaluation=evaluation,
        user=caller.user,
    ).demand


# --- transitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandStepInput:
    text: str = ""
    unit: Unit | None = None  # assign
    category_code: str = ""  # assign (optional: confirm or change the category)
    days: int | None = None  # assign (optional: another time limit than the category's)
    satisfaction: str = ""  # close


def _check(caller: Caller, demand: Demand, step: Transition[DemandStep], data: DemandStepInput) -> dict:
    if caller.role not in step.roles:
        raise PermissionDenied(f"您的角色无权执行“{step.action.label}”", code="action_not_allowed")
    if demand.state not in step.sources:
        raise Conflict(
            f"诉求当前状态为“{demand.get_state_display()}”，不能执行“{step.action.label}”", code="illegal_transition"
        )
    errors: dict[str, list[str]] = {}
    text = (data.text or "").strip()
    if step.needs_text and not text:
        errors["text"] = [f"请填写{step.text_label}"]
    elif len(text) > MAX_TEXT:
        errors["text"] = [f"不能超过 {MAX_TEXT} 字"]
    checked: dict = {"text": text}
    if step.action == DemandStep.ASSIGNED:
        if data.unit is None:
            errors["unit"] = ["请选择承办单位"]
        elif not data.unit.is_active or not caller.scope.allows_unit(data.unit):
            errors["unit"] = ["承办单位不存在或不在您的管辖范围内"]
        category = demand.category
        if data.category_code:
            category = DemandCategory.objects.filter(code=data.category_code, is_active=True).first()
            if category is None:
                errors["category_code"] = ["分类不存在或已停用"]
        days = data.days if data.days is not None else (category.days if category else demand.days)
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = [f"办理时限须为 1–{MAX_DAYS} 个工作日"]
        checked.update(category=category, days=days)
    if step.action == DemandStep.CLOSED and data.satisfaction not in Satisfaction.values:
        errors["satisfaction"] = ["请选择群众对办理结果的满意度"]
    elif data.satisfaction == Satisfaction.UNKNOWN and not text:
        errors["text"] = ["群众未表态的，请说明情况（如多次联系未接通）"]
    if errors:
        raise ValidationFailed("提交的内容不完整或有误", fields=errors)
    return checked


def demand_transition(
    *, caller: Caller, demand_id: int, action: str, data: DemandStepInput, now: dt.datetime | None = None
) -> Demand:
    """Perform one step of ``workflow.TRANSITIONS`` on a demand the caller can see."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationFailed(f"未知的操作：{action}", code="unknown_action")
    demand = demand_get_for(scope=caller.scope, pk=demand_id)
    checked = _check(caller, demand, step, data)
    now = now or timezone.now()
    actor = Actor.for_caller(caller)
    changes: dict = {"state": step.target}
    payload: dict = {}
    previous_unit, previous_state = demand.unit, demand.state
    match step.action:
        case DemandStep.ASSIGNED:
            unit, category, days = data.unit, checked["category"], checked["days"]
            if unit is None:  # pragma: no cover  (_check has refused it: 请选择承办单位)
                raise ValidationFailed("请选择承办单位", fields={"unit": ["请选择承办单位"]})
            changes.update(unit=unit, assigned_at=now, category=category, days=days)
            payload.update(unit=unit.code, category=category.code if category else "", days=days)
            if days != demand.days:
                due = demand_deadline(demand.received_at, days)
                changes.update(due_at=due, warned_at=None, overdue_at=None)
                payload.update(previous_due=demand.due_at.isoformat(), due_at=due.isoformat())
        case DemandStep.RETURNED:
            back = supervising_unit(demand.unit)
            changes.update(unit=back, assigned_at=None)
            payload.update(unit=back.code, returned_by=demand.unit.code)
        case DemandStep.REPLIED:
            changes.update(replied_at=now, reply=checked["text"])
            payload["on_time"] = now <= demand.due_at
        case DemandStep.CLOSED:
            changes.update(closed_at=now, satisfaction=data.satisfaction)
            payload["satisfaction"] = data.satisfaction
        case DemandStep.INVALIDATED:
            changes["closed_at"] = now
    with transaction.atomic():
        moved = Demand.objects.filter(pk=demand.pk, state=previous_state).update(**changes)
        if moved != 1:
            raise Conflict("诉求已被他人处理，请刷新页面后重试", code="demand_state_changed")
        demand.refresh_from_db()
        entry = timeline_append(
            DemandAction,
            demand,
            step.action,
            actor=actor,
            user=caller.user,
            from_state=previous_state,
            to_state=step.target,
            text=checked["text"],
            data=payload,
            at=now,
        )
        match step.action:
            case DemandStep.ASSIGNED:
                notify.assigned(demand=demand, step_id=entry.pk)
            case DemandStep.RETURNED:
                notify.returned(demand=demand, from_unit=previous_unit, text=checked["text"], step_id=entry.pk)
            case DemandStep.REPLIED:
                notify.replied(demand=demand, step_id=entry.pk, actor=actor)
        audit_record(
            actor=actor,
            action=f"outreach:demand:{_AUDIT_VERBS[step.action]}",
            target=demand,
            data={"number": demand.number, "from": previous_state, "to": step.target, **payload},
        )
    return demand


_AUDIT_VERBS = {
    DemandStep.ASSIGNED: "assigned",
    DemandStep.RETURNED: "returned",
    DemandStep.REPLIED: "replied",
    DemandStep.CLOSED: "closed",
    DemandStep.INVALIDATED: "invalidated",
}


def demand_close_by_citizen(
    *, demand_id: int, satisfaction: str, comment: str = "", now: dt.datetime | None = None
) -> Demand:
    """The citizen confirms the answer on the portal, with their satisfaction (closes the demand).

    The caller (the portal) has already proved the citizen holds the demand's signed link or
    its 查询码.
    """
    errors: dict[str, list[str]] = {}
    if satisfaction not in CALLBACK_SATISFACTION:
        errors["satisfaction"] = ["请选择您对办理结果的满意程度"]
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors["comment"] = ["意见不能超过 500 字"]
    if errors:
        raise ValidationFailed("提交的内容不完整", fields=errors)
    now = now or timezone.now()
    actor = Actor.citizen()
    with transaction.atomic():
        moved = Demand.objects.filter(pk=demand_id, state=DemandState.REPLIED).update(
            state=DemandState.CLOSED, closed_at=now, satisfaction=satisfaction
        )
        if moved != 1:
            raise Conflict("该诉求当前不能评价（可能已办结）", code="demand_not_replied")
        demand = Demand.objects.get(pk=demand_id)
        timeline_append(
            DemandAction,
            demand,
            DemandStep.CITIZEN_CLOSED,
            actor=actor,
            from_state=DemandState.REPLIED,
            to_state=DemandState.CLOSED,
            text=comment,
            data={"satisfaction": satisfaction},
            at=now,
        )
        audit_record(
            actor=actor,
            action="outreach:demand:closed",
            target=demand,
            data={"number": demand.number, "satisfaction": satisfaction, "by": "citizen"},
        )
    return demand


def demand_find_for_citizen(*, number: str, code: str) -> Demand | None:
    """The demand with this 受理编号 if the 查询码 fits; None otherwise (same answer for both)."""
    demand = Demand.objects.filter(number=(number or "").strip().upper()).first()
    if demand is None or not demand.query_code_hash:
        return None
    if not constant_time_equal(demand.query_code_hash, query_code_hash(demand.number, (code or "").strip())):
        return None
    return demand


def demand_reveal_contact(*, caller: Caller, demand_id: int) -> str:
    """The contact phone in clear, for an operator or supervisor about to call; audited."""
    if caller.role not in REVEAL_ROLES:
        raise PermissionDenied("只有回访员和督查人员可以查看完整联系电话", code="reveal_not_allowed")
    demand = demand_get_for(scope=caller.scope, pk=demand_id)
    with transaction.atomic():
        audit_record(
            actor=Actor.for_caller(caller),
            action="outreach:contact:revealed",
            target=demand,
            data={"number": demand.number, "field": "contact_phone"},
        )
    return demand.contact_phone


# --- the deadline watch ----------------------------------------------------------------------


@dataclass
class ScanResult:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0


def demand_scan_deadlines(*, now: dt.datetime | None = None) -> ScanResult:
    """Warn before the time limit, mark overdue at it, escalate (督办) after the grace period.

    The same mechanism as the rectification deadline watch: conditional UPDATEs, so several
    workers never double-mark; only the winner writes the timeline, audit and messages.
    """
    now = now or timezone.now()
    actor = Actor.job("诉求到期检查")
    result = ScanResult()
    running = Demand.objects.filter(state__in=DEMAND_RUNNING).select_related("unit", "category")
    warn_before = dt.timedelta(hours=settings.DEMAND_WARN_HOURS)
    for demand in running.filter(warned_at__isnull=True, due_at__gt=now, due_at__lte=now + warn_before):
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, warned_at__isnull=True).update(warned_at=now):
                timeline_append(
                    DemandAction,
                    demand,
                    DemandStep.WARNED,
                    actor=actor,
                    data={"due_at": demand.due_at.isoformat()},
                    at=now,
                )
                audit_record(
                    actor=actor,
                    action="outreach:demand:warned",
                    target=demand,
                    data={"number": demand.number, "due_at": demand.due_at.isoformat()},
                )
                notify.deadline_warning(demand=demand)
                result.warned += 1
    for demand in running.filter(overdue_at__isnull=True, due_at__lte=now):
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, overdue_at__isnull=True).update(overdue_at=now):
                timeline_append(
                    DemandAction,
                    demand,
                    DemandStep.OVERDUE,
                    actor=actor,
                    data={"due_at": demand.due_at.isoformat()},
                    at=now,
                )
                audit_record(
                    actor=actor,
                    action="outreach:demand:overdue",
                    target=demand,
                    data={"number": demand.number, "due_at": demand.due_at.isoformat()},
                )
                result.overdue += 1
    grace = dt.timedelta(hours=settings.DEMAND_ESCALATE_AFTER_HOURS)
    for demand in running.filter(escalated_at__isnull=True, due_at__lte=now - grace):
        target = supervising_unit(demand.unit)
        with transaction.atomic():
            if Demand.objects.filter(pk=demand.pk, escalated_at__isnull=True).update(
                escalated_at=now, escalated_to=target
            ):
                data = {"to": target.code, "due_at": demand.due_at.isoformat()}
                timeline_append(DemandAction, demand, DemandStep.ESCALATED, actor=actor, data=data, at=now)
                audit_record(
                    actor=actor,
                    action="outreach:demand:escalated",
                    target=demand,
                    data={"number": demand.number, **data},
                )
                notify.escalated(demand=demand, to=target)
                result.escalated += 1
    return result


# --- public-form rate limits ---------------------------------------------------------------


def client_key(client_ip: str) -> str:
    """A keyed hash of the client address: the rate limits count it, nobody can read it back."""
    return blind_index("client_ip", client_ip or "unknown")


def portal_attempt_record(*, kind: str, client_ip: str, now: dt.datetime | None = None) -> None:
    """Count one public-form event (``submit``, ``honeypot``, ``track_failed``) for this client."""
    PortalAttempt.objects.create(kind=kind, key=client_key(client_ip), at=now or timezone.now())


def portal_attempts_purge(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    return PortalAttempt.objects.filter(at__lt=timezone.now() - older_than).delete()[0]
