"""The shipped message templates (code, channel, title, body).

Migration 0002 loaded a frozen copy of these into ``MessageTemplate``; later data migrations
add new ones and update changed ones (only rows still equal to the text shipped before, never
an administrator's edit). Administrators edit the rows. ``notification_queue`` falls back to
this list when a shipped template's row is missing (deleted by hand, or a test database flushed
after a transactional test), so that a domain change never fails for want of a message text.
A changed default needs a data migration too.
"""

SIGN = "【石龙区政务服务】"

# SMS bodies carry the sign name in brackets, as the citizen sees them, and stay near one
# 70-character message once their placeholders are filled.
# Variables a shipped template may use beyond those in its default text (the sending code fills
# them too): the feedback SMS's default leaves out the case number to stay within two parts.
EXTRA_VARIABLES: dict[str, list[str]] = {"case_feedback": ["number"]}

DEFAULT_TEMPLATES: list[tuple[str, str, str, str]] = [
    (
        "case_feedback",
        "sms",
        "差评整改结果反馈",
        SIGN + "您对“{item}”的评价已有整改反馈：{text}。查看详情：{url}",
    ),
    ("case_review_requested", "inapp", "待审核：{action}", "工单 {number}（{unit}）{action}，请审核。"),
    (
        "case_returned",
        "inapp",
        "回访不满意，工单退回整改",
        "工单 {number} 回访时评价人表示不满意，已退回重新整改，整改期限 {due}。"
        "请整改后提交整改结果并再次反馈评价人，原因见工单处理记录。",
    ),
    (
        "case_deadline_warning",
        "inapp",
        "整改即将到期",
        "工单 {number} 将于 {due} 到期，请在到期前完成整改并提交整改结果；确有困难可申请延期。",
    ),
    (
        "case_extension_approved",
        "inapp",
        "延期申请已同意",
        "您的延期申请已同意，工单 {number} 新整改期限 {due}。请在期限前完成整改并提交整改结果。",
    ),
    (
        "case_extension_rejected",
        "inapp",
        "延期申请未获同意",
        "您的延期申请未获同意，工单 {number} 整改期限仍为 {due}。"
        "请按期完成整改并提交整改结果，驳回理由见工单处理记录。",
    ),
    (
        "case_invalid_rejected",
        "inapp",
        "无效评价申请未获同意",
        "您对工单 {number} 的无效评价申请未获同意，工单已转入整改，整改期限 {due}。"
        "请按期整改并提交整改结果，驳回理由见工单处理记录。",
    ),
    (
        "case_statement_added",
        "inapp",
        "窗口工作人员提交了情况说明",
        "工单 {number}（{item}）的被评价窗口工作人员提交了情况说明，请在核实时参阅，详见工单处理记录。",
    ),
    (
        "case_escalated",
        "inapp",
        "工单逾期，已列入督办",
        "工单 {number} 已逾期，已列入 {to} 督办：请立即办理，尽快核实、整改并提交整改结果；"
        "确有困难的，请申请延期并说明理由。",
    ),
    (
        "supervision_digest",
        "inapp",
        "今日逾期督办汇总：工单 {cases} 件、诉求 {demands} 件",
        "截至 {time}，您督办范围内逾期未办结的工单 {cases} 件、诉求 {demands} 件：\n{items}\n"
        "请督促承办单位立即办理，完整清单见本消息下方的链接。",
    ),
    ("sms_code", "sms", "短信验证码", SIGN + "验证码 {code}，{minutes} 分钟内有效，请勿泄露。"),
    (
        "rating_invitation",
        "sms",
        "服务评价邀请",
        SIGN + "您办理的“{item}”已办结，诚邀您评价本次服务：{url} 感谢支持！",
    ),
]
