"""The change history of a unit, window, staff member or account, read back from the audit chain
(every write of this package is one audit event on its row): what the detail pages show under
"变更记录". Data are codes and flags, never a person's name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from haochaping.audit.models import AuditEvent

LABELS = {
    "organizations:unit:created": "新建单位",
    "organizations:unit:updated": "修改单位信息",
    "organizations:unit:moved": "调整上级单位",
    "organizations:unit:deactivated": "停用单位",
    "organizations:unit:reactivated": "重新启用单位",
    "organizations:window:created": "新建窗口",
    "organizations:window:updated": "修改窗口",
    "organizations:window:deactivated": "停用窗口",
    "organizations:window:reactivated": "重新启用窗口",
    "service_records:window:items_set": "调整受理事项",
    "organizations:staff:created": "新增工作人员",
    "organizations:staff:updated": "修改工作人员信息",
    "organizations:staff:photo_set": "上传照片",
    "organizations:staff:photo_removed": "删除照片",
    "organizations:staff:deactivated": "设为离岗",
    "organizations:staff:reactivated": "恢复在岗",
    "organizations:user:created": "创建账号",
    "organizations:user:invited": "邀请开通账号",
    "organizations:user:updated": "修改账号",
    "organizations:user:password_link_issued": "生成一次性链接",
    "organizations:user:password_set": "通过链接设置密码",
    "organizations:user:password_changed": "本人修改密码",
    "organizations:user:deactivated": "停用账号",
    "organizations:user:reactivated": "重新启用账号",
}
FIELDS = {
    "name": "名称",
    "kind": "类型",
    "division_code": "行政区划代码",
    "credit_code": "统一社会信用代码",
    "unit": "单位",
    "department": "进驻部门",
    "window": "常驻窗口",
    "role": "角色",
    "staff": "关联工作人员",
    "display_name": "姓名",
}
PURPOSES = {"activate": "激活链接", "reset": "重置密码链接"}


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: dt.datetime
    actor: str
    label: str
    details: str


def _shown(value: Any) -> str:
    return "（空）" if value in (None, "") else str(value)


def _details(action: str, data: dict[str, Any]) -> str:
    parts = []
    for field, change in (data.get("changes") or {}).items():
        label = FIELDS.get(field, field)
        if isinstance(change, list) and len(change) == 2:
            parts.append(f"{label}：{_shown(change[0])} → {_shown(change[1])}")
        else:
            parts.append(f"{label}已修改")
    if action.endswith(":moved"):
        parts.append(
            f"上级单位：{_shown(data.get('from'))} → {_shown(data.get('to'))}（含下级共 {data.get('units', 1)} 个单位）"
        )
    if action.endswith(":password_link_issued"):
        parts.append(f"{PURPOSES.get(data.get('purpose', ''), '链接')}，{data.get('hours', '')} 小时内有效")
    if action.endswith(":items_set"):
        for key, label in (("added", "增加"), ("removed", "移除")):
            if data.get(key):
                parts.append(f"{label}：{'、'.join(data[key])}")
    return "；".join(parts)


def change_history(obj: Any, *, limit: int = 30) -> list[HistoryEntry]:
    """The newest audit events whose target is ``obj`` (one query on the indexed target)."""
    events = AuditEvent.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk)).order_by(
        "-occurred_at", "-id"
    )[:limit]
    return [
        HistoryEntry(
            occurred_at=event.occurred_at,
            actor=event.actor_label or "系统",
            label=LABELS.get(event.action, event.action),
            details=_details(event.action, event.data or {}),
        )
        for event in events
    ]
