"""The console's QR pages in headless Chromium: a supervisor generates a window's code on the
coverage list and downloads the posters PDF. Screenshots: artifacts/screenshots/console-qr-*.png."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from haochaping.organizations.models import PlaceQrCode
from haochaping.testing import PASSWORD, build_cast
from haochaping.testing_browser import browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_generates_a_code_and_prints_the_posters(browser):  # noqa: F811
    cast = build_cast()
    page = browser.new_page("pc")
    page.goto("/console/login/")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登 录").click()
    page.wait_for_url("**/console/")
    page.get_by_role("link", name="二维码与覆盖").click()
    page.wait_for_url("**/console/qr/")
    row = page.locator(f'tr[data-place="w{cast.window_a.pk}"]')
    assert "缺二维码" in row.inner_text() and "缺评价器" in row.inner_text()
    row.get_by_role("button", name="生成二维码").click()
    page.wait_for_selector(".msg-success")
    slug = PlaceQrCode.objects.get(window=cast.window_a).slug
    assert f"/q/{slug}" in page.locator(f'tr[data-place="w{cast.window_a.pk}"]').inner_text()
    browser.screenshot(page, "console-qr-coverage")

    page.get_by_role("link", name="打印二维码海报").click()
    page.wait_for_url("**/console/qr/posters/")
    page.get_by_label("每页 1 个（大幅海报，含评价说明）").check()
    browser.screenshot(page, "console-qr-posters")
    with page.expect_download() as download:
        page.get_by_role("button", name="生成 PDF").click()
    reader = PdfReader(BytesIO(Path(download.value.path()).read_bytes()))
    assert len(reader.pages) == PlaceQrCode.objects.count() == 5  # every place got its code
    assert download.value.suggested_filename.endswith(".pdf")
