"""Staff pages of outreach (call lists, demands, categories, reports); ``haochaping/urls.py`` mounts
them in the ``console`` namespace."""

from django.urls import path

from haochaping.outreach.console import calls, demands, reports

urlpatterns = [
    path("outreach/", calls.workbench, name="outreach_workbench"),
    path("outreach/tasks/", calls.task_list_view, name="outreach_task_list"),
    path("outreach/tasks/<int:pk>/", calls.task_detail, name="outreach_task_detail"),
    path("outreach/demands/", demands.demand_list_view, name="outreach_demand_list"),
    path("outreach/demands/new/", demands.demand_new, name="outreach_demand_new"),
    path("outreach/demands/<int:pk>/", demands.demand_detail, name="outreach_demand_detail"),
    path("outreach/suggestions/", demands.suggestion_list, name="outreach_suggestions"),
    path("outreach/suggestions/<int:pk>/", demands.promote_evaluation, name="outreach_promote_evaluation"),
    path("outreach/categories/", demands.category_list, name="outreach_categories"),
    path("outreach/categories/<slug:code>/", demands.category_edit, name="outreach_category_edit"),
    path("outreach/reports/", reports.report_view, name="outreach_reports"),
    path("outreach/reports/export/", reports.report_export, name="outreach_report_export"),
]
