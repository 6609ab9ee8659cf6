from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "haochaping.insight"
    label = "insight"
    verbose_name = "问题分析"
