from django.apps import AppConfig


class ServiceRecordsConfig(AppConfig):
    name = "haochaping.service_records"
    label = "service_records"
    verbose_name = "办件"
