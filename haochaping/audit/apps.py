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
        from django.contrib.auth import signals

        from haochaping.audit import auth_events

        post_migrate.connect(_ensure_triggers, sender=self, dispatch_uid="haochaping.audit.triggers")
        signals.user_logged_in.connect(auth_events.on_logged_in, dispatch_uid="haochaping.audit.login")
        signals.user_logged_out.connect(auth_events.on_logged_out, dispatch_uid="haochaping.audit.logout")
        signals.user_login_failed.connect(auth_events.on_login_failed, dispatch_uid="haochaping.audit.failed")
