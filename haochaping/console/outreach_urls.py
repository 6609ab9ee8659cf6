"""Outreach pages of the console (callbacks, invitations, demands), in the ``console`` namespace."""

from django.urls import path

from haochaping.console import outreach_calls, outreach_demands, outreach_reports

urlpatterns: list = [
    path("outreach/", outreach_calls.workbench, name="outreach_workbench"),
    path("outreach/tasks/", outreach_calls.task_list_view, name="outreach_task_list"),
    path("outreach/tasks/<int:pk>/", outreach_calls.task_detail, name="outreach_task_detail"),
    path("outreach/demands/", outreach_demands.demand_list_view, name="outreach_demand_list"),
    path("outreach/demands/new/", outreach_demands.demand_new, name="outreach_demand_new"),
    path("outreach/demands/<int:pk>/", outreach_demands.demand_detail, name="outreach_demand_detail"),
    path("outreach/suggestions/", outreach_demands.suggestion_list, name="outreach_suggestions"),
    path("outreach/suggestions/<int:pk>/", outreach_demands.promote_evaluation, name="outreach_promote_evaluation"),
    path("outreach/categories/", outreach_demands.category_list, name="outreach_categories"),
    path("outreach/categories/<slug:code>/", outreach_demands.category_edit, name="outreach_category_edit"),
    path("outreach/reports/", outreach_reports.report_view, name="outreach_reports"),
    path("outreach/reports/export/", outreach_reports.report_export, name="outreach_report_export"),
]
