"""Receiving demands: from the portal form, a business system, a phone call (电话受理) or a rating
promoted to a demand (评价转办). Validation, the automatic category, the time limit, the number
and the 查询码 shown once to the citizen."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.audit.timeline import timeline_append
from haochaping.core.crypto import blind_index
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.core.timeutil import local_date
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import evaluation_get_for
from haochaping.organizations.models import BusinessSystem, Unit
from haochaping.organizations.selectors import Caller, Scope
from haochaping.outreach import classify, notify
from haochaping.outreach.choices import DemandSource, DemandState, DemandStep
from haochaping.outreach.models import Demand, DemandAction, DemandCategory
from haochaping.outreach.services.categories import active_categories
from haochaping.outreach.services.demands.rules import (
    INTAKE_ROLES,
    MAX_CONTENT,
    MAX_NAME,
    MIN_CONTENT,
    PHONE_RE,
    demand_deadline,
    intake_unit_default,
    normalise_phone,
    query_code_hash,
)
from haochaping.service_records.models import ServiceRecord


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


@dataclass(frozen=True)
class _Categorised:
    """The category a new demand gets: the one chosen, else the automatic suggestion (if any)."""

    category: DemandCategory | None
    suggested: DemandCategory | None
    suggestion: classify.Suggestion | None

    @property
    def days(self) -> int:
        return self.category.days if self.category is not None else settings.DEMAND_DEFAULT_DAYS


def _categorise(content: str, chosen: DemandCategory | None) -> _Categorised:
    categories = active_categories()
    suggestion = classify.suggest(content, categories)
    suggested = next((c for c in categories if suggestion and c.pk == suggestion.category_id), None)
    return _Categorised(chosen or suggested, suggested, suggestion)


def _resent(system: BusinessSystem | None, external_id: str) -> Demand | None:
    """The demand a business system already sent with this ``external_id``, if any."""
    if system is None or not external_id:
        return None
    return Demand.objects.filter(system=system, external_id=external_id).first()


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
    resent = _resent(system, data.external_id)
    if resent is not None:
        return SubmittedDemand(resent, created=False)
    content, name, phone, chosen = _validate(data)
    guess = _categorise(content, chosen)
    now = now or timezone.now()
    unit = intake_unit or intake_unit_default()
    project_no = (data.project_no or "").strip()
    record = evaluation.record if evaluation is not None else _related_record(project_no, scope)
    demand = Demand(
        number=f"tmp-{uuid.uuid4().hex[:24]}",  # replaced once the id is known
        source=source,
        state=DemandState.RECEIVED,
        category=guess.category,
        suggested_category=guess.suggested,
        content=content,
        contact_name=name,
        contact_phone=phone,
        phone_index=blind_index("phone", phone),
        project_no=project_no or (record.project_no if record else ""),
        record=record,
        evaluation=evaluation,
        system=system,
        external_id=data.external_id or "",
        intake_unit=unit,
        unit=unit,
        days=guess.days,
        received_at=now,
        due_at=demand_deadline(now, guess.days),
        created_by=user,
    )
    code = f"{secrets.randbelow(10**6):06d}"
    try:
        _store(demand, code=code, guess=guess, actor=actor, user=user)
    except IntegrityError as exc:
        if evaluation is not None:
            raise Conflict("该评价已转为诉求", code="already_promoted") from exc
        resent = _resent(system, data.external_id)  # the same resend, stored meanwhile
        if resent is not None:
            return SubmittedDemand(resent, created=False)
        raise
    return SubmittedDemand(demand, created=True, query_code=code, suggestion=guess.suggestion)


def _store(demand: Demand, *, code: str, guess: _Categorised, actor: Actor, user) -> None:
    """INSERT the new demand, number it from its id, and write its first timeline step, the
    acknowledgement to the citizen and the audit event, in one transaction."""
    with transaction.atomic():
        demand.save(force_insert=True)
        demand.number = f"SQ{local_date(demand.received_at):%Y%m%d}{demand.pk:06d}"
        demand.query_code_hash = query_code_hash(demand.number, code)
        demand.save(update_fields=["number", "query_code_hash"])
        payload = {
            "number": demand.number,
            "source": demand.source,
            "category": guess.category.code if guess.category else "",
            "suggested": guess.suggested.code if guess.suggested else "",
            "matched": list(guess.suggestion.matched) if guess.suggestion else [],
            "days": demand.days,
            "due_at": demand.due_at.isoformat(),
            "record": demand.record_id,
            "evaluation": demand.evaluation_id,
        }
        timeline_append(
            DemandAction, demand, DemandStep.SUBMITTED, actor=actor, user=user, to_state=demand.state, data=payload,
            at=demand.received_at,
        )  # fmt: skip
        notify.received(demand=demand)
        audit_record(
            actor=actor, action="outreach:demand:submitted", target=demand, data={**payload, "unit": demand.unit.code}
        )


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
