"""Value checks of the organisation's rows, shared by the console forms' services, the original
``organizations.services`` creators and the Excel import. Each raises ``ValidationFailed`` with a
Chinese message naming the field and what is wrong, and returns the cleaned value."""

from __future__ import annotations

import re

from haochaping.core.errors import ValidationFailed
from haochaping.organizations.models import Unit, Window

# Province-level prefixes of GB/T 2260 (省、自治区、直辖市; 71 台湾, 81 香港, 82 澳门).
PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
     "71", "81", "82"}
)  # fmt: skip
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
CODE_MAX = 40
NAME_MAX = 100
STAFF_NO_MAX = 32
STAFF_NAME_MAX = 50
# GB 32100: the 31 characters of a 统一社会信用代码 (no I, O, S, V, Z) and the weights of its check.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _fail(field: str, problem: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed(message or problem, code="invalid_value", fields={field: [problem]})


def code_clean(value: str, *, field: str = "code", label: str = "编码", max_length: int = CODE_MAX) -> str:
    """A unit or window code, a 工号: letters, digits, "-", "_", "."; at most 40 characters (工号 32)."""
    code = (value or "").strip()
    if not code:
        raise _fail(field, f"{label}不能为空")
    if len(code) > max_length:
        raise _fail(field, f"{label}最多 {max_length} 个字符")
    if not CODE_RE.match(code):
        raise _fail(field, f"{label}“{code}”只能包含字母、数字和“-”“_”“.”，且以字母或数字开头")
    return code


def name_clean(value: str, *, field: str = "name", label: str = "名称", max_length: int = NAME_MAX) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise _fail(field, f"{label}不能为空")
    if len(name) > max_length:
        raise _fail(field, f"{label}最多 {max_length} 个字")
    return name


def division_code_clean(value: str, *, field: str = "division_code") -> str:
    """行政区划代码: blank, or the 12-digit statistical division code (统计用区划代码, down to the
    community: 410404001001), or the 6-digit county-level code of GB/T 2260 (410404) that
    district-level bodies carry. Digits only, a real province prefix, not all zeros below it."""
    code = (value or "").strip()
    if not code:
        return ""
    if not code.isascii() or not code.isdigit():
        raise _fail(field, f"行政区划代码“{code}”只能由数字组成（12 位，如 410404001000）")
    if len(code) not in (6, 12):
        raise _fail(
            field,
            f"行政区划代码应为 12 位数字（如 410404001000），县级单位也可填 6 位（如 410404），现为 {len(code)} 位",
        )
    if code[:2] not in PROVINCES:
        raise _fail(field, f"行政区划代码“{code}”的前两位“{code[:2]}”不是有效的省级代码")
    if code[2:] == "0" * (len(code) - 2):
        raise _fail(field, f"行政区划代码“{code}”只到省级，请填写到县级或更具体的代码")
    return code


def credit_code_clean(value: str, *, field: str = "credit_code") -> str:
    """统一社会信用代码 (GB 32100): blank, or 18 characters whose last one is the check character."""
    code = (value or "").strip().upper()
    if not code:
        return ""
    if len(code) != 18 or any(ch not in CREDIT_CHARSET for ch in code):
        raise _fail(field, f"统一社会信用代码“{code}”应为 18 位数字或大写字母（不含 I、O、S、V、Z）")
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(code[:17], CREDIT_WEIGHTS, strict=True))
    if CREDIT_CHARSET[(31 - total % 31) % 31] != code[17]:
        raise _fail(field, f"统一社会信用代码“{code}”的校验位不正确，请核对")
    return code


def related_units(a: Unit, b: Unit) -> bool:
    """One unit lies within the other's subtree (``service_records`` relates a service's staff and
    window to its unit by the same rule)."""
    return a.path.startswith(b.path) or b.path.startswith(a.path)


def window_check_for_staff(window: Window, unit: Unit, *, field: str = "window") -> None:
    """A staff member's window (常驻窗口) is active and belongs to their unit: located in its
    subtree (or above it) or staffed by it."""
    if not window.is_active:
        raise _fail(field, f"窗口“{window.name}”已停用")
    if not (
        related_units(window.unit, unit) or (window.department is not None and related_units(window.department, unit))
    ):
        raise _fail(field, f"窗口“{window.name}”既不在“{unit.name}”，也不由其进驻")


# --- staff photos (the tablet's idle screen) -------------------------------------------------------

PHOTO_MAX_BYTES = 2 * 1024 * 1024
# What the tablet serves (portal.tablet.PHOTO_TYPES), recognised by the file's first bytes, never
# by its name or the browser's claim: the stored name gets the extension of what it really is.
PHOTO_KINDS = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def photo_kind(content: bytes, *, field: str = "photo") -> str:
    """The file extension of a staff photo (jpg, png, gif, webp), or ``ValidationFailed``."""
    if not content:
        raise _fail(field, "照片文件为空，请重新选择")
    if len(content) > PHOTO_MAX_BYTES:
        size = len(content) / 1024 / 1024
        raise _fail(
            field, f"照片不能超过 {PHOTO_MAX_BYTES // 1024 // 1024} MB（所选文件 {size:.1f} MB），请压缩后再上传"
        )
    for magic, ext in PHOTO_KINDS:
        if content.startswith(magic):
            return ext
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    raise _fail(field, "照片只能是 JPG、PNG、GIF 或 WebP 格式的图片")
