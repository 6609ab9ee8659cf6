"""Call scripts (话术) shown beside the call form, one per list, in plain spoken Chinese.

Each script is a list of steps (title, what to say, notes for the operator). ``{placeholders}``
are filled from the task (the service, the unit, dates, the case or demand number, the
rectification result or the reply), never with the citizen's identity beyond a polite form of
address built from the masked name ("张先生/女士"). The operator introduces themself by 工号 (the
staff record linked to their account) or else by name — never by the login name, which is an
account detail, not something to read to a citizen (``operator_intro``).
"""

from __future__ import annotations

from dataclasses import dataclass

from haochaping.notifications.rendering import render_text
from haochaping.outreach.choices import TaskKind


@dataclass(frozen=True)
class ScriptStep:
    title: str
    say: tuple[str, ...]
    note: str = ""


CALLBACK_BAD_RATING = (
    ScriptStep(
        "开场、核实身份",
        (
            "您好，我是石龙区政务服务中心的{operator}。请问是{address}吗？",
            "您在{rated_on}对“{item}”的服务作了评价，并反映了问题。{unit}已经对您反映的问题进行了核实和整改，"
            "今天给您打电话做个简短回访，大约占用您两分钟时间，现在方便吗？",
        ),
        "群众不方便时，约定回访时间：通话结果选“无人接听”，并填写约定的下次拨打时间。",
    ),
    ScriptStep(
        "说明整改情况",
        (
            "针对您反映的问题，{unit}的整改情况是：{rectification}",
            "整改结果已于{fed_back_on}通过短信向您反馈过，请问您收到了吗？",
        ),
        "照实转述整改结果，不评价、不辩解；群众未收到短信的，可简要复述。",
    ),
    ScriptStep(
        "询问满意度",
        (
            "请问您对这次的整改结果是满意、基本满意，还是不满意？",
            "（不满意时）请问您觉得还有哪些问题没有解决好？我会如实记录，督促单位重新整改。",
        ),
        "只问不引导，按群众原意选择满意度；“不满意”须记录原因，工单将退回整改中并重新计算整改期限。",
    ),
    ScriptStep(
        "结束语",
        (
            "感谢您对我们工作的监督和支持！今后办事中遇到问题，也可以拨打 12345 政务服务便民热线反映。"
            "祝您生活愉快，再见！",
        ),
    ),
)

INVITATION_UNRATED = (
    ScriptStep(
        "开场、核实身份",
        (
            "您好，我是石龙区政务服务中心的{operator}。请问是{address}吗？",
            "您在{finished_on}通过{mode}办理的“{item}”（{unit}）已经办结。",
        ),
    ),
    ScriptStep(
        "邀请评价",
        (
            "为了把服务做得更好，想请您对这次办事服务做个评价，您的评价对我们很重要。",
            "您可以现在在电话里告诉我，也可以由我们给您发一条短信，您点开链接自己评价。您看哪种方便？",
        ),
        "评价完全自愿。群众不愿评价的，不劝说、不施压，通话结果选“接通拒评”。",
    ),
    ScriptStep(
        "电话评价",
        (
            "请问您对这次服务总体是：非常满意、满意、基本满意、不满意，还是非常不满意？",
            "您对这次服务还有什么意见或建议吗？我按您的原话记下来。",
        ),
        "按群众的回答选择等级，逐字记录群众原话；不得替群众选择、不得引导好评，也不得加入自己的看法。"
        "选“不满意”“非常不满意”的须记录具体问题，系统将自动生成差评整改工单。",
    ),
    ScriptStep(
        "短信评价",
        ("好的，稍后您会收到一条“【石龙区政务服务】”发来的短信，点开里面的链接就可以评价，链接 30 天内有效。",),
        "点击“发送评价短信”，本任务即完成；群众是否评价将计入邀评转化率。",
    ),
    ScriptStep("结束语", ("感谢您的支持，祝您生活愉快，再见！",)),
)

CALLBACK_COMPLAINT = (
    ScriptStep(
        "开场、核实身份",
        (
            "您好，我是石龙区政务服务中心的{operator}。请问是{address}吗？",
            "您在{received_on}反映的问题（受理编号 {number}），{unit}已经答复，今天给您做个回访，现在方便吗？",
        ),
    ),
    ScriptStep(
        "核实办理情况",
        (
            "答复的内容是：{reply}",
            "请问您反映的问题解决了吗？",
        ),
        "投诉人身份严格保密，不得向被投诉单位或个人透露投诉人信息。",
    ),
    ScriptStep(
        "询问满意度",
        (
            "请问您对这次投诉的办理结果是满意、基本满意，还是不满意？",
            "（不满意时）请您说说还有哪些问题，我如实记录后报督查人员研究处理。",
        ),
        "“不满意”的须记录原因；诉求以群众的满意度办结，督查人员可据此督办。",
    ),
    ScriptStep(
        "结束语", ("感谢您对政务服务工作的监督！如有新的问题，欢迎随时通过网上诉求入口或 12345 热线反映。再见！",)
    ),
)

# How the operator is introduced on each list: a callback comes from the 回访员, an
# invitation from a 工作人员 of the centre.
INTRO_ROLE = {
    TaskKind.CALLBACK_BAD_RATING: "回访员",
    TaskKind.INVITATION_UNRATED: "工作人员",
    TaskKind.CALLBACK_COMPLAINT: "回访员",
}


def operator_intro(kind: str, *, staff_no: str = "", name: str = "") -> str:
    """ "回访员，工号 1001", else "回访员张晓燕", else "回访员" (the ``{operator}`` of the scripts)."""
    role = INTRO_ROLE[TaskKind(kind)]
    if staff_no.strip():
        return f"{role}，工号 {staff_no.strip()}"
    return f"{role}{name.strip()}"


SCRIPTS = {
    TaskKind.CALLBACK_BAD_RATING: CALLBACK_BAD_RATING,
    TaskKind.INVITATION_UNRATED: INVITATION_UNRATED,
    TaskKind.CALLBACK_COMPLAINT: CALLBACK_COMPLAINT,
}

GENERAL_RULES = (
    "通话全程使用普通话、文明用语，先核实身份再说明来意。",
    "评价人身份依法保密（制度第六条），不得向被评价单位和工作人员透露。",
    "群众明确表示不愿再接到电话的，选择“要求勿扰”，该号码今后不再进入回访清单。",
    "号码显示后即视为已拨打，查看操作均有审计记录，请勿抄录、外传。",
)


@dataclass(frozen=True)
class FilledStep:
    title: str
    say: list[str]
    note: str


def script_for(kind: str, values: dict[str, str]) -> list[FilledStep]:
    """The script of a list with the task's values filled in (unknown ``{names}`` stay visible)."""
    filled = {k: v if v not in (None, "") else "（无）" for k, v in values.items()}
    return [
        FilledStep(step.title, [render_text(line, filled) for line in step.say], step.note)
        for step in SCRIPTS[TaskKind(kind)]
    ]
