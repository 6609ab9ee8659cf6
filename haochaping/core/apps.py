from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "haochaping.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from haochaping.core import checks  # noqa: F401  (registers system checks)
