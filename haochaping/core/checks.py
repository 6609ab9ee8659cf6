"""Deployment checks: `manage.py check --deploy` refuses demo keys and demo mode."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def demo_keys_refused(app_configs, **kwargs):
    errors = []
    if settings.DEMO_MODE:
        errors.append(checks.Error("HAOCHAPING_DEMO is on: demo keys are public", id="haochaping.E001"))
    current = {
        "HAOCHAPING_SECRET_KEY": settings.SECRET_KEY,
        "HAOCHAPING_SM4_KEY": settings.SM4_KEY,
        "HAOCHAPING_INDEX_KEY": settings.INDEX_KEY,
        "HAOCHAPING_AUDIT_KEY": settings.AUDIT_KEY,
    }
    for name, value in current.items():
        if value == settings.DEMO_KEYS[name]:
            errors.append(checks.Error(f"{name} is the public demo key", id="haochaping.E002"))
    return errors
