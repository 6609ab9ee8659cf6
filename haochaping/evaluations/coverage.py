"""Rating coverage (评价覆盖, R4): for every window and place in a scope, its QR code, its paired
rating devices (and how many are online), and how many of its recent services were rated.

A place counts the services served at its windows and those whose unit it is (each once), in
the scope only (``service_records.selectors.record_counts_by_place``). Every window needs a
rating device; every place needs a QR code.

The counts come from ``place_counter``: the raw count above by default (the definition), and
the one of ``analytics.page_counts`` once the analytics app is ready (the same figures from the
rollups and today's services; this app may not import analytics).

A city has thousands of places and the page shows 50: ``CoverageList`` counts the totals and the
filtered list in the database, and reads the rows (their devices counted, their services
counted) of the slice shown only; the export reads them all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from haochaping.organizations.qrcodes import (
    CountedPlace,
    Place,
    qr_unit_places,
    qr_url,
    qr_window_counts,
    qr_window_filter,
    qr_window_places,
)
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
    online: int = 0  # paired devices with a recent heartbeat
    paired: int = 0  # paired devices (``Place.paired_devices``)

    @property
    def rate(self) -> float | None:
        return self.rated / self.services if self.services else None

    @property
    def url(self) -> str:
        return qr_url(self.place.qr) if self.place.qr is not None else ""


class CoverageList(Sequence[CoverageRow]):
    """The scope's places that pass the list's filters (``coverage_filtered``), in
    ``qr_place_list``'s order (units in tree order, then windows by place and code), for the
    paginator; ``totals`` (``coverage_totals`` of every place) above the list.

    Two queries up front: the scope's place units with their devices counted (a few hundred at
    most), and one aggregate over its windows (the totals and how many pass the filters). A
    slice then reads its windows (one query, if it reaches them) and counts the services of its
    places only."""

    def __init__(self, scope: Scope, *, now: dt.datetime, missing: str = "", kind: str = ""):
        self.scope, self.now = scope, now
        units = qr_unit_places(scope=scope, now=now)
        self.listed = qr_window_filter(missing_qr=missing == "qr", missing_device=missing == "device")
        windows = qr_window_counts(scope=scope, listed=self.listed)
        self.totals = {
            "windows": windows["windows"],
            "windows_qr": windows["windows_qr"],
            "windows_device": windows["windows_device"],
            "places": len(units),
            "places_qr": sum(1 for u in units if u.place.qr is not None),
            "places_device": sum(1 for u in units if u.paired),
        }
        # Places need a QR code, not a device: 缺评价器 lists windows only.
        self.units = [] if kind == "window" or missing == "device" else units
        if missing == "qr":
            self.units = [u for u in self.units if u.place.qr is None]
        self.windows = 0 if kind == "place" else windows["listed"]

    def __len__(self) -> int:
        return len(self.units) + self.windows

    @overload
    def __getitem__(self, index: int) -> CoverageRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[CoverageRow]: ...

    def __getitem__(self, index: int | slice) -> CoverageRow | list[CoverageRow]:
        if not isinstance(index, slice):
            at = range(len(self))[index]  # IndexError out of range
            return self[at : at + 1][0]
        start, stop, step = index.indices(len(self))
        if step != 1:
            return self[start:stop][::step]
        if stop <= start:
            return []
        places = self.units[start:stop]
        first_window, stop_window = max(start - len(self.units), 0), stop - len(self.units)
        if stop_window > 0:
            whole = first_window == 0 and stop_window >= self.windows  # every window: no slice to pick
            places += qr_window_places(
                scope=self.scope,
                now=self.now,
                listed=self.listed,
                start=first_window,
                stop=None if whole else stop_window,
            )
        return self._counted(places)

    def __iter__(self) -> Iterator[CoverageRow]:
        return iter(self.every())

    def every(self) -> list[CoverageRow]:
        """Every row (the export): the services of the scope's places counted all at once, not
        by the ids of its thousands of places."""
        places = list(self.units)
        if self.windows:
            places += qr_window_places(scope=self.scope, now=self.now, listed=self.listed)
        return self._counted(places, every=True)

    def _counted(self, places: list[CountedPlace], *, every: bool = False) -> list[CoverageRow]:
        """The rows of these places with their services of the last ``COVERAGE_DAYS`` days
        (``every``: counted for every place of the scope)."""
        if not places:
            return []
        by_window, by_unit = _counter[0](
            scope=self.scope,
            since=self.now - dt.timedelta(days=COVERAGE_DAYS),
            window_ids=None if every else [c.place.window.pk for c in places if c.place.window is not None],
            unit_ids=None if every else [c.place.unit.pk for c in places if c.place.unit is not None],
        )
        rows = []
        for counted in places:
            place = counted.place
            if place.window is not None:
                services, rated = by_window.get(place.window.pk, (0, 0))
            else:
                services, rated = by_unit.get(place.unit.pk, (0, 0))
            rows.append(CoverageRow(place, services, rated, online=counted.online, paired=counted.paired))
        return rows


def coverage_rows(scope: Scope, *, now: dt.datetime, missing: str = "", kind: str = "") -> list[CoverageRow]:
    """Every place of the scope (or those of the filters) with its services and ratings of the
    last ``COVERAGE_DAYS`` days."""
    return CoverageList(scope, now=now, missing=missing, kind=kind).every()


def coverage_filtered(rows: list[CoverageRow], *, missing: str, kind: str) -> list[CoverageRow]:
    """Only windows or only places (``kind``); only those missing a QR code or a device (the
    definition of ``CoverageList``'s filters)."""
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
    """The totals of every place's rows (the definition of ``CoverageList.totals``)."""
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
