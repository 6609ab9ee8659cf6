from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "haochaping.analytics"
    label = "analytics"
    verbose_name = "统计分析"
