"""Reads for organisations, and the one place where a console user's data scope is decided."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from haochaping.core.errors import NotFound, PermissionDenied
from haochaping.organizations.models import (
    BusinessSystem,
    Device,
    DeviceKind,
    Membership,
    Role,
    Staff,
    Unit,
    UnitKind,
    Window,
)


def membership_for(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("unit", "staff").get(user=user)
    except Membership.DoesNotExist:
        return None


@dataclass(frozen=True)
class Scope:
    """What a caller may see: a unit subtree, optionally narrowed to one staff member's work.

    Every staff-facing query passes through ``Scope.filter`` (the netbox ``restrict()`` idea):
    ``unit_field`` names the path to the owning Unit, ``staff_field`` the path to the Staff.
    """

    unit_path: str
    staff_id: int | None = None
    role: str = ""

    def filter(self, qs: QuerySet, *, unit_field: str = "unit", staff_field: str | None = None) -> QuerySet:
        qs = qs.filter(**{f"{unit_field}__path__startswith": self.unit_path})
        if self.staff_id is not None:
            if staff_field is None:
                return qs.none()
            qs = qs.filter(**{staff_field: self.staff_id})
        return qs

    def allows_unit(self, unit: Unit) -> bool:
        return unit.path.startswith(self.unit_path)

    def allows_path(self, unit_path: str, *, staff_id: int | None) -> bool:
        """For one already-loaded row: the same rule as ``filter``."""
        if self.staff_id is not None and staff_id != self.staff_id:
            return False
        return unit_path.startswith(self.unit_path)

    @property
    def sees_evaluator(self) -> bool:
        """Window clerks never learn who rated them (制度第六条), not even masked."""
        return self.staff_id is None and self.role != Role.WINDOW_CLERK


def is_centre(scope: Scope) -> bool:
    """The district's centre: a supervisor of a root unit, or the command line's "/" scope. It
    alone keeps the instance-wide reference data (working-day calendar, indicator sets)."""
    return scope.role == Role.SUPERVISOR and scope.unit_path.count("/") <= 2 and scope.staff_id is None


def scope_for_user(user) -> Scope:
    """The scope of a console user; users without a membership see nothing."""
    membership = membership_for(user)
    if membership is None or not user.is_active:
        raise PermissionDenied("该账号未分配单位和角色，请联系管理员")
    return scope_for_membership(membership)


def scope_for_membership(membership: Membership) -> Scope:
    """The scope of a membership already read (no query): ``scope_for_user`` without the lookup."""
    staff_id = None
    if membership.role == Role.WINDOW_CLERK:
        # A clerk sees only their own services and ratings, never who gave them.
        staff_id = membership.staff_id or -1
    return Scope(unit_path=membership.unit.path, staff_id=staff_id, role=membership.role)


def scope_for_system(system: BusinessSystem) -> Scope:
    unit = system.unit  # no query when the system has no unit
    if unit is None:
        return Scope(unit_path="/")
    return Scope(unit_path=unit.path)


def lone_unit_id(scope: Scope) -> int | None:
    """The unit of a scope that is one unit (see ``subtree_unit_ids``), else None. A clerk's too:
    their own rows are then two equalities (staff member and unit) that an index on both serves
    in order (``record_staff_unit_created_idx``), where PostgreSQL estimated the join on the
    unit's path as independent of the staff filter (a clerk's years of services: a few thousand
    rows expected, all read and sorted for a deep page)."""
    units = subtree_unit_ids(scope)
    return units[0] if len(units) == 1 else None


def subtree_unit_ids(scope: Scope) -> list[int]:
    """The ids of every unit (active or not) in the scope's subtree. A list over a one-unit
    subtree may filter on ``unit_id = <id>`` besides the scope's join on the unit's path: both
    databases then read the unit's newest rows backwards through its (unit, time) index
    instead of reading every row of the unit to sort them, or walking every row of every unit
    by time (a deep page of a large unit). Not for a larger subtree: SQLite would read every
    row of an ``IN (...)`` list to sort them."""
    return list(Unit.objects.filter(path__startswith=scope.unit_path).values_list("pk", flat=True))


def unit_list(*, scope: Scope) -> QuerySet[Unit]:
    return Unit.objects.filter(path__startswith=scope.unit_path, is_active=True).select_related("parent")


class RollupRow(Protocol):
    """A report row that sums counts into itself (``add``)."""

    def add(self, counts: Mapping[str, Any]) -> None: ...


R = TypeVar("R", bound=RollupRow)


@dataclass
class UnitTree(Generic[R]):
    """The rows of a per-unit report over a scope's unit tree, each summing its whole subtree.

    ``rows`` (by unit path, in tree order): one per active unit below the scope's own unit, or
    that unit alone when it has none; ``total``: everything added; ``own``: what belongs to
    the scope's own unit directly (its "本级" row, kept apart only when it has sub-units).
    """

    root: Unit | None
    rows: dict[str, R]
    total: R
    own: R

    @property
    def name(self) -> str:
        """The scope's own unit's name ("" if it is gone)."""
        return self.root.name if self.root else ""

    def add(self, path: str, counts: Mapping[str, Any]) -> None:
        """Counts of one unit (by its path): to the total, to its own row and every ancestor's."""
        self.total.add(counts)
        if self.root is not None and path == self.root.path and path not in self.rows:
            self.own.add(counts)
        codes = path.strip("/").split("/")
        for i in range(1, len(codes) + 1):
            row = self.rows.get("/" + "/".join(codes[:i]) + "/")
            if row is not None:
                row.add(counts)


def unit_tree(*, scope: Scope, row: Callable[..., R]) -> UnitTree[R]:
    """Empty report rows over the scope's active units (one query); ``row(code=, name=, depth=)``
    makes a row, ``depth`` counted from the shallowest unit shown. Fill them with ``add``."""
    units = list(Unit.objects.filter(path__startswith=scope.unit_path, is_active=True).order_by("path"))
    root = next((u for u in units if u.path == scope.unit_path), None)
    code = root.code if root else ""
    total = row(code=code, name="合计", depth=0)
    own = row(code=code, name=f"{root.name}（本级）" if root else "本级", depth=0)
    below = [u for u in units if u is not root] or ([root] if root else [])
    top = min((u.depth for u in below), default=0)
    rows = {u.path: row(code=u.code, name=u.name, depth=u.depth - top) for u in below}
    return UnitTree(root=root, rows=rows, total=total, own=own)


def unit_get_by_code(*, code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        raise NotFound(f"单位编码 {code} 不存在", code="unit_not_found") from exc


def window_list(*, scope: Scope) -> QuerySet[Window]:
    return Window.objects.filter(
        Q(unit__path__startswith=scope.unit_path) | Q(department__path__startswith=scope.unit_path),
        is_active=True,
    ).select_related("unit", "department")


def users_with_role(unit: Unit, role: str) -> list:
    """The active console users holding ``role`` at ``unit`` itself (not below it): whom to tell
    about something owned by that unit."""
    memberships = Membership.objects.filter(unit=unit, role=role, user__is_active=True).select_related("user")
    return [m.user for m in memberships]


def supervisors_over(unit: Unit) -> list:
    """The active supervisors at ``unit`` or any unit above it (their scope covers it)."""
    codes = unit.path.strip("/").split("/")
    memberships = Membership.objects.filter(
        role=Role.SUPERVISOR, unit__code__in=codes, user__is_active=True
    ).select_related("user")
    return [m.user for m in memberships]


@dataclass(frozen=True)
class Caller:
    """Who is acting, what they may see and in which role: a console user or a business system.

    A business system acts as the unit it belongs to (the role of a department admin); it never
    performs supervision steps, which stay with the centre's supervisors.
    """

    scope: Scope
    role: str
    user: object | None = None
    system: BusinessSystem | None = None


def caller_for_user(user) -> Caller:
    scope = scope_for_user(user)
    return Caller(scope=scope, role=scope.role, user=user)


def caller_for_system(system: BusinessSystem) -> Caller:
    return Caller(scope=scope_for_system(system), role=Role.DEPT_ADMIN, system=system)


# --- rating devices (评价器, 自助终端) ------------------------------------------------------------

DEVICE_PLACE_KINDS = (UnitKind.CENTER, UnitKind.STREET_CENTER, UnitKind.COMMUNITY_POINT)


def device_list(*, scope: Scope) -> QuerySet[Device]:
    """Devices in scope: tablets of the windows ``window_list`` gives (located at or staffed by
    the subtree), kiosks placed in the subtree. Staff-narrowed scopes (clerks) see none."""
    if scope.staff_id is not None:
        return Device.objects.none()
    path = scope.unit_path
    return Device.objects.filter(
        Q(window__unit__path__startswith=path)
        | Q(window__department__path__startswith=path)
        | Q(window__isnull=True, unit__path__startswith=path)
    ).select_related("window", "window__unit", "window__department", "unit")


def device_get_for(*, scope: Scope, pk: int) -> Device:
    device = device_list(scope=scope).filter(pk=pk).first()
    if device is None:
        raise NotFound("设备不存在或无权查看", code="device_not_found")
    return device


def device_place_list(*, scope: Scope) -> QuerySet[Unit]:
    """Places in scope where a kiosk can stand: halls, street centres, community points."""
    return unit_list(scope=scope).filter(kind__in=DEVICE_PLACE_KINDS)


def screen_place_list(*, scope: Scope) -> QuerySet[Unit]:
    """Units in scope a 大厅大屏 can show (it shows the unit's subtree): any active unit, the
    district included, since the hall's display shows the whole district."""
    return unit_list(scope=scope).filter(is_active=True)


def tablet_list_for(*, scope: Scope) -> QuerySet[Device]:
    """The active window tablets a caller may pause or resume: a clerk's, those of their own
    window (the clerk's scope sees no devices otherwise); an admin's, those in ``device_list``."""
    tablets = Device.objects.filter(kind=DeviceKind.TABLET, is_active=True)
    if scope.staff_id is not None:
        window_id = Staff.objects.filter(pk=scope.staff_id).values_list("window_id", flat=True).first()
        if window_id is None:
            return Device.objects.none()
        return tablets.filter(window_id=window_id).select_related("window")
    return device_list(scope=scope).filter(kind=DeviceKind.TABLET, is_active=True)


def window_staff_on_duty(*, window_id: int) -> QuerySet[Staff]:
    """The staff on duty (在岗) at a window, for its tablet's idle screen."""
    return Staff.objects.filter(window_id=window_id, is_active=True).order_by("staff_no")


def tablet_window_ids(*, window_ids: set[int]) -> set[int]:
    """Which of these windows have an active, paired tablet (for the console's 请评价 button).

    Callers pass only windows of rows their scope already returned."""
    ids = {pk for pk in window_ids if pk}
    if not ids:
        return set()
    return set(
        Device.objects.filter(window_id__in=ids, kind=DeviceKind.TABLET, is_active=True)
        .exclude(credential_hash="")
        .values_list("window_id", flat=True)
    )


# --- business systems (业务系统) ------------------------------------------------------------------


def business_system_list(*, scope: Scope) -> QuerySet[BusinessSystem]:
    """The systems a console user may see: those bound to a unit of their subtree, and for the
    centre (``is_centre``) also the district-wide ones (SPEC §1: the centre manages systems; a
    department admin reads their own unit's). Clerks see none."""
    if scope.staff_id is not None:
        return BusinessSystem.objects.none()
    visible = Q(unit__path__startswith=scope.unit_path)
    if is_centre(scope):
        visible |= Q(unit__isnull=True)
    return BusinessSystem.objects.filter(visible).select_related("unit").order_by("-is_active", "name", "pk")


def business_system_get_for(*, scope: Scope, pk: int) -> BusinessSystem:
    system = business_system_list(scope=scope).filter(pk=pk).first()
    if system is None:
        raise NotFound("未找到该记录", code="system_not_found")
    return system


SYSTEM_VIEW_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN, Role.AUDITOR)


def can_manage_systems(scope: Scope) -> bool:
    """Registering, editing, rotating and deactivating business systems: the centre only."""
    return is_centre(scope)


def require_system_role(scope: Scope, *, manage: bool = False) -> None:
    """The 业务系统 pages: the centre (``is_centre``) manages; other supervisors, department admins
    and auditors read (within ``business_system_list``); operators and window clerks are refused."""
    if manage and not can_manage_systems(scope):
        raise PermissionDenied("业务系统由区政务服务中心督查管理；您只能查看", code="systems_forbidden")
    if scope.role not in SYSTEM_VIEW_ROLES:
        raise PermissionDenied("只有区政务服务中心督查、单位管理员和审计员可以查看业务系统", code="systems_forbidden")


# --- administration: the 单位, 窗口, 工作人员 and 账号 pages (organizations.administration) -----------
# Inactive rows included (they are deactivated, never deleted); the caller's role is checked by
# the page and the services (``administration.rules``); a staff-narrowed scope gets nothing.


def unit_admin_list(*, scope: Scope) -> QuerySet[Unit]:
    """Every unit of the subtree, active or not, in tree order."""
    if scope.staff_id is not None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=scope.unit_path).select_related("parent").order_by("path")


def unit_get_for(*, scope: Scope, pk: int) -> Unit:
    unit = unit_admin_list(scope=scope).filter(pk=pk).first()
    if unit is None:
        raise NotFound("单位不存在或无权查看", code="unit_not_found")
    return unit


def _searched(qs: QuerySet, *, query: str, status: str, fields: tuple[str, str]) -> QuerySet:
    """The administration lists' two filters: a code/number or name containing ``query``, and
    ``status`` "active" / "inactive" (anything else: both)."""
    query = query.strip()
    if query:
        qs = qs.filter(Q(**{f"{fields[0]}__icontains": query}) | Q(**{f"{fields[1]}__icontains": query}))
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=status == "active")
    return qs


def window_admin_list(*, scope: Scope, query: str = "", status: str = "") -> QuerySet[Window]:
    """Windows located in the subtree or staffed by it (as ``window_list``), active or not."""
    if scope.staff_id is not None:
        return Window.objects.none()
    path = scope.unit_path
    windows = Window.objects.filter(Q(unit__path__startswith=path) | Q(department__path__startswith=path))
    return _searched(windows.select_related("unit", "department"), query=query, status=status, fields=("code", "name"))


def window_get_for(*, scope: Scope, pk: int) -> Window:
    window = window_admin_list(scope=scope).filter(pk=pk).first()
    if window is None:
        raise NotFound("窗口不存在或无权查看", code="window_not_found")
    return window


def window_location_list(*, scope: Scope) -> QuerySet[Unit]:
    """Where a window of this scope may be: any active unit of the subtree, and (for a department,
    whose windows are in the centre's hall or a street centre) every active hall, street centre
    and community point."""
    return Unit.objects.filter(
        Q(path__startswith=scope.unit_path) | Q(kind__in=DEVICE_PLACE_KINDS), is_active=True
    ).order_by("path")


def staff_admin_list(*, scope: Scope, query: str = "", status: str = "") -> QuerySet[Staff]:
    """The staff of the subtree (by their unit), on duty or not, with their window and account."""
    if scope.staff_id is not None:
        return Staff.objects.none()
    people = Staff.objects.filter(unit__path__startswith=scope.unit_path)
    people = people.select_related("unit", "window", "membership__user")
    return _searched(people, query=query, status=status, fields=("staff_no", "name"))


def staff_get_for(*, scope: Scope, pk: int) -> Staff:
    staff = staff_admin_list(scope=scope).filter(pk=pk).first()
    if staff is None:
        raise NotFound("工作人员不存在或无权查看", code="staff_not_found")
    return staff


def account_list(*, scope: Scope) -> QuerySet:
    """Console accounts whose membership unit is in the subtree, with role, unit and staff."""
    if scope.staff_id is not None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(membership__unit__path__startswith=scope.unit_path)
        .select_related("membership__unit", "membership__staff")
    )


def account_get_for(*, scope: Scope, pk: int):
    user = account_list(scope=scope).filter(pk=pk).first()
    if user is None:
        raise NotFound("账号不存在或无权查看", code="account_not_found")
    return user
