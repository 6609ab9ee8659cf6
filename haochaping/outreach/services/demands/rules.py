"""The rules every demand step shares: the limits of what is accepted, the phone as stored, the
time limit in working days, the unit that receives demands and the 查询码's hash."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings

from haochaping.core.calendar import DayKind, deadline
from haochaping.core.crypto import blind_index
from haochaping.core.crypto import normalise_phone as core_normalise_phone
from haochaping.core.errors import NotFound
from haochaping.organizations.models import Role, Unit

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
