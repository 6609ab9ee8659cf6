"""QR code posters as A4 PDF: six small labels per page, or one large poster per page.

The PDF route (decided for a server without a browser, printable anywhere):

* **fpdf2** draws the pages; it needs no browser, no system libraries and no network, and it
  embeds TrueType *and* CFF-flavoured OpenType fonts as subsets (only the glyphs used, so a
  poster PDF stays small: ~20–60 KB). ReportLab was the other candidate: its built-in CID
  font ``STSong-Light`` needs no file but is *not embedded* (a viewer without Adobe's Asian
  font pack substitutes or shows nothing), and it cannot embed the CFF-based Noto CJK fonts
  Debian ships.
* **The font** is Noto Sans CJK SC from Debian's ``fonts-noto-cjk`` (the package the browser
  tests already install; no browser needed), embedded as a subset: the PDF carries its own
  glyphs and prints the same on any printer or viewer. ``POSTER_FONT`` (setting, or
  ``HAOCHAPING_POSTER_FONT``) names another font file (.ttf/.otf/.ttc with Chinese glyphs);
  otherwise the usual locations of Noto Sans CJK and WenQuanYi are tried. Without any, the
  console says which package to install (``ServiceUnavailable``) rather than print boxes.
* **The QR code** comes from ``segno`` (error correction M) and is drawn as vector
  rectangles, one per run of dark modules: sharp at any print size, no image decoding.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from django.conf import settings
from fpdf import FPDF

from haochaping.audit.services import Actor
from haochaping.core.env import env_str
from haochaping.core.errors import ServiceUnavailable
from haochaping.organizations.qrcodes import Place, qr_code_ensure, qr_url

TITLE = "扫码评价 · 政务服务好差评"
STEPS = [
    "用手机相机或微信扫描上方二维码",
    "输入办事时登记的手机号码，填写短信验证码",
    "选择在这里办理的服务，进行评价",
]
FOOTER = "评价实行实名制，评价人身份依法保密 · 每次服务评价一次，完全自愿"
LAYOUTS = {"6": "每页 6 个（小幅，适合贴在窗口台面）", "1": "每页 1 个（大幅海报，含评价说明）"}
MAX_PLACES = 500  # one PDF; more would be a print shop's job

BLUE = (13, 78, 166)
GREY = (74, 84, 98)
LIGHT = (201, 209, 220)

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-sans-cjk-fonts
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
]


@dataclass(frozen=True)
class PosterFont:
    regular: str
    regular_index: int
    bold: str | None
    bold_index: int


def _configured_font() -> str:
    configured = getattr(settings, "POSTER_FONT", None)
    if configured is None:
        configured = env_str("HAOCHAPING_POSTER_FONT", "")
    return str(configured or "").strip()


@functools.cache
def _face_index(path: str) -> int:
    """The Simplified Chinese face of a font collection (Noto's .ttc holds JP, KR, SC, TC, HK)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection  # a dependency of fpdf2

    collection = TTCollection(path, lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC") or " SC " in family:
                return index
    finally:
        collection.close()
    return 0


def poster_font() -> PosterFont:
    """The Chinese font to embed, or ServiceUnavailable naming what to install."""
    configured = _configured_font()
    candidates = [configured] if configured else FONT_CANDIDATES
    for path in candidates:
        if path and os.path.isfile(path):
            bold = path.replace("Regular", "Bold")
            bold_path = bold if bold != path and os.path.isfile(bold) else None
            return PosterFont(path, _face_index(path), bold_path, _face_index(bold_path) if bold_path else 0)
    if configured:
        raise ServiceUnavailable(f"海报字体文件 {configured} 不存在，请检查 HAOCHAPING_POSTER_FONT 设置")
    raise ServiceUnavailable(
        "服务器未安装中文字体，无法生成海报。请安装 fonts-noto-cjk（Debian/Ubuntu：apt-get install fonts-noto-cjk），"
        "或用 HAOCHAPING_POSTER_FONT 指定含中文的字体文件"
    )


# --- drawing ---------------------------------------------------------------------------------------


class _Pdf(FPDF):
    def __init__(self, font: PosterFont):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_title("政务服务好差评 评价二维码")
        self.set_creator("haochaping")
        self.add_font("cjk", fname=font.regular, collection_font_number=font.regular_index)
        if font.bold:
            self.add_font("cjk", style="B", fname=font.bold, collection_font_number=font.bold_index)
        else:
            self.add_font("cjk", style="B", fname=font.regular, collection_font_number=font.regular_index)

    def text_center(self, text: str, *, x: float, y: float, w: float, size: float, bold=False, color=(0, 0, 0)):
        self.set_font("cjk", "B" if bold else "", size)
        self.set_text_color(*color)
        self.set_xy(x, y)
        self.cell(w, size * 0.42, text, align="C")

    def wrap(self, text: str, *, width: float, size: float, bold: bool) -> list[str]:
        """Greedy wrapping by character (Chinese has no spaces to break at)."""
        self.set_font("cjk", "B" if bold else "", size)
        lines, line = [], ""
        for char in text:
            if line and self.get_string_width(line + char) > width:
                lines.append(line)
                line = char.lstrip()
            else:
                line += char
        if line:
            lines.append(line)
        return lines

    def fit(self, text: str, *, width: float, size: float, min_size: float, lines: int, bold=True):
        """The largest size (≤ size) at which ``text`` fits in ``lines`` lines; else truncated."""
        current = size
        while current >= min_size:
            wrapped = self.wrap(text, width=width, size=current, bold=bold)
            if len(wrapped) <= lines:
                return current, wrapped
            current -= 1
        wrapped = self.wrap(text, width=width, size=min_size, bold=bold)[:lines]
        wrapped[-1] = wrapped[-1][:-1] + "…"
        return min_size, wrapped

    def qr(self, url: str, *, x: float, y: float, size: float) -> None:
        """The QR code as filled rectangles, one per horizontal run of dark modules."""
        matrix = segno.make(url, error="m", micro=False).matrix
        n = len(matrix)
        module = size / n
        self.set_fill_color(0, 0, 0)
        for row, cells in enumerate(matrix):
            col = 0
            while col < n:
                if cells[col]:
                    start = col
                    while col < n and cells[col]:
                        col += 1
                    # A hair wider/taller than the module, so no viewer shows seams between runs.
                    width = (col - start) * module + 0.02
                    self.rect(x + start * module, y + row * module, width, module + 0.02, style="F")
                else:
                    col += 1


def _subtitle(place: Place) -> str:
    if place.is_window:
        return f"{place.location} · {place.department}" if place.department else place.location
    return place.kind_label


def _large(pdf: _Pdf, place: Place, url: str) -> None:
    pdf.add_page()
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 190, 277)
    pdf.text_center(TITLE, x=10, y=22, w=190, size=28, bold=True, color=BLUE)
    pdf.set_line_width(0.4)
    pdf.line(30, 38, 180, 38)
    size, lines = pdf.fit(place.name, width=170, size=34, min_size=20, lines=2)
    y = 46
    for line in lines:
        pdf.text_center(line, x=20, y=y, w=170, size=size, bold=True)
        y += size * 0.5
    pdf.text_center(_subtitle(place), x=20, y=y + 2, w=170, size=15, color=GREY)
    qr_size = 112  # with white space around it of at least two modules (text stays clear of it)
    pdf.qr(url, x=(210 - qr_size) / 2, y=y + 16, size=qr_size)
    y = y + 16 + qr_size + 8
    pdf.text_center("请用手机扫码，对本次服务进行评价", x=20, y=y, w=170, size=15, bold=True, color=BLUE)
    y += 12
    pdf.set_font("cjk", "", 14)
    pdf.set_text_color(0, 0, 0)
    for number, step in enumerate(STEPS, start=1):
        pdf.set_xy(40, y)
        pdf.cell(130, 7, f"{number}. {step}")
        y += 9
    pdf.set_draw_color(*LIGHT)
    pdf.line(20, 262, 190, 262)
    pdf.text_center(FOOTER, x=20, y=266, w=170, size=10, color=GREY)
    pdf.text_center(url, x=20, y=273, w=170, size=9, color=GREY)


def _small(pdf: _Pdf, places: Sequence[tuple[Place, str]]) -> None:
    cell_w, cell_h = 105, 99
    for start in range(0, len(places), 6):
        pdf.add_page()
        # Cut lines between the six labels.
        pdf.set_draw_color(*LIGHT)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=2, gap=2)
        pdf.line(105, 0, 105, 297)
        pdf.line(0, 99, 210, 99)
        pdf.line(0, 198, 210, 198)
        pdf.set_dash_pattern()
        for slot, (place, url) in enumerate(places[start : start + 6]):
            x = (slot % 2) * cell_w
            y = (slot // 2) * cell_h
            pdf.text_center(TITLE, x=x, y=y + 7, w=cell_w, size=12, bold=True, color=BLUE)
            qr_size = 56
            pdf.qr(url, x=x + (cell_w - qr_size) / 2, y=y + 14, size=qr_size)
            size, lines = pdf.fit(place.name, width=cell_w - 14, size=15, min_size=10, lines=2)
            line_y = y + 14 + qr_size + 4
            for line in lines:
                pdf.text_center(line, x=x + 7, y=line_y, w=cell_w - 14, size=size, bold=True)
                line_y += size * 0.48
            pdf.text_center(_subtitle(place)[:40], x=x + 7, y=line_y + 1, w=cell_w - 14, size=9, color=GREY)


def poster_pdf(places: Sequence[Place], *, layout: str) -> bytes:
    """A4 pages for these places (each must have its QR code): ``layout`` "6" or "1"."""
    pdf = _Pdf(poster_font())
    items = [(place, qr_url(place.qr)) for place in places]
    if layout == "1":
        for place, url in items:
            _large(pdf, place, url)
    else:
        _small(pdf, items)
    return bytes(pdf.output())


def poster_pdf_for(places: Sequence[Place], *, layout: str, actor: Actor) -> bytes:
    """Give every place its code first (created on demand, audited), then draw."""
    poster_font()  # fail before creating codes when the server cannot draw them
    for place in places:
        qr_code_ensure(actor=actor, place=place)
    return poster_pdf(places, layout=layout)
