"""Deployment checks for SMS: no plaintext demo outbox and a complete provider setup in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def sms_transport_checks(app_configs, **kwargs):
    messages = []
    transport = settings.SMS_TRANSPORT
    if transport == "file" and not settings.DEMO_MODE:
        messages.append(
            checks.Error(
                "SMS_TRANSPORT=file writes plaintext phone numbers to SMS_OUTBOX_FILE: demo and tests only",
                hint='Set HAOCHAPING_SMS_TRANSPORT=aliyun (or "console" to only log masked lines).',
                id="haochaping.notifications.E001",
            )
        )
    elif transport == "console" and not settings.DEMO_MODE:
        messages.append(
            checks.Warning(
                "SMS_TRANSPORT=console: text messages are only logged, no citizen receives them",
                hint="Configure an SMS provider: HAOCHAPING_SMS_TRANSPORT=aliyun and HAOCHAPING_SMS_ALIYUN_*.",
                id="haochaping.notifications.W001",
            )
        )
    elif transport == "aliyun":
        missing = [
            name
            for name, value in (
                ("HAOCHAPING_SMS_ALIYUN_ACCESS_KEY_ID", settings.SMS_ALIYUN_ACCESS_KEY_ID),
                ("HAOCHAPING_SMS_ALIYUN_ACCESS_KEY_SECRET", settings.SMS_ALIYUN_ACCESS_KEY_SECRET),
                ("HAOCHAPING_SMS_ALIYUN_SIGN_NAME", settings.SMS_ALIYUN_SIGN_NAME),
                ("HAOCHAPING_SMS_ALIYUN_TEMPLATES", settings.SMS_ALIYUN_TEMPLATES),
            )
            if not value
        ]
        if missing:
            messages.append(
                checks.Error(
                    f"SMS_TRANSPORT=aliyun needs {', '.join(missing)}",
                    id="haochaping.notifications.E002",
                )
            )
        if not settings.SMS_ALIYUN_ENDPOINT.startswith("https://"):
            messages.append(
                checks.Error(
                    "HAOCHAPING_SMS_ALIYUN_ENDPOINT must use https:// (phone numbers travel in the request)",
                    id="haochaping.notifications.E003",
                )
            )
    if settings.SMS_SENDING_LEASE_SECONDS <= 3 * settings.SMS_HTTP_TIMEOUT_SECONDS:
        messages.append(
            checks.Error(
                "HAOCHAPING_SMS_SENDING_LEASE_SECONDS must be well above the SMS HTTP timeout "
                "(more than 3x), or a slow send would be taken for a crashed one",
                id="haochaping.notifications.E004",
            )
        )
    return messages
