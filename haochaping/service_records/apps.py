from django.apps import AppConfig


class ServiceRecordsConfig(AppConfig):
    name = "haochaping.service_records"
    label = "service_records"
    verbose_name = "办件"

    def ready(self) -> None:
        # Windows and matters join the Excel import registry (organizations.imports).
        from haochaping.service_records import imports  # noqa: F401
