"""Reads of the analytics app that go through a scope: the monthly 通报.

Who reads which report: every report (draft or published) of a unit in the caller's subtree,
and the *published* reports of the units above it — a 通报 is addressed to the units below its
issuer (主送), so a department admin reads the district's published notice, never its drafts.
Window clerks read none.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from haochaping.analytics.models import Report, ReportState
from haochaping.core.errors import NotFound
from haochaping.organizations.selectors import Scope


def _ancestor_paths(unit_path: str) -> list[str]:
    parts = unit_path.strip("/").split("/")
    return ["/" + "/".join(parts[:cut]) + "/" for cut in range(1, len(parts))]


def report_list(*, scope: Scope) -> QuerySet[Report]:
    if scope.staff_id is not None:
        return Report.objects.none()
    visible = Q(unit__path__startswith=scope.unit_path) | Q(
        state=ReportState.PUBLISHED, unit__path__in=_ancestor_paths(scope.unit_path)
    )
    return Report.objects.filter(visible).select_related("unit").defer("snapshot")


def report_get_for(*, scope: Scope, pk: int) -> Report:
    report = report_list(scope=scope).defer(None).filter(pk=pk).first()
    if report is None:
        raise NotFound("通报不存在或不在您的管理范围内", code="report_not_found")
    return report


def report_versions(*, scope: Scope, report: Report) -> QuerySet[Report]:
    """Every version of the same unit and period that the caller may read, newest first."""
    return (
        report_list(scope=scope)
        .filter(
            unit=report.unit,
            period_kind=report.period_kind,
            period_first=report.period_first,
            period_last=report.period_last,
        )
        .order_by("-version")
    )
