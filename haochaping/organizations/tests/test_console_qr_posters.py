"""QR posters as A4 PDF (fpdf2 + an embedded Noto Sans CJK subset + segno QR codes).

The PDF is always parsed (pypdf): page count, A4 size, the place names in the text layer, the
font embedded. Where poppler's ``pdftoppm`` is installed the first page is also rendered, and
the picture saved under artifacts/screenshots/ (the only check skipped without it).
"""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import ServiceUnavailable
from haochaping.organizations.models import PlaceQrCode
from haochaping.organizations.posters import poster_font, poster_pdf_for
from haochaping.organizations.qrcodes import qr_place_list
from haochaping.organizations.selectors import Scope
from haochaping.testing import login

POSTERS = reverse("console:qr_posters")
A4 = (595, 842)  # points, rounded
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"


def places(cast, *refs):
    by_ref = {p.ref: p for p in qr_place_list(scope=Scope(unit_path="/"))}
    return [by_ref[ref] for ref in refs]


def all_refs(cast) -> list[str]:
    return [p.ref for p in qr_place_list(scope=Scope(unit_path="/"))]


def read(content: bytes) -> PdfReader:
    assert content.startswith(b"%PDF-")
    return PdfReader(BytesIO(content))


def page_text(page) -> str:
    # fpdf2 writes its Identity encoding as an embedded CMap stream, which pypdf reads as one
    # byte too many per glyph (a NUL before each character; poppler's pdftotext reads it right).
    return page.extract_text().replace("\x00", "")


def text_of(reader: PdfReader) -> str:
    return "\n".join(page_text(page) for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts whose program is embedded in the file."""
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(descendant.get_object()["/BaseFont"]))
    return names


def render_first_page(content: bytes, tmp_path: Path, name: str) -> Path:
    """Page 1 as PNG through poppler (skips this check only when pdftoppm is absent)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the rendering check is skipped")
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(content)
    render = ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(tmp_path / name)]
    subprocess.run(render, check=True, timeout=60)  # noqa: S603  (fixed arguments, our own file)
    png = tmp_path / f"{name}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, ARTIFACTS / f"{name}.png")
    return png


def test_six_labels_per_page_with_names_in_chinese_and_the_font_embedded(cast, tmp_path):
    chosen = places(cast, *all_refs(cast))  # 3 places + 2 windows
    content = poster_pdf_for(chosen, layout="6", actor=Actor.cli("tests"))
    reader = read(content)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == A4
    text = text_of(reader)
    for name in (
        "石龙区政务服务中心",
        "人民路街道便民服务中心",
        "某社区便民服务点",
        "市场监管综合窗口",
        "社保综合窗口",
    ):
        assert name in text, name
    assert "扫码评价 · 政务服务好差评" in text
    fonts = embedded_fonts(reader)
    assert fonts and all("+" in name for name in fonts), fonts  # subsets ("ABCDEF+Font")
    assert any("CJK" in name or "Hei" in name for name in fonts), fonts
    # Every place got its code on the way, each creation audited.
    assert PlaceQrCode.objects.count() == 5
    assert AuditEvent.objects.filter(action="organizations:qrcode:created").count() == 5
    png = render_first_page(content, tmp_path, "qr-posters-6-per-page")
    assert png.stat().st_size > 10_000


def test_one_large_poster_per_page_with_the_instructions(cast, tmp_path):
    chosen = places(cast, f"w{cast.window_a.pk}", f"u{cast.street.pk}")
    content = poster_pdf_for(chosen, layout="1", actor=Actor.cli("tests"))
    reader = read(content)
    assert len(reader.pages) == 2
    first, second = (page_text(page) for page in reader.pages)
    assert "市场监管综合窗口" in first and "石龙区政务服务中心 · 区市场监督管理局" in first
    assert "人民路街道便民服务中心" in second and "街道便民服务中心" in second
    for text in (first, second):
        assert "扫码评价 · 政务服务好差评" in text and "输入办事时登记的手机号码" in text
        assert "/q/" in text  # the address, for typing it in
    slug = PlaceQrCode.objects.get(window=cast.window_a).slug
    assert f"/q/{slug}" in first
    render_first_page(content, tmp_path, "qr-poster-large")


def test_a_very_long_name_shrinks_and_wraps_instead_of_overflowing(cast):
    cast.street.name = "平顶山市石龙区人民路街道党群服务中心暨便民服务中心（综合受理窗口）第一分中心"
    cast.street.save(update_fields=["name"])
    chosen = places(cast, f"u{cast.street.pk}")
    for layout in ("1", "6"):
        text = text_of(read(poster_pdf_for(chosen, layout=layout, actor=Actor.cli("tests")))).replace("\n", "")
        assert "平顶山市石龙区人民路街道" in text


def test_the_console_page_prints_the_chosen_places_as_a_pdf_download(cast):
    client = login(Client(), cast, "supervisor")
    page = client.get(POSTERS, {"place": f"w{cast.window_a.pk}"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "每页 6 个" in html and "每页 1 个" in html and "社保综合窗口" in html
    assert f'value="w{cast.window_a.pk}" id="place-w{cast.window_a.pk}" checked' in html
    assert f'value="w{cast.window_b.pk}" id="place-w{cast.window_b.pk}">' in html
    r = client.post(POSTERS, {"layout": "1", "place": [f"w{cast.window_a.pk}", f"u{cast.community.pk}"]})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "attachment" in r["Content-Disposition"] and ".pdf" in r["Content-Disposition"]
    reader = read(r.content)
    assert len(reader.pages) == 2 and "某社区便民服务点" in text_of(reader)
    event = AuditEvent.objects.filter(action="organizations:qrcode:created").first()
    assert event.actor_id == str(cast.users["supervisor"].pk)


def test_nothing_chosen_is_explained(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(POSTERS, {"layout": "6"})
    assert r.status_code == 422 and "请至少选择一个窗口或场所" in r.content.decode()


def test_a_department_admin_prints_only_within_the_scope(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(POSTERS).content.decode()
    assert "市场监管综合窗口" in html and "社保综合窗口" not in html and "人民路街道便民服务中心" not in html
    assert client.post(POSTERS, {"place": [f"w{cast.window_b.pk}"]}).status_code == 404
    assert client.post(POSTERS, {"place": [f"u{cast.street.pk}"]}).status_code == 404
    assert not PlaceQrCode.objects.exists()
    assert client.post(POSTERS, {"place": [f"w{cast.window_a.pk}"]}).status_code == 200


@pytest.mark.parametrize("who", ["clerk_a", "operator", "auditor"])
def test_other_roles_cannot_print(cast, who):
    client = login(Client(), cast, who)
    assert client.get(POSTERS).status_code == 403
    assert client.post(POSTERS, {"place": [f"w{cast.window_a.pk}"]}).status_code == 403
    assert not PlaceQrCode.objects.exists()


def test_without_a_chinese_font_the_console_says_what_to_install(cast, settings, tmp_path):
    settings.POSTER_FONT = str(tmp_path / "missing.ttf")
    with pytest.raises(ServiceUnavailable):
        poster_font()
    client = login(Client(), cast, "supervisor")
    r = client.post(POSTERS, {"place": [f"w{cast.window_a.pk}"]})
    assert r.status_code == 503 and "HAOCHAPING_POSTER_FONT" in r.content.decode()
    assert not PlaceQrCode.objects.exists()  # nothing half-done


def test_the_printed_codes_scan_to_the_places_addresses(cast, tmp_path):
    """Decoded from the rendered page by zbar, where installed (a manual check otherwise)."""
    if shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None:
        pytest.skip("zbarimg (zbar-tools) or pdftoppm is not installed")
    chosen = places(cast, *all_refs(cast))
    content = poster_pdf_for(chosen, layout="6", actor=Actor.cli("tests"))
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(content)
    render = ["pdftoppm", "-png", "-r", "200", "-singlefile", str(pdf), str(tmp_path / "labels")]
    subprocess.run(render, check=True, timeout=60)  # noqa: S603  (fixed arguments, our own file)
    scan = ["zbarimg", "-q", "--raw", str(tmp_path / "labels.png")]
    scanned = subprocess.run(scan, capture_output=True, text=True, timeout=60)  # noqa: S603
    found = set(scanned.stdout.split())
    expected = {f"{settings.PUBLIC_BASE_URL}/q/{qr.slug}" for qr in PlaceQrCode.objects.all()}
    assert found == expected
