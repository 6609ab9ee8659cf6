"""A year of bad-rating case handling for the demo district, through the real workflow service.

Older cases have gone the whole way (核实 → 整改 → 反馈 → 回访 → 办结), some with an extension,
a rejected or approved invalidity appeal, or an unsatisfied callback; recent cases are spread
over the open states; a handful (``UNHANDLED``), whose deadline passed in the last
``UNHANDLED_WITHIN_DAYS`` days, are left unhandled so the deadline watch marks them overdue and
escalates them (督办: their units are told; the supervisors get the day's 督办汇总 digest).
No older case is left behind: a well-run centre has worked through its year. Steps are dated
in the past with ``case_transition(at=...)`` (history import: nobody is notified).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.organizations.models import Membership, Role, Unit, UnitKind
from haochaping.organizations.selectors import Caller, caller_for_user
from haochaping.organizations.services import console_user_create
from haochaping.outreach.services.digest import supervision_digest_send
from haochaping.rectification.models import CaseState, RectificationCase
from haochaping.rectification.services import StepInput, case_scan_deadlines, case_transition
from haochaping.rectification.workflow import Action

VERIFY = (
    "经调阅窗口监控和办件记录，评价反映情况属实。",
    "已与评价人电话沟通，核实窗口确有解释不清、等候时间过长的问题。",
    "经核查，该事项办理过程中存在一次性告知不到位的情况，评价属实。",
    "经调查，窗口工作人员服务态度生硬，情况属实。",
)
RECTIFY = (
    "已对窗口工作人员进行批评教育，组织全体窗口人员开展服务礼仪培训。",
    "已优化叫号规则，高峰时段增开一个综合窗口，平均等候时间由 40 分钟降至 15 分钟。",
    "已重新梳理该事项申请材料清单，删除两项重复材料，并在大厅和网站同步公示。",
    "已修订办事指南，补充常见问题说明，窗口实行一次性告知单制度。",
    "已安排专人对接，帮助评价人补齐材料并当场办结。",
)
FEEDBACK = (
    "您好，您反映的问题已核实并整改：我们已加强窗口人员培训并优化办理流程，感谢您的监督。",
    "您好，针对您反映的等候时间长问题，大厅已在高峰时段增开窗口，欢迎再次监督。",
    "您好，您反映的材料要求不清问题已整改，办事指南已更新，感谢您的宝贵意见。",
)
CALLBACK_OK = ("电话回访，评价人对整改结果表示满意。", "回访评价人，认可整改措施，表示满意。")
CALLBACK_BAD = ("电话回访，评价人表示问题仍未彻底解决，要求继续整改。",)
EXTENSION = (
    "涉及跨部门系统对接，需协调市级部门，无法在期限内完成，申请延期。",
    "整改需采购设备并安装调试，申请延期十个工作日。",
)
INVALID = (
    "经调取监控录像，评价人未到窗口办理该业务，属误评，申请认定为无效评价。",
    "评价人因对政策规定本身不满而连续差评，与窗口服务无关，申请认定为无效评价。",
)
REVIEW_OK = ("经审核，证据充分，同意认定为无效评价。",)
REVIEW_NO = ("证据不足，驳回申请，请按程序整改。",)
PDF = b"%PDF-1.4\n% demo evidence\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
UNHANDLED = 4  # cases nobody has handled: overdue now and escalated (督办)
UNHANDLED_WITHIN_DAYS = 30  # ... chosen among those whose deadline passed (over a day ago) this recently


class _Clock:
    """Steps move forward in time from the case's opening; nothing may happen after ``now``."""

    def __init__(self, start: dt.datetime, now: dt.datetime, rng: random.Random):
        self.at, self.now, self.rng = start, now, rng

    def advance(self, low_hours: float, high_hours: float) -> bool:
        self.at += dt.timedelta(hours=self.rng.uniform(low_hours, high_hours))
        return self.at < self.now


def _unit_admins(actor: Actor) -> dict[int, Caller]:
    """A department admin per unit that handles cases (made here if the demo has none)."""
    callers: dict[int, Caller] = {}
    for membership in Membership.objects.filter(role=Role.DEPT_ADMIN).select_related("user", "unit"):
        callers.setdefault(membership.unit_id, caller_for_user(membership.user))
    for unit in Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.STREET_CENTER, UnitKind.COMMUNITY_POINT]):
        if unit.pk not in callers:
            user = console_user_create(actor=actor, username=f"gly-{unit.code.lower()}",
                                       password=secrets.token_urlsafe(18), unit=unit, role=Role.DEPT_ADMIN,
                                       display_name=f"{unit.name}管理员")  # fmt: skip
            callers[unit.pk] = caller_for_user(user)
    return callers


def work_cases(*, now: dt.datetime, seed: int, out: Callable[[str], None]) -> dict[str, int]:
    """Take every demo case as far as a real district would have by ``now``."""
    from django.contrib.auth import get_user_model

    actor = Actor.cli("seed_demo")
    users = get_user_model().objects
    supervisor = caller_for_user(users.get(username="zhongxin"))
    operator = caller_for_user(users.get(username="huifang"))
    admins = _unit_admins(actor)
    rng = random.Random(seed)
    cases = list(RectificationCase.objects.filter(state=CaseState.PENDING_VERIFY).order_by("opened_at", "id"))
    missed = [
        c.pk for c in cases if now - dt.timedelta(days=UNHANDLED_WITHIN_DAYS) <= c.due_at < now - dt.timedelta(days=1)
    ]
    unhandled = set(rng.sample(missed, min(UNHANDLED, len(missed))))
    for index, case in enumerate(cases):
        if case.pk in unhandled:
            continue  # the deadline watch below marks it overdue and escalates it
        with transaction.atomic():
            _work(case, admins[case.unit_id], supervisor, operator, _Clock(case.opened_at, now, rng), rng, now)
        if index % 200 == 199:
            out(f"  已处理差评工单 {index + 1} / {len(cases)} 件")
    scan = case_scan_deadlines(now=now)
    # The supervisors' inbox as the daily job leaves it: one 督办汇总 of today's overdue work
    # (the escalations themselves told only the units concerned).
    digest = supervision_digest_send(now=now)
    counts = {state.label: RectificationCase.objects.filter(state=state).count() for state in CaseState}
    counts["督办"] = scan.escalated
    counts["督办汇总"] = digest.sent
    return counts


def _work(case, admin: Caller, supervisor: Caller, operator: Caller, clock: _Clock, rng, now) -> None:
    def do(caller, action, text="", **kw) -> bool:
        nonlocal case
        case = case_transition(caller=caller, case_id=case.pk, action=action,
                               data=StepInput(text=text, **kw), at=clock.at)  # fmt: skip
        return True

    roll = rng.random()
    extended = False
    if roll < 0.07:  # an invalidity appeal with evidence
        if not clock.advance(3, 30):
            return
        evidence = SimpleUploadedFile("监控截图说明.pdf", PDF, content_type="application/pdf")
        do(admin, Action.REQUEST_INVALID, rng.choice(INVALID), files=[evidence])
        if not clock.advance(4, 48):
            return
        if roll < 0.045:
            do(supervisor, Action.APPROVE_INVALID, rng.choice(REVIEW_OK))
            return
        do(supervisor, Action.REJECT_INVALID, rng.choice(REVIEW_NO))
    else:
        if not clock.advance(2, 40):
            return
        do(admin, Action.VERIFY, rng.choice(VERIFY))
    if 0.07 <= roll < 0.13:  # needs more time
        due = timezone.localtime(case.due_at).date()
        request_at = case.due_at - dt.timedelta(days=rng.uniform(1, 3))
        if request_at >= now:
            return  # still within its period: the request is yet to come
        if request_at > clock.at:  # else verified too late to ask: rectified without an extension
            clock.at = request_at
            do(admin, Action.REQUEST_EXTENSION, rng.choice(EXTENSION),
               new_due=due + dt.timedelta(days=rng.randint(7, 15)))  # fmt: skip
            if not clock.advance(3, 20):
                return
            do(supervisor, Action.APPROVE_EXTENSION, "同意延期，请按新期限完成整改。")
            extended = True
    rounds = 2 if 0.13 <= roll < 0.17 else 1  # the first callback was not satisfied
    for round_ in range(rounds):
        # Rectified within the period: an extended case has days, not weeks, left.
        if not clock.advance(20, 24 * (6 if extended else 12)):
            return
        do(admin, Action.RECTIFY, rng.choice(RECTIFY))
        if not clock.advance(1, 20):
            return
        do(admin, Action.FEED_BACK, rng.choice(FEEDBACK))
        if not clock.advance(20, 72):
            return
        if round_ < rounds - 1:
            do(operator, Action.CALLBACK_UNSATISFIED, rng.choice(CALLBACK_BAD))
        else:
            do(operator, Action.CALLBACK_SATISFIED, rng.choice(CALLBACK_OK))
