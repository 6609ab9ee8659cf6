"""The shipped message templates (code, channel, title, body).

Migration 0002 loaded a frozen copy of these into ``MessageTemplate``; administrators edit the
rows. ``notification_queue`` falls back to this list when a shipped template's row is missing
(deleted by hand, or a test database flushed after a transactional test), so that a domain
change never fails for want of a message text. A changed default needs a data migration too.
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
    ("case_returned", "inapp", "工单待处理：{action}", "工单 {number} {action}，请及时处理。"),
    ("case_deadline_warning", "inapp", "整改即将到期", "工单 {number} 将于 {due} 到期，请按期整改并反馈。"),
    ("case_escalated", "inapp", "工单已逾期督办", "工单 {number}（{unit}）已逾期，已督办至 {to}。"),
    ("sms_code", "sms", "短信验证码", SIGN + "验证码 {code}，{minutes} 分钟内有效，请勿泄露。"),
    (
        "rating_invitation",
        "sms",
        "服务评价邀请",
        SIGN + "您办理的“{item}”已办结，诚邀您评价本次服务：{url} 感谢支持！",
    ),
]
