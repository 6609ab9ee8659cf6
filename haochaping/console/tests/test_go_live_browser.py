"""Go-live in an hour (issue 15): docs/go-live.md followed step by step on an EMPTY database.

No seed, no ``build_cast``: ``createadmin`` makes the first administrator and the root unit, then
everything else happens the way the centre's IT person does it — the four import templates
downloaded from 批量导入 and uploaded as they are (their example rows chain up: unit → matter →
window → staff), a business system registered on 业务系统 (the secret read off the page once), a
first service record pushed over real HTTP with an HMAC-SM3 signature (the client of
docs/examples/push_and_rate.py), the QR posters printed as a PDF, a tablet paired with the
one-time code from 评价设备, the admin's 请评价, the citizen's rating on the tablet and the rating
on 评价记录. Screenshots: artifacts/screenshots/go-live-*.png (used by docs/go-live.md).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from pypdf import PdfReader

from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import BusinessSystem, Device, PlaceQrCode, Staff, Unit, Window
from haochaping.service_records.models import ServiceRecord
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "push_and_rate.py"
USERNAME, PASSWORD = "admin", "Go-live-2026-pass"
IMPORTS = [  # (数据类型, template link) in the order the page and the doc give
    ("units", "下载单位导入模板（.xlsx）"),
    ("matters", "下载事项导入模板（.xlsx）"),
    ("windows", "下载窗口导入模板（.xlsx）"),
    ("staff", "下载工作人员导入模板（.xlsx）"),
]
RATE_SCREEN = "#screen-rate:not([hidden])"
IDLE_SCREEN = "#screen-idle:not([hidden])"
THANKS_SCREEN = "#screen-thanks:not([hidden])"


def api_client():
    """The signing client the API docs hand to business systems (docs/examples/push_and_rate.py)."""
    spec = importlib.util.spec_from_file_location("push_and_rate", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.call


def menu(page, name: str) -> None:
    """Open a page from the console's left-hand menu (主导航)."""
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def wait_until(predicate, *, seconds: float = 8.0, step: float = 0.2):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def qr_payloads(pdf: Path, tmp_path: Path) -> list[str]:
    """The QR codes on the poster's first page, read back with poppler + zbar (when installed)."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        return []
    render = ["pdftoppm", "-png", "-r", "150", "-f", "1", "-singlefile", str(pdf), str(tmp_path / "poster")]
    subprocess.run(render, check=True, timeout=60)  # noqa: S603  (fixed arguments, our own file)
    scan = ["zbarimg", "-q", "--raw", str(tmp_path / "poster.png")]
    done = subprocess.run(scan, capture_output=True, text=True, timeout=60)  # noqa: S603
    return done.stdout.split()


# What the test clicks, in the words docs/go-live.md gives the user (kept in step by test_the_doc_…).
DOC_WORDS = [
    "haochaping createadmin", "批量导入", "上传并校验（不写入）", "确认导入", "业务系统", "注册业务系统",
    "注册并生成密钥", "POST /api/v1/service-records", "二维码与覆盖", "打印二维码海报", "生成 PDF", "评价设备",
    "添加设备", "添加并生成配对码", "/tablet/", "配对", "办件服务", "请评价", "提交评价", "评价记录",
    *(link.removesuffix("（.xlsx）") for _, link in IMPORTS[:1]),
]  # fmt: skip


def test_the_doc_uses_the_pages_words_and_the_readme_points_to_it():
    doc = (ROOT / "docs" / "go-live.md").read_text(encoding="utf-8")
    assert [word for word in DOC_WORDS if word not in doc] == []
    assert "docs/go-live.md" in (ROOT / "README.md").read_text(encoding="utf-8").split("## 业务系统接入")[0]


def _as_migrated() -> None:
    """The rows `migrate` writes on a new machine: the default indicator set (evaluations/0002),
    loaded by that migration's own function. Earlier transactional tests flush the test database,
    data migrations' rows included, so a test run after them would start emptier than a new
    machine does."""
    from django.apps import apps

    importlib.import_module("haochaping.evaluations.migrations.0002_load_default_indicator_set").load(apps, None)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_centre_goes_live_on_an_empty_database(browser, live_server, tmp_path):  # noqa: F811
    _as_migrated()
    assert not Unit.objects.exists() and not ServiceRecord.objects.exists()

    # 1. The first administrator (and the root unit 410404) from the command line.
    call_command("createadmin", "--username", USERNAME, "--password", PASSWORD)
    root = Unit.objects.get()
    assert root.code == "410404" and root.parent_id is None

    console = browser.new_page("pc")
    console.goto("/console/login/")
    console.get_by_label("用户名").fill(USERNAME)
    console.get_by_label("密码").fill(PASSWORD)
    console.get_by_role("button", name="登 录").click()
    console.wait_for_url("**/console/")
    browser.screenshot(console, "go-live-1-home")

    # 2. The four templates, downloaded from 批量导入 and uploaded as downloaded: dry run, then 确认导入.
    menu(console, "批量导入")
    console.wait_for_url("**/console/import/")
    for kind, link in IMPORTS:
        with console.expect_download() as download:
            console.get_by_role("link", name=link).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        console.get_by_label("数据类型").select_option(kind)
        console.get_by_label("Excel 文件（.xlsx）").set_input_files(str(path))
        console.get_by_role("button", name="上传并校验（不写入）").click()
        console.wait_for_selector("#import-preview")
        assert console.locator("#import-errors").count() == 0, console.locator("#import-preview").inner_text()
        assert console.locator("#import-changes tbody tr").count() == 1
        if kind == "staff":
            browser.screenshot(console, "go-live-2-import-preview")
        console.get_by_role("button", name="确认导入").click()
        console.wait_for_url("**/console/import/")
        assert "新增 1 条" in console.locator(".msg-success").inner_text()
    staff = Staff.objects.select_related("window", "unit").get(staff_no="SCJG001")
    window = Window.objects.get(code="410404-SCJG-W01")
    assert staff.window == window and staff.unit.code == "410404-SCJG"
    assert list(window.items.values_list("code", flat=True)) == ["11410404MB1234567X400101"]

    # 3. A business system on 业务系统; its secret is read off the page (shown once).
    menu(console, "业务系统")
    console.get_by_role("link", name="注册业务系统").click()
    console.get_by_label("系统名称").fill("市场监管审批系统")
    console.get_by_label("所属单位").select_option(label="\u3000区市场监督管理局")
    console.get_by_role("button", name="注册并生成密钥").click()
    console.wait_for_selector("#issued-secret")
    system = BusinessSystem.objects.get()
    secret = console.locator("#secret-value").inner_text().strip()
    assert console.locator("#issued-secret").get_by_text(system.app_id).is_visible()
    browser.screenshot(console, "go-live-3-system-secret")

    # … and the system pushes its first service record over real HTTP, signed with HMAC-SM3.
    call = api_client()
    status, units = call(live_server.url, system.app_id, secret, "GET", "/api/v1/units?page_size=200")
    assert status == 200 and [u["code"] for u in units["items"]] == ["410404-SCJG"]
    status, record = call(live_server.url, system.app_id, secret, "POST", "/api/v1/service-records", {
        "project_no": "SCJG2026120001", "service_no": 1, "stage": "2",
        "item_code": "11410404MB1234567X400101", "unit_code": "410404-SCJG",
        "window_code": "410404-SCJG-W01", "staff_no": "SCJG001", "mode": "offline",
        "applicant_kind": "1", "applicant_name": "李四", "applicant_id_type": "111",
        "applicant_id_number": "410404199001011234", "applicant_phone": "13800000000",
        "accepted_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(time.time() - 600)),
    })  # fmt: skip
    assert status == 201, record
    pushed = ServiceRecord.objects.get(project_no="SCJG2026120001")
    assert (pushed.window, pushed.staff) == (window, staff)
    menu(console, "业务系统")
    state = console.locator("tr", has_text="市场监管审批系统").inner_text()
    assert "启用" in state and "未接入" not in state

    # 4. QR posters: one A4 page per window/place, the codes readable.
    menu(console, "二维码与覆盖")
    console.get_by_role("link", name="打印二维码海报").click()
    console.wait_for_url("**/console/qr/posters/")
    with console.expect_download() as download:
        console.get_by_role("button", name="生成 PDF").click()
    pdf = tmp_path / "posters.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(BytesIO(pdf.read_bytes())).pages) >= 1
    window_qr = PlaceQrCode.objects.get(window=window)
    codes = qr_payloads(pdf, tmp_path)
    if codes:  # poppler and zbar installed: the window's poster scans to its address
        assert f"{settings.PUBLIC_BASE_URL}/q/{window_qr.slug}" in codes, codes

    # 5. A tablet for the imported window: 评价设备 → 添加设备 → the one-time code → /tablet/.
    menu(console, "评价设备")
    console.get_by_role("link", name="添加设备").click()
    console.get_by_label("窗口（窗口评价器）").select_option(
        label="市场监管综合窗口（410404-SCJG-W01，区市场监督管理局）"
    )
    console.get_by_role("button", name="添加并生成配对码").click()
    code = console.locator("#pairing-code").inner_text().replace(" ", "")
    assert len(code) == 8 and code.isdigit()
    browser.screenshot(console, "go-live-5-pairing-code")
    tablet = browser.new_page("pc")
    tablet.goto("/tablet/")
    tablet.wait_for_selector("#screen-pair:not([hidden])")
    tablet.locator("#pair-code").fill(code)
    tablet.get_by_role("button", name="配对", exact=True).click()
    tablet.wait_for_selector(IDLE_SCREEN)
    assert tablet.locator("#idle-window").inner_text() == "市场监管综合窗口"
    assert Device.objects.get().window == window
    menu(console, "评价设备")
    assert console.locator("#device-table").get_by_text("已配对").is_visible()

    # 6. 请评价 on 办件服务, the citizen rates on the tablet, the rating shows on 评价记录.
    menu(console, "办件服务")
    row = console.locator("tr", has_text="SCJG2026120001")
    assert "未评价" in row.inner_text()
    row.get_by_role("button", name="请评价").click()
    console.wait_for_selector(".msg-success")
    assert console.locator(".rating-awaiting").inner_text() == "已推送，等待评价"
    tablet.wait_for_selector(RATE_SCREEN, timeout=10_000)  # the 2-second claim: portal tablet tests
    assert tablet.locator("#clerk-name").inner_text() == "张三"
    assert tablet.locator("#clerk-no").inner_text() == "SCJG001"
    assert tablet.locator("#svc-item").inner_text() == "食品经营许可证核发"
    browser.screenshot(tablet, "go-live-6-tablet", full_page=False)
    tablet.get_by_role("button", name="非常满意", exact=True).click()
    tablet.get_by_role("button", name="提交评价").click()
    tablet.wait_for_selector(THANKS_SCREEN)
    evaluation = wait_until(lambda: Evaluation.objects.filter(record=pushed).first())
    assert evaluation is not None and (evaluation.level, evaluation.channel) == (5, 4)

    menu(console, "评价记录")
    rating = console.locator("tr", has_text="SCJG2026120001")
    assert "非常满意" in rating.inner_text() and "食品经营许可证核发" in rating.inner_text()
    browser.screenshot(console, "go-live-7-ratings")
