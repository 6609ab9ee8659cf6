"""Common problems in the demo year (制度第十一条): three concentrations planted through the real
intake services, detection run as the scheduled job would have, and the supervisor's handling.

* A clerk with seven bad ratings about two months ago: detected then, accepted by the centre's
  supervisor, analysed, rectified with evidence and closed; its cases went the whole way, so the
  problem shows 双归零.
* A key phrase ("空调") in another department's bad ratings of the last ten days: detected today,
  accepted, analysed, 整改中 (open).
* An item of a third department in the last ten days: detected today, left 待研判 for the visitor.

Steps are dated in the past (``at=``) where the services allow it: nobody is notified.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from haochaping.audit.services import Actor
from haochaping.demo.fake import person
from haochaping.evaluations.models import Indicator
from haochaping.evaluations.selectors import RatingTarget
from haochaping.evaluations.services import RatingInput
from haochaping.insight.problems.detection import problems_detect
from haochaping.insight.problems.services import (
    AcceptInput,
    StepInput,
    problem_analysis_save,
    problem_transition,
    proposal_accept,
)
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.organizations.models import BusinessSystem
from haochaping.organizations.selectors import caller_for_user, scope_for_system
from haochaping.rectification.models import RectificationCase
from haochaping.rectification.services import StepInput as CaseStep
from haochaping.rectification.services import case_transition
from haochaping.rectification.workflow import Action as CaseAction
from haochaping.service_records.models import ServiceRecord
from haochaping.service_records.services import RecordInput, service_record_push

STAFF_TEXTS = ["说话很冲，问两句就不耐烦", "办事时一直在看手机", "让我在窗口外等了半天也不理", "材料没看就说不行",
               "讲解很敷衍，听不明白", "态度冷冰冰的", "催了几次才给办"]  # fmt: skip
PHRASE_TEXTS = ["大厅空调坏了，等候区特别热", "空调一直不制冷，排队时满头大汗", "二楼空调漏水，地上很滑",
                "空调温度太低，老人受不了", "空调噪音很大，听不清叫号", "空调坏了好几天也没人修"]  # fmt: skip
ITEM_TEXTS = ["网上说只要身份证，到了又要证明", "这个事项跑了三趟还没办成", "要求提供的材料前后说法不一",
              "办事指南跟窗口说的不一样", "等了很久说系统不支持", "同样的材料被退回两次"]  # fmt: skip
EVIDENCE = b"%PDF-1.4\n% demo evidence\n1 0 obj\n<<>>\nendobj\n"


class _Rater:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.system = BusinessSystem.objects.filter(unit__isnull=True).order_by("id").first()
        self.n = 0
        self.cases: list[int] = []
        self.codes = {
            mode: [
                code
                for code, levels, m in Indicator.objects.filter(indicator_set__is_active=True).values_list(
                    "code", "levels", "mode"
                )
                if 2 in levels and m in ("", mode)
            ]
            for mode in ("online", "offline")
        }

    def rate(self, like: ServiceRecord, at: dt.datetime, text: str) -> int:
        """A new service like ``like`` (same item, unit, window, clerk), rated 2 at ``at``."""
        self.n += 1
        applicant = person(self.rng)
        data = RecordInput(
            project_no=f"GXDEMO{at:%Y%m%d}{self.n:04d}", service_no=1, stage="2", item_code=like.item.code,
            unit_code=like.unit.code, mode=like.mode, applicant_kind=applicant.kind, applicant_name=applicant.name,
            applicant_id_type=applicant.id_type, applicant_id_number=applicant.id_number,
            applicant_phone=applicant.phone, window_code=like.window.code if like.window else None,
            staff_no=like.staff.staff_no if like.staff else None, accepted_at=at - dt.timedelta(minutes=40),
            finished_at=at - dt.timedelta(minutes=5),
        )  # fmt: skip
        system = self.system
        record = service_record_push(
            system=system, actor=Actor.for_system(system), scope=scope_for_system(system), data=data
        ).record
        # The service reached the platform then, not today (as the seed's own records).
        ServiceRecord.objects.filter(pk=record.pk).update(created_at=at - dt.timedelta(minutes=5))
        rating = RatingInput(level=2, channel=4 if like.mode == "offline" else 2,
                             reasons=[self.rng.choice(self.codes[like.mode])], text=text, evaluated_at=at)  # fmt: skip
        context = RatingContext(actor=Actor.citizen(), system=None if like.mode == "offline" else system)
        case = rating_receive(target=RatingTarget(record), data=rating, context=context).evaluation.case
        self.cases.append(case.pk)
        return case.pk


def _templates(**filters: Any) -> list[ServiceRecord]:
    return list(
        ServiceRecord.objects.filter(mode="offline", staff__isnull=False, window__isnull=False, **filters)
        .select_related("item", "unit", "window", "staff")
        .order_by("id")[:200]
    )


def plant_common_problems(result: Any, *, now: dt.datetime, seed: int, out: Callable[[str], None]) -> None:
    """Plant, detect and handle (module doc); adds the new records and bad ratings to ``result``."""
    rng = random.Random(seed)
    records = _templates()
    if not records:
        return
    out("正在生成共性问题（制度第十一条）：集中差评、检测线索、立项整改……")
    rater = _Rater(rng)
    units = sorted({r.unit_id for r in records}, key=lambda u: -sum(1 for r in records if r.unit_id == u))
    clerk_unit, phrase_unit, item_unit = (units * 3)[:3]
    supervisor = caller_for_user(get_user_model().objects.get(username="zhongxin"))
    pdf = SimpleUploadedFile("整改佐证材料.pdf", EVIDENCE, content_type="application/pdf")
    with transaction.atomic():
        # 1. A clerk, about two months ago: handled to 双归零.
        like = next(r for r in records if r.unit_id == clerk_unit)
        start = now - dt.timedelta(days=70)
        cases = [rater.rate(like, start + dt.timedelta(days=i, hours=rng.randrange(1, 6)), text)
                 for i, text in enumerate(STAFF_TEXTS)]  # fmt: skip
        detected = problems_detect(now=start + dt.timedelta(days=8))
        proposal = next(p for p in detected.proposed if set(cases) <= set(p.cases))
        at = start + dt.timedelta(days=9)
        problem = proposal_accept(caller=supervisor, proposal_id=proposal.pk, at=at,
                                  data=AcceptInput(f"{like.staff.name}服务态度问题集中差评", like.unit))  # type: ignore[union-attr]  # fmt: skip
        problem_analysis_save(caller=supervisor, problem_id=problem.pk,
                              root_cause="该工作人员新近调岗，对业务不熟悉，服务规范意识不强；窗口缺少带教。",
                              plan="开展服务规范专题培训，安排业务骨干带教一个月，纳入月度考核。")  # fmt: skip
        problem_transition(caller=supervisor, problem_id=problem.pk, action="analyse", data=StepInput(),
                           at=at + dt.timedelta(days=1))  # fmt: skip
        for pk in cases:
            case = RectificationCase.objects.get(pk=pk)
            for step, days, text in ((CaseAction.VERIFY, 1, "经核实，情况属实。"),
                                     (CaseAction.RECTIFY, 12, "已按共性问题整改方案完成培训和带教。"),
                                     (CaseAction.FEED_BACK, 13, "您好，您反映的问题已整改，感谢监督。"),
                                     (CaseAction.CALLBACK_SATISFIED, 15, "电话回访，评价人表示满意。")):  # fmt: skip
                case_transition(caller=supervisor, case_id=pk, action=step, data=CaseStep(text=text),
                                at=case.opened_at + dt.timedelta(days=days))  # fmt: skip
        problem_transition(caller=supervisor, problem_id=problem.pk, action="rectify", at=at + dt.timedelta(days=20),
                           data=StepInput(text="培训和带教已完成，近一个月无新增差评。", files=[pdf]))  # fmt: skip
        problem_transition(caller=supervisor, problem_id=problem.pk, action="close", at=at + dt.timedelta(days=25),
                           data=StepInput(text="整改到位，关联工单均已办结，同意办结。"))  # fmt: skip
        # 2. and 3. The last ten days: a phrase and an item.
        start = now - dt.timedelta(days=10)
        pool = [r for r in records if r.unit_id == phrase_unit]
        phrase_cases = [rater.rate(pool[i * 7 % len(pool)], start + dt.timedelta(days=i, hours=2), text)
                        for i, text in enumerate(PHRASE_TEXTS)]  # fmt: skip
        pool = [r for r in records if r.unit_id == item_unit]
        item = pool[0].item
        same_item = [r for r in pool if r.item_id == item.pk] or pool[:1]
        for i, text in enumerate(ITEM_TEXTS):
            rater.rate(same_item[i % len(same_item)], start + dt.timedelta(days=i, hours=3), text)
        detected = problems_detect(now=now)
        proposal = next((p for p in detected.proposed if set(phrase_cases) & set(p.cases)), None)
        if proposal is not None:
            problem = proposal_accept(caller=supervisor, proposal_id=proposal.pk,
                                      data=AcceptInput(f"{proposal.unit.name}大厅空调问题", proposal.unit))  # fmt: skip
            problem_analysis_save(caller=supervisor, problem_id=problem.pk,
                                  root_cause="大厅空调设备老化，维保合同到期未续签。",
                                  plan="续签维保合同，更换故障机组；整改期间增设风扇和饮水点。")  # fmt: skip
            problem_transition(caller=supervisor, problem_id=problem.pk, action="analyse", data=StepInput())
    added = rater.n
    result.records += added
    result.ratings += added
    result.bad_ratings += added
    result.cases += added
    for case in RectificationCase.objects.filter(pk__in=rater.cases):
        label = case.get_state_display()
        result.case_states[label] = result.case_states.get(label, 0) + 1
