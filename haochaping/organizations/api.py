"""Reference data for business systems: units with windows and staff (GET /units; the item
catalogue, GET /items, is served by ``service_records``)."""

from django.db.models import Prefetch
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from haochaping.core.api_errors import READ, error_responses
from haochaping.core.pagination import Pagination
from haochaping.organizations.models import Staff, Window
from haochaping.organizations.selectors import scope_for_system, unit_list

router = Router(tags=["参考数据"])


class WindowOut(Schema):
    code: str
    name: str
    unit_code: str = Field(..., alias="unit.code", description="窗口所在场所")
    department_code: str | None = Field(None, alias="department.code", description="进驻部门")


class StaffOut(Schema):
    staff_no: str
    name: str
    window_code: str | None = Field(None, alias="window.code")


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    parent_code: str | None = Field(None, alias="parent.code")
    division_code: str
    credit_code: str
    windows: list[WindowOut]
    staff: list[StaffOut]

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_windows(obj):
        """Windows at this place, and windows elsewhere (e.g. in the hall) that this unit staffs."""
        seen = {w.pk: w for w in obj.active_windows}
        seen.update({w.pk: w for w in obj.active_staffed_windows})
        return sorted(seen.values(), key=lambda w: w.code)

    @staticmethod
    def resolve_staff(obj):
        return obj.active_staff


def _windows():
    return Window.objects.filter(is_active=True).select_related("unit", "department")


@router.get(
    "/units", response={200: list[UnitOut], **error_responses(*READ)}, summary="单位、窗口、工号（本系统可见范围）"
)
@paginate(Pagination)
def units(request):
    return unit_list(scope=scope_for_system(request.system)).prefetch_related(
        Prefetch("windows", _windows(), to_attr="active_windows"),
        Prefetch("staffed_windows", _windows(), to_attr="active_staffed_windows"),
        Prefetch("staff", Staff.objects.filter(is_active=True).select_related("window"), to_attr="active_staff"),
    )
