from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "haochaping.console"
    label = "console"
    verbose_name = "管理后台"
