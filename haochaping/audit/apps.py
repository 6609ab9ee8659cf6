from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_triggers(sender, using="default", **kwargs):
    from haochaping.audit.immutability import ensure_triggers

    ensure_triggers(using)


class AuditConfig(AppConfig):
    name = "haochaping.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        post_migrate.connect(_ensure_triggers, sender=self, dispatch_uid="haochaping.audit.triggers")
