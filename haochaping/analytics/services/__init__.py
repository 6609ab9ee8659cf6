"""Writes of the analytics app: 重点督办 marks (``supervision``) and the monthly 通报 (``reports``)."""

from haochaping.analytics.services.reports import (
    doc_number_text,
    report_generate,
    report_generate_due,
    report_publish,
    report_template_current,
    report_template_reset,
    report_template_upload,
    require_report_writer,
    template_bytes,
)
from haochaping.analytics.services.supervision import supervision_evaluate, supervision_lift, supervision_monthly

__all__ = [
    "doc_number_text",
    "report_generate",
    "report_generate_due",
    "report_publish",
    "report_template_current",
    "report_template_reset",
    "report_template_upload",
    "require_report_writer",
    "supervision_evaluate",
    "supervision_lift",
    "supervision_monthly",
    "template_bytes",
]
