"""Rating coverage (评价覆盖, R4): for every window and place in a scope, its QR code, its paired
rating devices (and how many are online), and how many of its recent services were rated.

A place counts the services served at its windows and those whose unit it is (each once), in
the scope only (``service_records.selectors.record_counts_by_place``). Every window needs a
rating device; every place needs a QR code.

The counts come from ``place_counter``: the raw count above by default (the definition), and
the one of ``analytics.page_counts`` once the analytics app is ready (the same figures from the
rollups and today's services; this app may not import analytics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from haochaping.organizations.devices import device_is_online
from haochaping.organizations.qrcodes import Place, qr_place_list, qr_url
from haochaping.organizations.selectors import Scope
from haochaping.service_records.selectors import PlaceCounts, record_counts_by_place

COVERAGE_DAYS = 30
MISSING = {"qr": "缺二维码", "device": "缺评价器（窗口）"}
KINDS = {"window": "窗口", "place": "大厅/便民服务中心/便民服务点"}


PlaceCounter = Callable[..., tuple[PlaceCounts, PlaceCounts]]
_counter: list[PlaceCounter] = [record_counts_by_place]


def place_counter_install(counter: PlaceCounter) -> None:
    """Count the places' services with ``counter`` (same signature as ``record_counts_by_place``)."""
    _counter[0] = counter


@dataclass
class CoverageRow:
    place: Place
    services: int = 0
    rated: int = 0
    online: int = 0

    @property
    def rate(self) -> float | None:
        return self.rated / self.services if self.services else None

    @property
    def paired(self) -> int:
        return len(self.place.paired_devices)

    @property
    def url(self) -> str:
        return qr_url(self.place.qr) if self.place.qr is not None else ""


def coverage_rows(scope: Scope, *, now: dt.datetime) -> list[CoverageRow]:
    """Every place of the scope with its services and ratings of the last ``COVERAGE_DAYS`` days."""
    places = qr_place_list(scope=scope)
    by_window, by_unit = _counter[0](
        scope=scope,
        since=now - dt.timedelta(days=COVERAGE_DAYS),
        window_ids=[p.window.pk for p in places if p.is_window],
        unit_ids=[p.unit.pk for p in places if not p.is_window],
    )
    rows = []
    for place in places:
        services, rated = (by_window if place.is_window else by_unit).get(
            place.window.pk if place.is_window else place.unit.pk, (0, 0)
        )
        online = sum(1 for d in place.paired_devices if device_is_online(d))
        rows.append(CoverageRow(place, services, rated, online))
    return rows


def coverage_filtered(rows: list[CoverageRow], *, missing: str, kind: str) -> list[CoverageRow]:
    """Only windows or only places (``kind``); only those missing a QR code or a device."""
    if kind == "window":
        rows = [r for r in rows if r.place.is_window]
    elif kind == "place":
        rows = [r for r in rows if not r.place.is_window]
    if missing == "qr":
        rows = [r for r in rows if r.place.qr is None]
    elif missing == "device":  # every window needs a rating device (R4); places need a QR code
        rows = [r for r in rows if r.place.is_window and not r.paired]
    return rows


def coverage_totals(rows: list[CoverageRow]) -> dict:
    windows = [r for r in rows if r.place.is_window]
    places = [r for r in rows if not r.place.is_window]
    return {
        "windows": len(windows),
        "windows_qr": sum(1 for r in windows if r.place.qr),
        "windows_device": sum(1 for r in windows if r.paired),
        "places": len(places),
        "places_qr": sum(1 for r in places if r.place.qr),
        "places_device": sum(1 for r in places if r.paired),
    }
