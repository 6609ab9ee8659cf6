"""Static QR codes of windows and places (R4): create on demand, regenerate, resolve, list by scope.

A place is a window, or a unit of a kind in ``QR_PLACE_KINDS`` (the hall, 街道便民服务中心,
社区便民服务点). Each has at most one code, ``/q/<slug>``, with a random slug (16 URL-safe
characters, 96 bits): printed on posters, so it stays the same until an administrator
regenerates it, and a guessed or altered slug finds nothing. Creating and regenerating are
audited; reading is not (the slug is public once printed).

References to places in forms and URLs are ``w<id>`` (window) and ``u<id>`` (unit). Codes, posters
and the coverage list are for supervisors and department/street/community admins
(``require_qr_role``), each within their scope.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.services import Actor, audit_record
from haochaping.core.errors import NotFound, PermissionDenied, ValidationFailed
from haochaping.organizations.devices import ONLINE_SECONDS
from haochaping.organizations.models import QR_PLACE_KINDS, Device, PlaceQrCode, Role, Unit, Window
from haochaping.organizations.selectors import Scope

SLUG_BYTES = 12  # 96 random bits -> 16 base64url characters
SLUG_RE = re.compile(r"^[A-Za-z0-9_-]{16}$")
REF_RE = re.compile(r"^([wu])([1-9][0-9]{0,17})$")
QR_ROLES = (Role.SUPERVISOR, Role.DEPT_ADMIN)


def require_qr_role(scope: Scope) -> None:
    """Codes, posters and rating coverage: supervisors and department/street/community admins."""
    if scope.role not in QR_ROLES:
        raise PermissionDenied("二维码与评价覆盖情况仅限督查和部门/街道/社区管理员使用")


@dataclass
class Place:
    """A window or a unit that can carry a QR code, with what the console shows about it."""

    window: Window | None = None
    unit: Unit | None = None
    qr: PlaceQrCode | None = None
    devices: list[Device] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"w{self.window.pk}" if self.window is not None else f"u{self.unit.pk}"

    @property
    def is_window(self) -> bool:
        return self.window is not None

    @property
    def name(self) -> str:
        return self.window.name if self.window is not None else self.unit.name

    @property
    def kind_label(self) -> str:
        return "窗口" if self.window is not None else self.unit.get_kind_display()

    @property
    def location(self) -> str:
        """Where a window is (its hall or centre); a unit is its own location."""
        return self.window.unit.name if self.window is not None else ""

    @property
    def department(self) -> str:
        if self.window is not None and self.window.department is not None:
            return self.window.department.name
        return ""

    @property
    def full_name(self) -> str:
        """The name printed on posters and shown to citizens: "hall · window" or the unit."""
        return f"{self.location} · {self.name}" if self.window is not None else self.name

    @property
    def paired_devices(self) -> list[Device]:
        return [d for d in self.devices if d.is_active and d.credential_hash]


def qr_url(qr: PlaceQrCode) -> str:
    """The absolute URL printed in the QR code."""
    return settings.PUBLIC_BASE_URL + reverse("portal:qr", args=[qr.slug])


def _new_slug() -> str:
    return secrets.token_urlsafe(SLUG_BYTES)


# --- reads ---------------------------------------------------------------------------------------


def _windows_in(scope: Scope):
    return Window.objects.filter(
        Q(unit__path__startswith=scope.unit_path) | Q(department__path__startswith=scope.unit_path), is_active=True
    )


def _units_in(scope: Scope):
    return Unit.objects.filter(path__startswith=scope.unit_path, kind__in=QR_PLACE_KINDS, is_active=True)


def qr_place_list(*, scope: Scope) -> list[Place]:
    """Every place in the scope (units first, in tree order, then windows by code), with its QR
    code and devices: four queries whatever the number of places."""
    units = list(_units_in(scope).select_related("qr_code").order_by("path"))
    windows = list(_windows_in(scope).select_related("unit", "department", "qr_code").order_by("unit__path", "code"))
    devices = Device.objects.filter(Q(window__in=[w.pk for w in windows]) | Q(unit__in=[u.pk for u in units]))
    by_window: dict[int, list[Device]] = {}
    by_unit: dict[int, list[Device]] = {}
    for device in devices.order_by("pk"):
        if device.window_id is not None:
            by_window.setdefault(device.window_id, []).append(device)
        by_unit.setdefault(device.unit_id, []).append(device)
    places = [Place(unit=u, qr=getattr(u, "qr_code", None), devices=by_unit.get(u.pk, [])) for u in units]
    places += [Place(window=w, qr=getattr(w, "qr_code", None), devices=by_window.get(w.pk, [])) for w in windows]
    return places


def _paired() -> QuerySet:
    """Devices paired and in use: ``Place.paired_devices``."""
    return Device.objects.filter(is_active=True).exclude(credential_hash="")


def _device_counts(qs: QuerySet, field: str, *, now: dt.datetime) -> QuerySet:
    """``qs`` (units or windows) with ``paired`` and ``online`` (paired, heartbeat within
    ``ONLINE_SECONDS`` of ``now``: ``devices.device_is_online``), each a correlated count."""

    def counted(devices: QuerySet) -> Coalesce:
        per_place = devices.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk"))
        return Coalesce(Subquery(per_place.values("n"), output_field=IntegerField()), 0)

    paired = _paired()
    online = paired.filter(last_seen_at__gte=now - dt.timedelta(seconds=ONLINE_SECONDS))
    return qs.annotate(paired=counted(paired), online=counted(online))


# What the coverage list shows of a place's code (``qr_url``, generated at, regenerations).
_QR_FIELDS = ("qr_code__slug", "qr_code__generated_at", "qr_code__regenerations")


@dataclass
class CountedPlace:
    """A place with its paired devices and those online counted (not loaded)."""

    place: Place
    paired: int
    online: int


def qr_unit_places(*, scope: Scope, now: dt.datetime) -> list[CountedPlace]:
    """The scope's place units (``qr_place_list``'s first part, in its order) with their devices
    counted: one query. A scope has a few hundred at most (halls, street centres, community
    points), against thousands of windows."""
    units = _units_in(scope).select_related("qr_code").only("name", "kind", *_QR_FIELDS, "qr_code__unit")
    units = _device_counts(units, "unit", now=now).order_by("path")
    return [CountedPlace(Place(unit=u, qr=getattr(u, "qr_code", None)), u.paired, u.online) for u in units]


def qr_window_filter(*, missing_qr: bool = False, missing_device: bool = False) -> Q:
    """Windows without a QR code and/or without a paired device (``Place.paired_devices``)."""
    condition = Q()
    if missing_qr:
        condition &= Q(qr_code__isnull=True)
    if missing_device:
        condition &= ~Exists(_paired().filter(window=OuterRef("pk")))
    return condition


def qr_window_counts(*, scope: Scope, listed: Q) -> dict[str, int]:
    """The scope's windows (``windows``), those with a QR code (``windows_qr``), with a paired
    device (``windows_device``) and those of ``listed`` (a ``qr_window_filter``): one query."""
    return _windows_in(scope).aggregate(
        windows=Count("pk"),
        windows_qr=Count("pk", filter=Q(qr_code__isnull=False)),
        windows_device=Count("pk", filter=Q(Exists(_paired().filter(window=OuterRef("pk"))))),
        listed=Count("pk", filter=listed),
    )


def qr_window_places(
    *, scope: Scope, now: dt.datetime, listed: Q, start: int = 0, stop: int | None = None
) -> list[CountedPlace]:
    """The windows of ``listed`` (a ``qr_window_filter``) in ``qr_place_list``'s order, from the
    ``start``-th to before the ``stop``-th, with their devices counted: one query."""
    order = ("unit__path", "code")
    windows = _windows_in(scope).filter(listed).order_by(*order)
    if start or stop is not None:
        # The slice's windows picked by a subquery first: the devices are then counted for them
        # only (counted in the ordered query, they would be for every row before the offset).
        windows = Window.objects.filter(pk__in=windows[start:stop].values("pk")).order_by(*order)
    windows = windows.select_related("unit", "department", "qr_code").only(
        "name", "unit__name", "department__name", *_QR_FIELDS, "qr_code__window"
    )
    windows = _device_counts(windows, "window", now=now)
    return [CountedPlace(Place(window=w, qr=getattr(w, "qr_code", None)), w.paired, w.online) for w in windows]


def qr_place_totals(*, scope: Scope, now=None) -> dict[str, int]:
    """How many windows and places (``qr_place_list``'s) the scope has, with a QR code, with a
    paired device, and windows with a paired device online: ``evaluations.coverage.coverage_totals``
    of every place, plus ``windows_online``, counted by the database (two queries) instead of
    loading every place with its devices."""
    now = now or timezone.now()
    paired = Device.objects.filter(is_active=True).exclude(credential_hash="")
    online = paired.filter(last_seen_at__gte=now - dt.timedelta(seconds=ONLINE_SECONDS))
    windows = _windows_in(scope).aggregate(
        windows=Count("pk"),
        windows_qr=Count("pk", filter=Q(qr_code__isnull=False)),
        windows_device=Count("pk", filter=Q(Exists(paired.filter(window=OuterRef("pk"))))),
        windows_online=Count("pk", filter=Q(Exists(online.filter(window=OuterRef("pk"))))),
    )
    places = _units_in(scope).aggregate(
        places=Count("pk"),
        places_qr=Count("pk", filter=Q(qr_code__isnull=False)),
        places_device=Count("pk", filter=Q(Exists(paired.filter(unit=OuterRef("pk"))))),
    )
    return {**windows, **places}


def qr_place_get_for(*, scope: Scope, ref: str) -> Place:
    """One place by its reference (``w12`` / ``u3``), if the scope sees it; else NotFound."""
    match = REF_RE.match(ref or "")
    if match is None:
        raise NotFound("未找到该窗口或场所", code="place_not_found")
    kind, pk = match.group(1), int(match.group(2))
    if kind == "w":
        window = _windows_in(scope).select_related("unit", "department", "qr_code").filter(pk=pk).first()
        if window is not None:
            return Place(window=window, qr=getattr(window, "qr_code", None))
    else:
        unit = _units_in(scope).select_related("qr_code").filter(pk=pk).first()
        if unit is not None:
            return Place(unit=unit, qr=getattr(unit, "qr_code", None))
    raise NotFound("未找到该窗口或场所", code="place_not_found")


def qr_code_resolve(slug: str) -> PlaceQrCode | None:
    """The QR code of a slug scanned by a citizen, with its place; None for anything else
    (malformed, unknown, regenerated away, or its place deactivated)."""
    if not SLUG_RE.match(slug or ""):
        return None
    qr = (
        PlaceQrCode.objects.select_related("window", "window__unit", "window__department", "unit")
        .filter(slug=slug)
        .first()
    )
    if qr is None:
        return None
    place = qr.window if qr.window_id else qr.unit
    if not place.is_active:
        return None
    return qr


# --- writes --------------------------------------------------------------------------------------


def _audit_data(place: Place, qr: PlaceQrCode) -> dict:
    return {"place": place.ref, "name": place.full_name, "slug_prefix": qr.slug[:4]}


@transaction.atomic
def qr_code_ensure(*, actor: Actor, place: Place) -> PlaceQrCode:
    """The place's QR code, created now if it has none (audited). Idempotent and race-safe."""
    if place.qr is not None:
        return place.qr
    lookup = {"window": place.window} if place.window is not None else {"unit": place.unit}
    existing = PlaceQrCode.objects.filter(**lookup).first()
    if existing is not None:
        place.qr = existing
        return existing
    now = timezone.now()
    qr = PlaceQrCode(slug=_new_slug(), created_at=now, generated_at=now, **lookup)
    try:
        with transaction.atomic():  # a savepoint: a concurrent creation for the same place wins
            qr.save(force_insert=True)
    except IntegrityError:
        qr = PlaceQrCode.objects.get(**lookup)
        place.qr = qr
        return qr
    place.qr = qr
    audit_record(actor=actor, action="organizations:qrcode:created", target=qr, data=_audit_data(place, qr))
    return qr


@transaction.atomic
def qr_code_regenerate(*, actor: Actor, place: Place, reason: str = "") -> PlaceQrCode:
    """A new slug for the place: every poster printed so far stops working (audited)."""
    if place.qr is None:
        raise ValidationFailed("该窗口或场所还没有二维码，请先生成", code="qr_missing")
    qr = PlaceQrCode.objects.select_for_update().get(pk=place.qr.pk)
    old_prefix = qr.slug[:4]
    qr.slug = _new_slug()
    qr.generated_at = timezone.now()
    qr.regenerations += 1
    qr.save(update_fields=["slug", "generated_at", "regenerations"])
    place.qr = qr
    data = {**_audit_data(place, qr), "old_slug_prefix": old_prefix, "reason": reason.strip()[:200]}
    audit_record(actor=actor, action="organizations:qrcode:regenerated", target=qr, data=data)
    return qr
