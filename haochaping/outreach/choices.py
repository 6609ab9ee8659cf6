"""Codes of the outreach app: call tasks, call outcomes, demands and their categories."""

from django.db import models


class TaskKind(models.TextChoices):
    """The three call lists (SPEC §4 "Callbacks & invitations"; 通知 二(四)(五))."""

    CALLBACK_BAD_RATING = "callback_bad_rating", "差评整改回访"
    INVITATION_UNRATED = "invitation_unrated", "未评价邀评"
    CALLBACK_COMPLAINT = "callback_complaint", "投诉办理回访"


CALLBACK_KINDS = (TaskKind.CALLBACK_BAD_RATING, TaskKind.CALLBACK_COMPLAINT)

# The order the workbench works the lists in: callbacks close cases and demands that are
# waiting on them, so they come before invitations (a citizen who has not rated yet can wait).
WORK_ORDER = (TaskKind.CALLBACK_BAD_RATING, TaskKind.CALLBACK_COMPLAINT, TaskKind.INVITATION_UNRATED)

# The lists' short names (tabs, badges, messages of the workbench).
TASK_KIND_SHORT = {
    TaskKind.CALLBACK_BAD_RATING: "差评回访",
    TaskKind.INVITATION_UNRATED: "邀评",
    TaskKind.CALLBACK_COMPLAINT: "投诉回访",
}


class TaskStatus(models.TextChoices):
    OPEN = "open", "待拨打"
    DONE = "done", "已完成"
    UNREACHABLE = "unreachable", "无法联系（已关闭）"
    DO_NOT_CALL = "do_not_call", "要求勿扰（已关闭）"
    CANCELLED = "cancelled", "无需拨打（已关闭）"


CLOSED_STATUSES = (TaskStatus.DONE, TaskStatus.UNREACHABLE, TaskStatus.DO_NOT_CALL, TaskStatus.CANCELLED)


class Outcome(models.TextChoices):
    """What one contact attempt came to."""

    REACHED_RATED = "reached_rated", "接通已评价"
    REACHED_DECLINED = "reached_declined", "接通拒评"
    NO_ANSWER = "no_answer", "无人接听"
    WRONG_NUMBER = "wrong_number", "号码错误"
    DO_NOT_CALL = "do_not_call", "要求勿扰"
    SMS_SENT = "sms_sent", "已发送评价短信"  # an invitation answered by SMS link instead of a call


CALL_OUTCOMES = [o for o in Outcome if o != Outcome.SMS_SENT]
REACHED = (Outcome.REACHED_RATED, Outcome.REACHED_DECLINED)

# How the outcomes read on a callback (the citizen judges the rectification, not a service).
CALLBACK_OUTCOME_LABELS = {
    Outcome.REACHED_RATED: "接通，已表态",
    Outcome.REACHED_DECLINED: "接通，拒绝表态",
}


def outcome_label(outcome: str, kind: str) -> str:
    """How an outcome reads on a task of this kind: the same words in the call form, its
    confirmation and every list (a callback's citizen 表态, an invitation's citizen 评价)."""
    if not outcome:
        return ""
    if kind in CALLBACK_KINDS and outcome in CALLBACK_OUTCOME_LABELS:
        return CALLBACK_OUTCOME_LABELS[Outcome(outcome)]
    return Outcome(outcome).label if outcome in Outcome.values else outcome


class Satisfaction(models.TextChoices):
    """The citizen's satisfaction with a rectification or a demand's handling."""

    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    UNKNOWN = "unknown", "未表态"


CALLBACK_SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED)


class CategoryKind(models.TextChoices):
    REQUEST = "request", "诉求"
    CONSULTATION = "consultation", "咨询"
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "意见建议"
    PRAISE = "praise", "表扬"


class DemandSource(models.TextChoices):
    PORTAL = "portal", "网上提交"
    RATING = "rating", "评价转办"
    PHONE = "phone", "电话受理"
    API = "api", "业务系统"


class DemandState(models.TextChoices):
    RECEIVED = "received", "待分派"
    ASSIGNED = "assigned", "办理中"
    REPLIED = "replied", "已答复"
    CLOSED = "closed", "已办结"
    INVALID = "invalid", "不予受理"


# The time limit runs until the citizen has an answer (件件有落实、事事有回音).
DEMAND_RUNNING = (DemandState.RECEIVED, DemandState.ASSIGNED)
DEMAND_FINAL = (DemandState.CLOSED, DemandState.INVALID)

# What the citizen reads about their demand.
PUBLIC_DEMAND_STATE = {
    DemandState.RECEIVED: "已受理，待分派",
    DemandState.ASSIGNED: "办理中",
    DemandState.REPLIED: "已答复",
    DemandState.CLOSED: "已办结",
    DemandState.INVALID: "不予受理",
}


class DemandStep(models.TextChoices):
    """Steps on a demand's timeline: the transitions (workflow.py) and automatic marks."""

    SUBMITTED = "submitted", "受理"
    ASSIGNED = "assign", "分派"
    RETURNED = "return", "退回"
    REPLIED = "reply", "答复"
    CLOSED = "close", "办结"
    INVALIDATED = "invalidate", "不予受理"
    CITIZEN_CLOSED = "citizen_close", "群众确认办理结果"
    WARNED = "warned", "到期预警"
    OVERDUE = "overdue", "已逾期"
    ESCALATED = "escalated", "督办"
