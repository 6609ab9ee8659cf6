"""Analytics pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.analytics.console import assessment, overview, rankings, reports, screen, supervision, system_usage

urlpatterns = [
    path("analytics/", overview.overview, name="analytics_overview"),
    path("analytics/export/", overview.overview_export, name="analytics_overview_export"),
    path("analytics/refresh/", overview.refresh, name="analytics_refresh"),
    path("analytics/coverage/", overview.coverage_view, name="analytics_coverage"),
    path("analytics/coverage/export/", overview.coverage_export, name="analytics_coverage_export"),
    path("analytics/systems/<int:pk>/", system_usage.system_usage_view, name="analytics_system_usage"),
    path("analytics/rankings/", rankings.ranking_view, name="analytics_ranking"),
    path("analytics/rankings/export/", rankings.ranking_export, name="analytics_ranking_export"),
    path("analytics/assessment/", assessment.assessment_view, name="analytics_assessment"),
    path("analytics/assessment/export/", assessment.assessment_export, name="analytics_assessment_export"),
    path("analytics/supervision/", supervision.supervision_view, name="analytics_supervision"),
    path("analytics/screen/", screen.screen, name="analytics_screen"),
    path("analytics/screen/data/", screen.screen_data_view, name="analytics_screen_data"),
    path("analytics/supervision/export/", supervision.supervision_export, name="analytics_supervision_export"),
    path("analytics/reports/", reports.report_list_view, name="analytics_reports"),
    path("analytics/reports/<int:pk>/", reports.report_detail, name="analytics_report_detail"),
    path("analytics/reports/<int:pk>/docx/", reports.report_docx, name="analytics_report_docx"),
    path("analytics/reports/<int:pk>/xlsx/", reports.report_xlsx, name="analytics_report_xlsx"),
    path("analytics/reports/<int:pk>/chart/", reports.report_chart, name="analytics_report_chart"),
    path("analytics/reports/template/", reports.report_template_view, name="analytics_report_template"),
    path(
        "analytics/reports/template/download/",
        reports.report_template_download,
        name="analytics_report_template_download",
    ),
]
