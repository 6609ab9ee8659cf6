from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "haochaping.analytics"
    label = "analytics"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from haochaping.analytics import (
            checks,  # noqa: F401  (registers the settings checks)
            page_counts,
        )

        page_counts.install()  # the backlog report and the coverage page count from the rollups
