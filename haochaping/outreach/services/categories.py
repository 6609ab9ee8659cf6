"""Writes for the demand category tree: the shipped tree, supervisors adding and editing categories
and their keyword tables."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Caller
from haochaping.outreach.choices import CategoryKind
from haochaping.outreach.classify import keyword_table
from haochaping.outreach.models import DemandCategory

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_KEYWORDS = 200
MAX_DAYS = 60
CATEGORY_DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def category_ensure_default() -> int:
    """Load the shipped category tree if the table is empty (migration 0002 does this on install;
    a wiped database, e.g. after a transactional test, needs it again). Returns how many were added."""
    if DemandCategory.objects.exists():
        return 0
    spec = json.loads(CATEGORY_DATA.read_text(encoding="utf-8"))
    added = 0

    def add(items: list[dict], parent: DemandCategory | None) -> None:
        nonlocal added
        for item in items:
            category, created = DemandCategory.objects.get_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "parent": parent,
                    "kind": item["kind"],
                    "days": item["days"],
                    "keywords": item["keywords"],
                    "sort_order": item["sort_order"],
                },
            )
            added += created
            add(item.get("children", []), category)

    with transaction.atomic():
        add(spec["categories"], None)
    return added


def active_categories() -> list[DemandCategory]:
    """Every active category in tree order (parents before their children)."""
    category_ensure_default()
    return list(DemandCategory.objects.filter(is_active=True).order_by("sort_order", "code"))


def parse_keywords(text: str) -> list:
    """ "态度 不耐烦:2, 冷漠" -> ["态度", ["不耐烦", 2], "冷漠"]; weights must be positive numbers."""
    out: list = []
    for raw in re.split(r"[\s,，、;；]+", text or ""):
        if not raw:
            continue
        word, _, weight = raw.partition(":") if ":" in raw else raw.partition("：")
        word = word.strip()
        if not word:
            continue
        if weight:
            try:
                value = float(weight)
            except ValueError as exc:
                raise ValidationFailed("关键词权重须为数字", fields={"keywords": [f"“{raw}”的权重须为数字"]}) from exc
            if value <= 0:
                raise ValidationFailed("关键词权重须大于 0", fields={"keywords": [f"“{raw}”的权重须大于 0"]})
            out.append([word, int(value) if value == int(value) else value])
        else:
            out.append(word)
    return out


def format_keywords(keywords: list) -> str:
    return "\n".join(f"{w}:{weight:g}" if weight != 1 else w for w, weight in keyword_table(keywords))


@dataclass
class CategoryInput:
    name: str
    kind: str
    days: int
    keywords: str = ""
    parent_code: str = ""
    sort_order: int = 100
    is_active: bool = True


def require_category_supervisor(role: str) -> None:
    """Only supervisors set up the category tree (the pages check it before showing it, the writes
    again)."""
    if role != Role.SUPERVISOR:
        raise PermissionDenied("只有督查人员可以设置诉求分类", code="category_forbidden")


def _validated(data: CategoryInput, *, current: DemandCategory | None) -> dict:
    errors: dict[str, list[str]] = {}
    name = (data.name or "").strip()
    if not name or len(name) > 50:
        errors["name"] = ["名称须为 1–50 字"]
    if data.kind not in CategoryKind.values:
        errors["kind"] = ["类型无效"]
    if not 1 <= int(data.days or 0) <= MAX_DAYS:
        errors["days"] = [f"办理时限须为 1–{MAX_DAYS} 个工作日"]
    keywords = parse_keywords(data.keywords)
    if len(keywords) > MAX_KEYWORDS:
        errors["keywords"] = [f"关键词不能超过 {MAX_KEYWORDS} 个"]
    parent = None
    if data.parent_code:
        parent = DemandCategory.objects.filter(code=data.parent_code).first()
        if parent is None:
            errors["parent"] = ["上级分类不存在"]
        elif current is not None:
            cursor: DemandCategory | None = parent
            while cursor is not None:  # never below itself: no cycles in the tree
                if cursor.pk == current.pk:
                    errors["parent"] = ["上级分类不能是本分类或其下级"]
                    break
                cursor = cursor.parent
    if errors:
        raise ValidationFailed("分类设置有误", fields=errors)
    return {
        "name": name,
        "kind": data.kind,
        "days": int(data.days),
        "keywords": keywords,
        "parent": parent,
        "sort_order": int(data.sort_order),
        "is_active": bool(data.is_active),
    }


@transaction.atomic
def category_create(*, caller: Caller, code: str, data: CategoryInput) -> DemandCategory:
    require_category_supervisor(caller.role)
    if not CODE_RE.match(code or ""):
        raise ValidationFailed("编码有误", fields={"code": ["编码须为小写字母、数字和连字符，最长 40 位"]})
    if DemandCategory.objects.filter(code=code).exists():
        raise Conflict(f"编码 {code} 已存在", code="category_exists", extra={"fields": {"code": ["编码已存在"]}})
    values = _validated(data, current=None)
    category = DemandCategory.objects.create(code=code, **values)
    audit_record(
        actor=Actor.for_caller(caller),
        action="outreach:category:created",
        target=category,
        data={"code": code, **_audit(values)},
    )
    return category


@transaction.atomic
def category_update(*, caller: Caller, code: str, data: CategoryInput) -> DemandCategory:
    require_category_supervisor(caller.role)
    category = DemandCategory.objects.select_for_update().filter(code=code).first()
    if category is None:
        raise NotFound("分类不存在", code="category_not_found")
    values = _validated(data, current=category)
    before = _audit({f: getattr(category, f) for f in values})
    for field, value in values.items():
        setattr(category, field, value)
    category.save()
    audit_record(
        actor=Actor.for_caller(caller),
        action="outreach:category:updated",
        target=category,
        data={"code": code, "before": before, "after": _audit(values)},
    )
    return category


def _audit(values: dict) -> dict:
    parent = values.get("parent")
    return {**values, "parent": parent.code if parent is not None else ""}
