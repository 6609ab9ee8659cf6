"""Excel import (issue 15): templates, dry run with row errors in Chinese, all-or-nothing apply,
idempotent re-import, scoping, the CLI, and 5,000 staff rows."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.imports import IMPORTERS, import_apply, import_plan
from haochaping.organizations.models import Membership, Role, Staff, Unit, Window
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceItem
from haochaping.testing import login

CENTRE = Scope(unit_path="/410404/", role=Role.SUPERVISOR)
ADMIN_A = Scope(unit_path="/410404/SCJG/", role=Role.DEPT_ADMIN)
ACTOR = Actor.cli("test")


def xlsx(headers: list[str], rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


UNIT_HEADERS = ["单位编码", "单位名称", "类型", "上级单位编码", "行政区划代码", "启用"]
UNITS_OK = [
    ["JD02", "光明街道便民服务中心", "街道便民服务中心", "410404", "410404002000", "是"],
    ["JD02-SQ01", "光明社区便民服务点", "社区便民服务点", "JD02", "410404002001", "是"],
    ["JD02-SQ02", "幸福社区便民服务点", "community_point", "JD02", 410404002002, ""],
    ["WJW", "区卫生健康委员会", "部门", "410404", "", "是"],
]


def apply(kind, content, scope=CENTRE):
    return import_apply(actor=ACTOR, kind=kind, content=content, scope=scope, file_name=f"{kind}.xlsx")


@pytest.mark.parametrize("kind", ["units", "windows", "staff", "matters"])
def test_each_template_opens_with_chinese_headers_and_one_example_row(kind):
    importer = IMPORTERS[kind]
    book = openpyxl.load_workbook(io.BytesIO(importer.template()))
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in importer.columns]
    assert len(rows) == 2 and rows[1][0]  # one example row, its key filled in
    assert {"units": "单位编码", "windows": "窗口编码", "staff": "工号", "matters": "实施编码"}[kind] == rows[0][0]


def test_units_import_creates_children_after_parents_in_the_same_file_then_reimport_changes_nothing(cast):
    # Children listed before their parent are still resolved.
    content = xlsx(UNIT_HEADERS, [UNITS_OK[1], UNITS_OK[0], UNITS_OK[2], UNITS_OK[3]])
    preview = import_plan(kind="units", content=content, scope=CENTRE)
    assert preview.errors == [] and not Unit.objects.filter(code="JD02").exists()  # the dry run writes nothing
    assert (preview.counts.created, preview.counts.updated, preview.counts.unchanged) == (4, 0, 0)
    plan = apply("units", content)
    assert plan.counts.created == 4
    point = Unit.objects.get(code="JD02-SQ02")
    assert point.path == "/410404/JD02/JD02-SQ02/" and point.parent.code == "JD02"
    assert point.division_code == "410404002002" and point.kind == "community_point"
    event = AuditEvent.objects.get(action="organizations:import:applied")
    assert event.data["created"] == 4 and sorted(event.data["created_keys"]) == [
        "JD02",
        "JD02-SQ01",
        "JD02-SQ02",
        "WJW",
    ]
    assert event.actor_label == "test"
    again = apply("units", content)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 4)
    renamed = xlsx(UNIT_HEADERS, [["WJW", "区卫健委", "部门", "410404", "", "是"]])
    plan = apply("units", renamed)
    assert plan.counts.updated == 1 and plan.changes[0].fields == {"单位名称": ("区卫生健康委员会", "区卫健委")}
    assert Unit.objects.get(code="WJW").name == "区卫健委"


def test_three_broken_rows_show_exactly_three_errors_and_nothing_is_applied(cast):
    rows = [list(r) for r in UNITS_OK]
    rows[0][3] = "NOPE"  # unknown parent unit code
    rows[1][4] = "41040400200"  # 11 digits
    rows[3][2] = "局"  # unknown kind
    content = xlsx(UNIT_HEADERS, rows)
    before = Unit.objects.count()
    plan = import_plan(kind="units", content=content, scope=CENTRE)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "上级单位编码"), (3, "行政区划代码"), (5, "类型")]
    assert "“NOPE”不存在" in plan.errors[0].message
    assert "行政区划代码" in plan.errors[1].message
    assert "“局”不是有效的类型" in plan.errors[2].message
    with pytest.raises(ValidationFailed):
        apply("units", content)
    assert Unit.objects.count() == before and not AuditEvent.objects.filter(action="organizations:import:applied")
    # The same file, fixed, imports.
    assert apply("units", xlsx(UNIT_HEADERS, UNITS_OK)).counts.created == 4


STAFF_HEADERS = ["工号", "姓名", "所属单位编码", "窗口编码", "在岗", "登录账号", "角色"]


def test_staff_errors_duplicates_bad_boolean_and_unknown_window(cast):
    content = xlsx(
        STAFF_HEADERS,
        [
            ["A100", "王五", "SCJG", "W-A1", "是", "", ""],
            ["A100", "赵六", "SCJG", "", "是", "", ""],
            ["A101", "钱七", "SCJG", "W-X", "也许", "", ""],
        ],
    )
    plan = import_plan(kind="staff", content=content, scope=CENTRE)
    assert [str(e) for e in plan.errors] == [
        "第 3 行「工号」：“A100”与第 2 行重复",
        "第 4 行「窗口编码」：窗口编码“W-X”不存在",
        "第 4 行「在岗」：“也许”无法识别，请填写“是”或“否”",
    ]


def test_staff_import_with_accounts_updates_and_is_idempotent(cast):
    content = xlsx(
        STAFF_HEADERS,
        [
            ["A001", "张三", "SCJG", "W-A1", "是", "", ""],  # the cast's A001, renamed
            ["A200", "孙八", "SCJG", "W-A1", "是", "sunba", "窗口工作人员"],
            ["A201", "周九", "SCJG", "", "否", "", ""],
        ],
    )
    plan = apply("staff", content)
    assert (plan.counts.created, plan.counts.updated) == (2, 1)
    sunba = Membership.objects.select_related("user", "staff").get(user__username="sunba")
    assert sunba.role == Role.WINDOW_CLERK and sunba.staff.staff_no == "A200" and sunba.unit.code == "SCJG"
    assert not sunba.user.has_usable_password()
    assert Staff.objects.get(staff_no="A201").is_active is False
    again = apply("staff", content)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 3)
    taken = xlsx(STAFF_HEADERS, [["A202", "吴十", "SCJG", "", "是", "sunba", ""]])
    assert "已被其他人员使用" in import_plan(kind="staff", content=taken, scope=CENTRE).errors[0].message


def test_department_admin_is_refused_units_and_rows_outside_its_subtree(cast):
    with pytest.raises(PermissionDenied):
        import_plan(kind="units", content=xlsx(UNIT_HEADERS, UNITS_OK), scope=ADMIN_A)
    content = xlsx(
        STAFF_HEADERS,
        [
            ["A300", "甲", "SCJG", "", "是", "", ""],  # own unit: fine
            ["A301", "乙", "RSJ", "", "是", "", ""],  # another department
            ["B001", "改名", "SCJG", "", "是", "", ""],  # RSJ's staff member
            ["A302", "丙", "SCJG", "W-B1", "是", "", ""],  # a window outside the subtree
        ],
    )
    plan = import_plan(kind="staff", content=content, scope=ADMIN_A)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "所属单位编码"), (4, "工号"), (5, "窗口编码")]
    assert Staff.objects.get(staff_no="B001").name != "改名"


MATTER_HEADERS = ["实施编码", "事项名称", "事项类型", "所属部门编码", "可网办", "可窗口办理", "承诺时限（工作日）"]
WINDOW_HEADERS = ["窗口编码", "窗口名称", "所在场所编码", "所属部门编码", "办理事项编码（多个用、分隔）", "启用"]


def test_matters_then_windows_with_their_items(cast):
    matters = xlsx(
        MATTER_HEADERS,
        [
            ["M1", "食品经营许可", "行政许可", "SCJG", "是", "是", 20],
            ["M2", "营业执照变更", "07", "SCJG", "否", "是", ""],
            ["M3", "坏类型", "行政审批", "SCJG", "是", "是", "十"],
        ],
    )
    plan = import_plan(kind="matters", content=matters, scope=ADMIN_A)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "事项类型"), (4, "承诺时限（工作日）")]
    ok = xlsx(MATTER_HEADERS, [["M1", "食品经营许可", "行政许可", "SCJG", "是", "是", 20],
                               ["M2", "营业执照变更", "07", "SCJG", "否", "是", ""]])  # fmt: skip
    assert apply("matters", ok, scope=ADMIN_A).counts.created == 2
    item = ServiceItem.objects.get(code="M2")
    assert (item.item_type, item.online, item.offline, item.promised_days) == ("07", False, True, None)
    windows = xlsx(WINDOW_HEADERS, [["W-A2", "食品窗口", "CENTER", "SCJG", "M1、M2", "是"],
                                    ["W-A1", "市场监管综合窗口", "CENTER", "SCJG", "M1", ""]])  # fmt: skip
    plan = apply("windows", windows)
    assert (plan.counts.created, plan.counts.updated) == (1, 1)
    assert sorted(Window.objects.get(code="W-A2").items.values_list("code", flat=True)) == ["M1", "M2"]
    assert list(Window.objects.get(code="W-A1").items.values_list("code", flat=True)) == ["M1"]
    assert apply("windows", windows).counts.unchanged == 2
    # A department admin may not put windows at the hall (outside its subtree).
    plan = import_plan(kind="windows", content=windows, scope=ADMIN_A)
    assert {(e.column) for e in plan.errors} == {"所在场所编码", "窗口编码"}


def test_a_file_with_wrong_headers_is_refused_as_a_whole(cast):
    with pytest.raises(ValidationFailed, match="缺少必填列"):
        import_plan(kind="staff", content=xlsx(["工号", "名字"], [["A1", "x"]]), scope=CENTRE)
    with pytest.raises(ValidationFailed, match="不是 Excel"):
        import_plan(kind="staff", content=b"staff_no,name\n", scope=CENTRE)
    with pytest.raises(ValidationFailed, match="无法识别的列「staff_no」"):
        import_plan(kind="staff", content=b"staff_no,name\n", scope=CENTRE, file_name="staff.csv")


def test_a_csv_saved_by_excel_imports_like_the_workbook(cast):
    content = "工号,姓名,所属单位编码\nA800,郑一,SCJG\n".encode("gb18030")
    plan = import_plan(kind="staff", content=content, scope=CENTRE, file_name="工作人员.csv")
    assert plan.errors == [] and plan.counts.created == 1


def test_cli_dry_run_then_real_run(cast, tmp_path, capsys):
    path = tmp_path / "staff.xlsx"
    path.write_bytes(xlsx(STAFF_HEADERS, [["A400", "冯一", "SCJG", "W-A1", "是", "", ""]]))
    call_command("import", "staff", str(path), "--dry-run")
    assert "校验通过（未写入）：将新增 1 条" in capsys.readouterr().out
    assert not Staff.objects.filter(staff_no="A400").exists()
    call_command("import", "staff", str(path))
    assert "导入工作人员完成：新增 1 条，更新 0 条，未变 0 条" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="organizations:import:applied")
    assert event.actor_type == "cli" and event.actor_label == "import staff"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(STAFF_HEADERS, [["A401", "", "NOPE", "", "是", "", ""]]))
    with pytest.raises(CommandError, match="共 2 处错误"):
        call_command("import", "staff", str(bad))
    err = capsys.readouterr().err
    assert "第 2 行「姓名」：必填，不能为空" in err and "第 2 行「所属单位编码」：单位编码“NOPE”不存在" in err


def test_five_thousand_staff_rows(cast):
    rows = [[f"S{n:05d}", f"人员{n}", "SCJG" if n % 2 else "RSJ", "W-A1" if n % 2 else "W-B1", "是", "", ""]
            for n in range(5000)]  # fmt: skip
    content = xlsx(STAFF_HEADERS, rows)
    plan = apply("staff", content)
    assert plan.counts.created == 5000
    assert Staff.objects.filter(staff_no__startswith="S").count() == 5000
    assert apply("staff", content).counts.unchanged == 5000


# --- the console page -------------------------------------------------------------------------

PAGE = "/console/import/"


def _upload(client, kind, content, name="data.xlsx"):
    return client.post(PAGE, {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_console_template_download_and_nav(cast):
    client = login(Client(), cast, "supervisor")
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "批量导入" in html and "下载单位导入模板" in html and "下载工作人员导入模板" in html
    response = client.get("/console/import/template/?kind=windows")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert next(book.active.iter_rows(values_only=True))[:3] == ("窗口编码", "窗口名称", "所在场所编码")


def test_console_preview_shows_row_errors_and_changes_nothing(cast):
    client = login(Client(), cast, "supervisor")
    rows = [list(r) for r in UNITS_OK]
    rows[0][3], rows[1][4], rows[3][2] = "NOPE", "123", "局"
    before = Unit.objects.count()
    response = _upload(client, "units", xlsx(UNIT_HEADERS, rows))
    assert response.status_code == 422
    html = response.content.decode()
    assert html.count('<tr><td class="num">第 ') == 3
    assert "发现 3 处错误，未导入任何数据" in html and "确认导入" not in html
    assert "上级单位编码“NOPE”不存在" in html
    assert Unit.objects.count() == before


def test_console_preview_then_confirm_applies_the_stored_file_once(cast):
    client = login(Client(), cast, "supervisor")
    response = _upload(client, "units", xlsx(UNIT_HEADERS, UNITS_OK), name="单位.xlsx")
    assert response.status_code == 200
    html = response.content.decode()
    assert "新增 <strong>4</strong> 条" in html and "确认导入" in html
    assert not Unit.objects.filter(code="JD02").exists()
    token, digest = response.context["token"], response.context["digest"]
    # Someone else cannot confirm this upload, nor can a forged digest.
    other = login(Client(), cast, "admin_a")
    assert other.post("/console/import/confirm/", {"token": token, "digest": digest}).status_code == 404
    client.post("/console/import/confirm/", {"token": token, "digest": "0" * 64})
    assert not Unit.objects.filter(code="JD02").exists()
    confirm = client.post("/console/import/confirm/", {"token": token, "digest": digest}, follow=True)
    assert "已导入单位（单位.xlsx）：新增 4 条，更新 0 条，未变 0 条" in confirm.content.decode()
    assert Unit.objects.filter(code__startswith="JD02").count() == 3
    event = AuditEvent.objects.get(action="organizations:import:applied")
    assert event.actor_label == "supervisor" and event.data["file_name"] == "单位.xlsx"
    # The stored file is gone: a second confirm applies nothing.
    assert client.post("/console/import/confirm/", {"token": token, "digest": digest}).status_code == 404
    # Re-importing the same file: nothing to confirm.
    again = _upload(client, "units", xlsx(UNIT_HEADERS, UNITS_OK)).content.decode()
    assert "未变 <strong>4</strong> 条" in again and "确认导入" not in again


def test_console_department_admin_scoping(cast):
    admin = login(Client(), cast, "admin_a")
    page = admin.get(PAGE).content.decode()
    assert "下载单位导入模板" not in page and "下载工作人员导入模板" in page
    assert admin.get("/console/import/template/?kind=units").status_code == 403
    assert _upload(admin, "units", xlsx(UNIT_HEADERS, UNITS_OK)).status_code == 403
    response = _upload(admin, "staff", xlsx(STAFF_HEADERS, [["B001", "改名", "SCJG", "", "是", "", ""]]))
    assert response.status_code == 422 and "属于管辖范围以外的单位" in response.content.decode()
    for who in ("clerk_a", "operator", "auditor"):
        assert login(Client(), cast, who).get(PAGE).status_code == 403


def test_console_bad_file_is_a_clear_error(cast):
    client = login(Client(), cast, "supervisor")
    response = _upload(client, "staff", b"not a workbook", name="staff.xls")
    assert response.status_code == 422
    assert "文件不是 Excel 工作簿" in response.content.decode()


def test_confirm_refuses_when_the_database_changed_since_the_preview(cast):
    content = xlsx(STAFF_HEADERS, [["A500", "陈一", "SCJG", "", "是", "", ""]])
    preview = import_plan(kind="staff", content=content, scope=CENTRE)
    Staff.objects.create(staff_no="A500", name="别人", unit=cast.unit_a)  # meanwhile, elsewhere
    with pytest.raises(Conflict, match="重新上传并预览"):
        import_apply(actor=ACTOR, kind="staff", content=content, scope=CENTRE, expected_digest=preview.digest())
    assert Staff.objects.get(staff_no="A500").name == "别人"


def test_field_rules_follow_the_models(cast):
    content = xlsx(
        STAFF_HEADERS,
        [["A600", "名" * 51, "SCJG", "", "是", "bad name!", ""], ["A 601", "李", "SCJG", "", "是", "", "回访员"]],
    )
    plan = import_plan(kind="staff", content=content, scope=CENTRE)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "姓名"), (2, "登录账号"), (3, "工号"), (3, "角色")]
    assert "不能超过 50 个字" in plan.errors[0].message


def test_the_four_templates_as_downloaded_import_in_order_under_the_first_root(db, tmp_path, capsys):
    """Go-live: after `createadmin` (root 410404) the example rows chain: unit → matter → window → staff."""
    call_command("createadmin", "--username", "admin", "--password", "pass-12345-word")
    for kind in ("units", "matters", "windows", "staff"):
        path = tmp_path / f"{kind}.xlsx"
        call_command("import", kind, str(path), "--template")
        call_command("import", kind, str(path))
        assert "新增 1 条" in capsys.readouterr().out
    staff = Staff.objects.select_related("unit", "window").get(staff_no="SCJG001")
    assert staff.unit.code == "410404-SCJG" and staff.window.code == "410404-SCJG-W01"
    assert list(staff.window.items.values_list("code", flat=True)) == ["11410404MB1234567X400101"]
    assert Membership.objects.get(user__username="zhangsan").staff == staff


def test_division_and_credit_codes_follow_the_unit_pages_rules(cast):
    """An imported unit must be one the 单位 page would save again (administration.checks)."""
    headers = [*UNIT_HEADERS[:5], "统一社会信用代码", "启用"]
    rows = [
        ["U1", "九位代码单位", "部门", "410404", "410404001", "", "是"],  # 9 digits: the page refuses it
        ["U2", "省码无效单位", "部门", "410404", "990404", "", "是"],  # no province 99
        ["U3", "信用代码错单位", "部门", "410404", "410404", "91410404MA00000000", "是"],  # check character
        ["U4", "正确单位", "部门", "410404", "410404001000", "", "是"],
    ]
    plan = import_plan(kind="units", content=xlsx(headers, rows), scope=CENTRE)
    assert [(e.row, e.column) for e in plan.errors] == [
        (2, "行政区划代码"),
        (3, "行政区划代码"),
        (4, "统一社会信用代码"),
    ]
    assert "12 位" in plan.errors[0].message and "省级代码" in plan.errors[1].message
    assert not Unit.objects.filter(code__in=["U1", "U2", "U3", "U4"]).exists()
