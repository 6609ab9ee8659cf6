"""批量导入 in a browser (issue 15), under the Content-Security-Policy: download a template, upload
a file with a broken row and read the row error, upload the fixed file, confirm, see the result.
Screenshots: artifacts/screenshots/console-import-*.png."""

from __future__ import annotations

import io

import openpyxl
import pytest

from haochaping.organizations.models import Staff
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["工号", "姓名", "所属单位编码", "窗口编码", "在岗"]


def _xlsx(path, rows) -> str:
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_a_supervisor_imports_staff_through_the_page(browser, tmp_path):  # noqa: F811
    build_cast()
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.get_by_role("link", name="批量导入").click()
    page.wait_for_url("**/console/import/")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载工作人员导入模板（.xlsx）").click()
    book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))  # noqa: SIM115
    assert next(book.active.iter_rows(values_only=True))[0] == "工号"

    page.get_by_label("数据类型").select_option("staff")
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(
        _xlsx(tmp_path / "bad.xlsx", [["A700", "林一", "SCJG", "W-A1", "是"], ["A701", "林二", "NOPE", "", "是"]])
    )
    page.get_by_role("button", name="上传并校验（不写入）").click()
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert "第 3 行" in errors.first.inner_text() and "单位编码“NOPE”不存在" in errors.first.inner_text()
    assert page.get_by_role("button", name="确认导入").count() == 0
    browser.screenshot(page, "console-import-errors")

    page.get_by_label("数据类型").select_option("staff")
    page.get_by_label("Excel 文件（.xlsx）").set_input_files(
        _xlsx(tmp_path / "good.xlsx", [["A700", "林一", "SCJG", "W-A1", "是"], ["A701", "林二", "RSJ", "", "是"]])
    )
    page.get_by_role("button", name="上传并校验（不写入）").click()
    assert page.locator("#import-changes tbody tr").count() == 2
    browser.screenshot(page, "console-import-preview")
    assert not Staff.objects.filter(staff_no__in=["A700", "A701"]).exists()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url("**/console/import/")
    assert "已导入工作人员（good.xlsx）：新增 2 条，更新 0 条，未变 0 条" in page.content()
    assert Staff.objects.filter(staff_no__in=["A700", "A701"]).count() == 2
