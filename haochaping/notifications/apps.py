from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "haochaping.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from haochaping.notifications import checks  # noqa: F401  (registers the deploy checks)
