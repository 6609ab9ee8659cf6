"""Insight pages, mounted in the ``console`` namespace by ``haochaping/urls.py``."""

from django.urls import path

from haochaping.insight.console import attribution, integrity, problems, supervision

urlpatterns = [
    path("supervision/", supervision.record_list, name="insight_supervision_list"),
    path("supervision/new/", supervision.record_new, name="insight_supervision_new"),
    path("supervision/<int:pk>/", supervision.record_detail, name="insight_supervision_detail"),
    path("attribution/", attribution.attribution_page, name="insight_attribution"),
    path("attribution/ratings/", attribution.attribution_ratings, name="insight_attribution_ratings"),
    path("integrity/", integrity.flag_list, name="insight_integrity_list"),
    path("integrity/detect/", integrity.flag_detect, name="insight_integrity_detect"),
    path("integrity/<int:pk>/", integrity.flag_detail, name="insight_integrity_detail"),
    path("problems/", problems.problem_list_page, name="insight_problem_list"),
    path("problems/<int:pk>/", problems.problem_detail, name="insight_problem_detail"),
    path("problems/proposals/", problems.proposal_list_page, name="insight_proposal_list"),
    path("problems/proposals/<int:pk>/", problems.proposal_detail, name="insight_proposal_detail"),
    path("problems/detect/", problems.detect_now, name="insight_problems_detect"),
    path("problems/attachments/<int:pk>/", problems.problem_attachment, name="insight_problem_attachment"),
]
