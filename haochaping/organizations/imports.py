"""Excel import (导入) of units, windows, staff and matters: the registry, the plan, units and staff.

An import is two steps. ``import_plan`` reads the workbook and validates every row against the
database and the caller's scope; it writes nothing and returns an ``ImportPlan``: the row errors
(row, column header, Chinese message) or, when there are none, each row's change (新增 / 更新 /
未变, with the fields that differ). ``import_apply`` plans the same bytes again inside one
transaction, refuses when there is any error or when the plan differs from the one previewed
(its ``digest``), writes everything with bulk queries, and appends one audit event
(``organizations:import:applied``) carrying the counts and every created or updated key.
Importing the same file again changes nothing: rows are matched by code (staff: 工号) and only
fields that differ are written.

The importers of units and staff live here; windows (their 办理事项 column needs the matters)
and matters register themselves from ``service_records.imports`` (this app may not import that
one). Who may import what: the centre (``is_centre``: a supervisor of the root unit, or the
command line) every kind; other supervisors and department admins windows, staff and matters,
and only rows inside their own subtree (others are row errors).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from haochaping.audit.services import Actor, audit_record
from haochaping.core.crypto import canonical_json
from haochaping.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from haochaping.core.xlsx_import import (
    Change,
    Column,
    Counts,
    Row,
    RowChecker,
    RowError,
    file_digest,
    read_sheet,
    template_xlsx,
)
from haochaping.organizations.administration.checks import credit_code_clean, division_code_clean
from haochaping.organizations.models import Membership, Role, Staff, Unit, UnitKind, Window
from haochaping.organizations.selectors import Scope, is_centre

IMPORT_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)
BATCH = 500


@dataclass
class ImportPlan:
    """What an import of one file would do; ``write`` performs it (only when there is no error)."""

    kind: str
    title: str
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    write: Callable[[], None] | None = None
    file_sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> Counts:
        actions = [c.action for c in self.changes]
        return Counts(actions.count("create"), actions.count("update"), actions.count("unchanged"))

    @property
    def pending(self) -> list[Change]:
        """The changes that write something (the preview lists these first)."""
        return [c for c in self.changes if c.action != "unchanged"]

    def digest(self) -> str:
        """A fingerprint of the planned writes: confirm applies only what the preview showed."""
        body = [[c.action, c.key, sorted([k, *v] for k, v in c.fields.items())] for c in self.pending]
        return file_digest(canonical_json({"kind": self.kind, "file": self.file_sha256, "changes": body}))

    def audit_data(self) -> dict:
        return {
            "kind": self.kind,
            "file_sha256": self.file_sha256,
            **self.counts.as_dict(),
            "created_keys": [c.key for c in self.changes if c.action == "create"],
            "updated": {c.key: sorted(c.fields) for c in self.changes if c.action == "update"},
        }


class Importer:
    """One kind of sheet. Subclasses give the columns and ``plan_rows``."""

    kind: str = ""
    title: str = ""  # 单位 / 窗口 / 工作人员 / 事项
    order: int = 0
    columns: tuple[Column, ...] = ()
    centre_only: bool = False

    def allowed(self, scope: Scope) -> bool:
        if scope.role not in IMPORT_ROLES:
            return False
        return is_centre(scope) or not self.centre_only

    def template(self) -> bytes:
        return template_xlsx(f"{self.title}导入模板", self.columns)

    def plan_rows(self, rows: list[Row], scope: Scope, checker: RowChecker) -> tuple[list[Change], Callable[[], None]]:
        raise NotImplementedError


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    IMPORTERS[importer.kind] = importer
    return importer


def importers_for(scope: Scope) -> list[Importer]:
    """The kinds the caller may import, in the order a new centre fills them."""
    return sorted((i for i in IMPORTERS.values() if i.allowed(scope)), key=lambda i: i.order)


def importer_get(*, kind: str, scope: Scope) -> Importer:
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound(f"没有“{kind}”这种导入", code="import_kind_unknown")
    if not importer.allowed(scope):
        if scope.role in IMPORT_ROLES:
            raise PermissionDenied(f"只有区政务服务中心可以导入{importer.title}", code="import_forbidden")
        raise PermissionDenied("只有区政务服务中心和单位管理员可以导入数据", code="import_forbidden")
    return importer


def import_plan(*, kind: str, content: bytes, scope: Scope, file_name: str = "") -> ImportPlan:
    """Validate the file (.xlsx, or .csv by its name) against the database and the scope; writes nothing."""
    importer = importer_get(kind=kind, scope=scope)
    rows = read_sheet(content, importer.columns, file_name or "import.xlsx")
    checker = RowChecker(importer.columns)
    changes, write = importer.plan_rows(rows, scope, checker)
    plan = ImportPlan(kind=importer.kind, title=importer.title, file_sha256=file_digest(content))
    position = {c.header: i for i, c in enumerate(importer.columns)}
    plan.errors = sorted(checker.errors, key=lambda e: (e.row, position.get(e.column, len(position))))
    if plan.errors:
        return plan
    plan.changes = sorted(changes, key=lambda c: c.row)
    plan.write = write
    return plan


@transaction.atomic
def import_apply(
    *, actor: Actor, kind: str, content: bytes, scope: Scope, file_name: str = "", expected_digest: str = ""
) -> ImportPlan:
    """Plan the file again and write it, all or nothing, with one audit event.

    ``expected_digest`` is the preview's ``digest()``: when the database changed in between so
    that the same file would now do something else, nothing is written (``Conflict``).
    """
    plan = import_plan(kind=kind, content=content, scope=scope, file_name=file_name)
    if plan.errors:
        raise ValidationFailed(f"文件有 {len(plan.errors)} 处错误，未导入任何数据", code="import_invalid")
    if expected_digest and plan.digest() != expected_digest:
        raise Conflict("预览之后数据已发生变化，请重新上传并预览后再确认", code="import_stale")
    if plan.pending and plan.write is not None:
        try:
            plan.write()
        except IntegrityError as exc:  # a concurrent import or page took a code in between
            raise Conflict("导入时有编码已被同时录入，未导入任何数据，请重新上传并预览", code="import_stale") from exc
    audit_record(
        actor=actor,
        action="organizations:import:applied",
        target_type="import",
        target_id=plan.kind,
        data={**plan.audit_data(), "file_name": file_name[:200]},
    )
    return plan


# --- the uploaded file between preview and confirm ------------------------------------------
# The console keeps the uploaded bytes on the server (never in the page): the confirm step sends
# only the token, and applies the file whose SHA-256 the preview computed. Files are private to
# their uploader and removed after the import or after PENDING_SECONDS.

PENDING_SECONDS = 2 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports-pending"


def pending_store(*, content: bytes, user_id: int, kind: str, file_name: str) -> str:
    """Keep an uploaded file for its confirm step; returns the token naming it."""
    folder = _pending_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - PENDING_SECONDS
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    meta = {"user": user_id, "kind": kind, "file_name": file_name[:200], "sha256": file_digest(content)}
    (folder / f"{token}.xlsx").write_bytes(content)
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def pending_load(*, token: str, user_id: int) -> tuple[bytes, dict]:
    """The file and its meta data kept under ``token`` for this user (``NotFound`` otherwise)."""
    gone = NotFound("导入文件已过期或已导入，请重新上传", code="import_pending_gone")
    if not _TOKEN.match(token or ""):
        raise gone
    folder = _pending_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        content = (folder / f"{token}.xlsx").read_bytes()
    except (OSError, ValueError):
        raise gone from None
    if meta.get("user") != user_id or file_digest(content) != meta.get("sha256"):
        raise gone
    if (folder / f"{token}.xlsx").stat().st_mtime < time.time() - PENDING_SECONDS:
        pending_discard(token=token)
        raise gone
    return content, meta


def pending_discard(*, token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".xlsx", ".json"):
            (_pending_dir() / f"{token}{suffix}").unlink(missing_ok=True)


# --- helpers shared by the importers ---------------------------------------------------------


def length(model, name: str) -> int:
    """A column's limit is the model field's: the import and the forms never disagree."""
    return model._meta.get_field(name).max_length


def yes_no(value: bool) -> str:
    return "是" if value else "否"


def diff(obj, values: dict[str, object], headers: dict[str, str], shown: Callable[[str, object], str]) -> dict:
    """``{header: (old, new)}`` of the fields of ``obj`` that ``values`` would change."""
    out = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            out[headers[name]] = (shown(name, old), shown(name, new))
    return out


def units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    codes = {c for c in codes if c}
    return {u.code: u for u in Unit.objects.filter(code__in=codes)} if codes else {}


def check_unit_ref(checker: RowChecker, row: Row, key: str, code: str, units: dict[str, Unit], scope: Scope):
    """The unit a cell names, or None with a row error (unknown, inactive, outside the scope)."""
    if not code:
        return None
    unit = units.get(code)
    if unit is None:
        checker.error(row, key, f"单位编码“{code}”不存在")
    elif not scope.allows_unit(unit):
        checker.error(row, key, f"单位“{code}”不在您的管辖范围内")
    elif not unit.is_active:
        checker.error(row, key, f"单位“{code}”已停用")
    else:
        return unit
    return None


def bulk_save(model, created: list, updated: list, fields: set[str]) -> None:
    if created:
        model.objects.bulk_create(created, batch_size=BATCH)
    if updated and fields:
        model.objects.bulk_update(updated, sorted(fields), batch_size=BATCH)


def _in_cycle(code: str, parents: dict[str, str]) -> bool:
    seen = set()
    while code in parents and code not in seen:
        seen.add(code)
        code = parents[code]
    return code in seen


# --- units ------------------------------------------------------------------------------------


def _cleaned(checker, row: Row, key: str, clean: Callable[..., str]) -> str:
    """``clean(value)`` of an administration check, its refusal as this row's error."""
    try:
        return clean(row.get(key) or "", field=key)
    except ValidationFailed as exc:
        checker.error(row, key, next(iter(exc.fields.get(key) or [exc.message])))
        return ""


class UnitImporter(Importer):
    kind = "units"
    title = "单位"
    order = 1
    centre_only = True
    columns = (
        Column("code", "单位编码", required=True, example="410404-SCJG"),
        Column("name", "单位名称", required=True, example="区市场监督管理局"),
        Column("kind", "类型", required=True, example=UnitKind.DEPARTMENT.label),
        Column("parent", "上级单位编码", example="410404"),
        Column("division_code", "行政区划代码", example="410404"),
        Column("credit_code", "统一社会信用代码", example=""),
        Column("is_active", "启用", example="是"),
    )

    def plan_rows(self, rows, scope, checker):
        headers = {c.key: c.header for c in self.columns}
        headers["is_active"] = "启用"
        seen: dict[str, int] = {}
        specs: dict[str, tuple[Row, dict, str]] = {}
        for row in rows:
            code = checker.code(row, "code", max_length=length(Unit, "code"))
            values = {
                "name": checker.text(row, "name", max_length=length(Unit, "name")),
                "kind": checker.choice(row, "kind", UnitKind),
                # The same rules as the 单位 page (administration.checks), so that a unit imported
                # can be saved again on the page.
                "division_code": _cleaned(checker, row, "division_code", division_code_clean),
                "credit_code": _cleaned(checker, row, "credit_code", credit_code_clean),
                "is_active": checker.boolean(row, "is_active", default=True),
            }
            parent = checker.code(row, "parent", max_length=length(Unit, "code"))
            if parent and parent == code:
                checker.error(row, "parent", "上级单位不能是本单位")
            if checker.unique(row, "code", code, seen):
                specs[code] = (row, values, parent)
        existing = units_by_code([*specs, *(p for _, _, p in specs.values())])
        paths: dict[str, str | None] = {}  # code -> path (None: unresolvable)

        def path_of(code: str, trail: tuple[str, ...] = ()) -> str | None:
            if code in paths:
                return paths[code]
            if code in trail:
                return None
            unit = existing.get(code)
            if unit is not None:
                paths[code] = unit.path
            elif code in specs:
                parent = specs[code][2]
                parent_path = path_of(parent, (*trail, code)) if parent else None
                paths[code] = f"{parent_path}{code}/" if parent_path else None
            else:
                paths[code] = None
            return paths[code]

        changes: list[Change] = []
        creates: list[tuple[str, dict, str]] = []  # code, values, parent code
        updates: list[Unit] = []
        changed_fields: set[str] = set()
        kinds = dict(UnitKind.choices)

        def shown(name, value):
            if name == "kind":
                return kinds.get(value, value)
            if name == "is_active":
                return yes_no(value)
            return str(value)

        for code, (row, values, parent) in specs.items():
            unit = existing.get(code)
            if unit is not None:
                if not scope.allows_unit(unit):
                    checker.error(row, "code", f"单位“{code}”不在您的管辖范围内")
                    continue
                if parent and (unit.parent is None or unit.parent.code != parent):
                    checker.error(row, "parent", "不能通过导入更改已有单位的上级单位，请在单位管理页面移动")
                    continue
                fields = diff(unit, values, headers, shown)
                if fields:
                    for name, value in values.items():
                        if getattr(unit, name) != value:
                            setattr(unit, name, value)
                            changed_fields.add(name)
                    updates.append(unit)
                changes.append(Change(row.number, "update" if fields else "unchanged", code, values["name"], fields))
                continue
            if not parent:
                checker.error(row, "parent", "新单位必须填写上级单位编码")
                continue
            if parent not in existing and parent not in specs:
                checker.error(row, "parent", f"上级单位编码“{parent}”不存在（既不在系统中，也不在本文件中）")
                continue
            if parent in existing and not scope.allows_unit(existing[parent]):
                checker.error(row, "parent", f"上级单位“{parent}”不在您的管辖范围内")
                continue
            if parent in existing and not existing[parent].is_active:
                checker.error(row, "parent", f"上级单位“{parent}”已停用")
                continue
            path = path_of(code)
            if path is None:
                # Either a cycle in the file, or an ancestor row that has its own error: only the
                # cause is reported, not every descendant of a broken row.
                if _in_cycle(code, {c: spec[2] for c, spec in specs.items()}):
                    checker.error(row, "parent", f"上级单位“{parent}”与本单位循环引用")
                continue
            if len(path) > 500:
                checker.error(row, "parent", "单位层级过深")
                continue
            creates.append((code, values, parent))
            changes.append(Change(row.number, "create", code, values["name"]))

        def write() -> None:
            by_code = dict(existing)
            levels: dict[int, list[tuple[str, dict, str]]] = {}
            for spec in creates:
                levels.setdefault(str(paths[spec[0]]).count("/"), []).append(spec)
            for level in sorted(levels):  # parents first: one INSERT batch per tree level
                batch = [Unit(code=c, parent=by_code[p], path=str(paths[c]), **v) for c, v, p in levels[level]]
                Unit.objects.bulk_create(batch, batch_size=BATCH)
                by_code.update((u.code, u) for u in batch)
            bulk_save(Unit, [], updates, changed_fields)

        return changes, write


register(UnitImporter())


# --- staff ------------------------------------------------------------------------------------

ACCOUNT_ROLES = (Role.WINDOW_CLERK, Role.DEPT_ADMIN, Role.OPERATOR)


class StaffImporter(Importer):
    kind = "staff"
    title = "工作人员"
    order = 4
    columns = (
        Column("staff_no", "工号", required=True, example="SCJG001"),
        Column("name", "姓名", required=True, example="张三"),
        Column("unit", "所属单位编码", required=True, example="410404-SCJG"),
        Column("window", "窗口编码", example="410404-SCJG-W01"),
        Column("is_active", "在岗", example="是"),
        Column("username", "登录账号", example="zhangsan"),
        Column("role", "角色", example=Role.WINDOW_CLERK.label),
    )

    def plan_rows(self, rows, scope, checker):
        headers = {"name": "姓名", "unit": "所属单位编码", "window": "窗口编码", "is_active": "在岗"}
        user_model = get_user_model()
        username_valid = user_model.username_validator
        seen: dict[str, int] = {}
        seen_users: dict[str, int] = {}
        parsed: list[tuple[Row, str, str, str, str, bool, str, str]] = []
        for row in rows:
            staff_no = checker.code(row, "staff_no", max_length=length(Staff, "staff_no"))
            name = checker.text(row, "name", max_length=length(Staff, "name"))
            unit = checker.code(row, "unit", max_length=length(Unit, "code"))
            window = checker.code(row, "window", max_length=length(Window, "code"))
            active = checker.boolean(row, "is_active", default=True)
            username = checker.text(row, "username", max_length=length(user_model, "username"))
            role = ""
            if username:
                try:
                    username_valid(username)
                except DjangoValidationError:
                    checker.error(row, "username", f"“{username}”无效：只能包含字母、数字和 @ . + - _")
                role = checker.choice(row, "role", Role, default=Role.WINDOW_CLERK)
                if role and role not in ACCOUNT_ROLES and not is_centre(scope):
                    checker.error(row, "role", f"只有区政务服务中心可以通过导入创建“{Role(role).label}”账号")
                checker.unique(row, "username", username, seen_users)
            elif row.get("role"):
                checker.error(row, "role", "填写了角色但没有填写登录账号")
            if checker.unique(row, "staff_no", staff_no, seen):
                parsed.append((row, staff_no, name, unit, window, active, username, role))
        numbers = [p[1] for p in parsed]
        existing = {
            s.staff_no: s
            for s in Staff.objects.filter(staff_no__in=numbers).select_related("unit", "window", "membership__user")
        }
        units = units_by_code(p[3] for p in parsed)
        window_codes = {p[4] for p in parsed if p[4]}
        windows = (
            {w.code: w for w in Window.objects.filter(code__in=window_codes).select_related("unit")}
            if window_codes
            else {}
        )
        usernames = {p[6] for p in parsed if p[6]}
        users = (
            {u.username: u for u in user_model.objects.filter(username__in=usernames).select_related("membership")}
            if usernames
            else {}
        )

        def shown(name, value):
            if name == "is_active":
                return yes_no(value)
            if name in ("unit", "window"):
                return value.code if value is not None else ""
            return str(value)

        changes: list[Change] = []
        creates: list[Staff] = []
        updates: list[Staff] = []
        changed: set[str] = set()
        accounts: list[tuple[str, str, Staff, Unit, str]] = []  # username, display name, staff, unit, role
        memberships: list[Membership] = []  # existing memberships whose role/unit change
        for row, staff_no, name, unit_code, window_code, active, username, role in parsed:
            unit = check_unit_ref(checker, row, "unit", unit_code, units, scope)
            window = None
            if window_code:
                window = windows.get(window_code)
                if window is None:
                    checker.error(row, "window", f"窗口编码“{window_code}”不存在")
                elif not scope.allows_unit(window.unit):
                    checker.error(row, "window", f"窗口“{window_code}”不在您的管辖范围内")
                    window = None
                elif not window.is_active:
                    checker.error(row, "window", f"窗口“{window_code}”已停用")
                    window = None
            staff = existing.get(staff_no)
            if staff is not None and not scope.allows_unit(staff.unit):
                checker.error(row, "staff_no", f"工号“{staff_no}”属于管辖范围以外的单位，不能修改")
                continue
            if unit is None or (window_code and window is None):
                continue
            values = {"name": name, "unit": unit, "window": window, "is_active": active}
            account_fields: dict[str, tuple[str, str]] = {}
            new_account = False
            if username:
                user = users.get(username)
                current = getattr(staff, "membership", None) if staff is not None else None
                if user is None:
                    if current is not None:
                        checker.error(row, "username", f"该工作人员已有登录账号“{current.user.username}”")
                        continue
                    new_account = True
                    account_fields["登录账号"] = ("", username)
                else:
                    membership = getattr(user, "membership", None)
                    if membership is None or staff is None or membership.staff_id != staff.pk:
                        checker.error(row, "username", f"登录账号“{username}”已被其他人员使用")
                        continue
                    if membership.role != role:
                        account_fields["角色"] = (Role(membership.role).label, Role(role).label)
                        membership.role = role
                        memberships.append(membership)
            if staff is None:
                staff = Staff(staff_no=staff_no, **values)
                creates.append(staff)
                fields = {}
            else:
                fields = diff(staff, values, headers, shown)
                if fields:
                    for key, value in values.items():
                        if getattr(staff, key) != value:
                            setattr(staff, key, value)
                            changed.add(key)
                    updates.append(staff)
            if new_account:
                accounts.append((username, name, staff, unit, role))
            fields.update(account_fields)
            action = "create" if staff.pk is None else "update" if fields else "unchanged"
            changes.append(Change(row.number, action, staff_no, name, fields))

        def write() -> None:
            bulk_save(Staff, creates, updates, changed)
            if memberships:
                Membership.objects.bulk_update(memberships, ["role"], batch_size=BATCH)
            if accounts:
                # 待激活 as an account opened on the 账号 page: no password until its person sets one
                # through the activation link an administrator hands out (one by one or in a batch).
                password = make_password(None)
                new_users = [user_model(username=u, first_name=n, password=password, is_active=False)
                             for u, n, _, _, _ in accounts]  # fmt: skip
                user_model.objects.bulk_create(new_users, batch_size=BATCH)
                Membership.objects.bulk_create(
                    [
                        Membership(user=user, unit=unit, role=role, staff=staff)
                        for user, (_, _, staff, unit, role) in zip(new_users, accounts, strict=True)
                    ],
                    batch_size=BATCH,
                )

        return changes, write


register(StaffImporter())
