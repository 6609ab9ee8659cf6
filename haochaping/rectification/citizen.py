"""What a citizen sees about their own services (the "my ratings" / 我的评价 data, 制度第九条).

The caller (the portal, after an SMS code) narrows the services to the phone number used for
them, through its blind index, and has already proved the citizen owns that number. Nothing here
names staff beyond what the rating page shows, and an invalidity appeal is never revealed
(the citizen sees that the case was closed, not who appealed or why).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from haochaping.rectification.models import CaseAction, CaseState, RectificationCase
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceRecord

# The citizen's view of a case: fewer, plainer states, and nothing about appeals.
PUBLIC_STATE = {
    CaseState.PENDING_VERIFY: "核实中",
    CaseState.INVALID_REQUESTED: "核实中",
    CaseState.RECTIFYING: "整改中",
    CaseState.EXTENSION_REQUESTED: "整改中",
    CaseState.RECTIFIED: "整改完成，待反馈",
    CaseState.FED_BACK: "已反馈，待回访",
    CaseState.CLOSED: "已办结",
    CaseState.INVALIDATED: "已办结",
}


@dataclass
class CitizenService:
    record: ServiceRecord
    rated: bool
    level_label: str = ""
    evaluated_at: dt.datetime | None = None
    case_number: str = ""
    case_progress: str = ""
    due_at: dt.datetime | None = None
    feedback: str = ""
    fed_back_at: dt.datetime | None = None


def citizen_services(records: QuerySet[ServiceRecord], *, limit: int | None = None) -> list[CitizenService]:
    """The citizen's services among ``records`` (newest first, at most ``limit``) with their
    ratings and, for bad ones, the case's public progress and its feedback. Three queries.

    ``records`` is already narrowed to the citizen (by the phone's blind index) by the caller,
    which proved the number; appeals stay hidden (``PUBLIC_STATE``).
    """
    feedback = CaseAction.objects.filter(action=Action.FEED_BACK).order_by("-occurred_at", "-id")
    records = (
        records.select_related("item", "unit", "staff", "evaluation", "evaluation__case")
        .prefetch_related(Prefetch("evaluation__case__actions", queryset=feedback, to_attr="feedback"))
        .order_by("-created_at", "-id")
    )
    out = []
    for record in records[:limit] if limit is not None else records:
        evaluation = getattr(record, "evaluation", None)
        item = CitizenService(record=record, rated=evaluation is not None)
        if evaluation is not None:
            item.level_label = evaluation.get_level_display()
            item.evaluated_at = evaluation.evaluated_at
            case: RectificationCase | None = getattr(evaluation, "case", None)
            if case is not None:
                item.case_number = case.number
                item.case_progress = PUBLIC_STATE[CaseState(case.state)]
                item.due_at = case.due_at
                if case.feedback:
                    item.feedback = case.feedback[0].text
                    item.fed_back_at = case.feedback[0].occurred_at
        out.append(item)
    return out
