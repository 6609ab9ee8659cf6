"""Scoped reads of the analytics app's own rows: 重点督办 marks and the monthly 通报."""

from haochaping.analytics.selectors.reports import report_get_for, report_list, report_versions
from haochaping.analytics.selectors.supervision import supervision_target_list, supervision_targets_for

__all__ = ["report_get_for", "report_list", "report_versions", "supervision_target_list", "supervision_targets_for"]
