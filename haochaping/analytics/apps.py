from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "haochaping.analytics"
    label = "analytics"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from haochaping.analytics import checks  # noqa: F401  (registers the settings checks)
