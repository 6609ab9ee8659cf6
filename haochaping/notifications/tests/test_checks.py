"""check --deploy: the plaintext demo outbox and an incomplete provider setup are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from haochaping.notifications.checks import sms_transport_checks
from haochaping.notifications.transports import (
    AliyunSmsTransport,
    ConsoleTransport,
    FileTransport,
    QueryableTransport,
    SmsTransport,
    get_transport,
)


def ids() -> list[str]:
    return [message.id for message in sms_transport_checks(None)]


def test_the_file_transport_is_fine_in_demo_mode_and_refused_outside_it(settings):
    settings.SMS_TRANSPORT = "file"
    settings.DEMO_MODE = True
    assert ids() == []
    settings.DEMO_MODE = False
    assert ids() == ["haochaping.notifications.E001"]


def test_the_console_transport_outside_demo_mode_is_a_warning(settings):
    settings.SMS_TRANSPORT = "console"
    settings.DEMO_MODE = False
    assert ids() == ["haochaping.notifications.W001"]


def test_aliyun_needs_keys_templates_and_https(settings):
    settings.SMS_TRANSPORT = "aliyun"
    settings.DEMO_MODE = False
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    settings.SMS_ALIYUN_TEMPLATES = {}
    settings.SMS_ALIYUN_ENDPOINT = "http://dysmsapi.aliyuncs.com/"
    [missing, https] = sms_transport_checks(None)
    assert missing.id == "haochaping.notifications.E002"
    assert "HAOCHAPING_SMS_ALIYUN_ACCESS_KEY_ID" in missing.msg and "HAOCHAPING_SMS_ALIYUN_TEMPLATES" in missing.msg
    assert https.id == "haochaping.notifications.E003"

    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-x"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "s"
    settings.SMS_ALIYUN_TEMPLATES = {"case_feedback": "SMS_1"}
    settings.SMS_ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    assert ids() == []


def test_the_sending_lease_must_exceed_the_http_timeout(settings):
    settings.SMS_TRANSPORT = "file"
    settings.DEMO_MODE = True
    settings.SMS_HTTP_TIMEOUT_SECONDS = 30
    settings.SMS_SENDING_LEASE_SECONDS = 60
    assert ids() == ["haochaping.notifications.E004"]


def test_the_setting_selects_the_transport(settings, tmp_path):
    settings.SMS_OUTBOX_FILE = tmp_path / "x.jsonl"
    settings.SMS_TRANSPORT = "file"
    assert isinstance(get_transport(), FileTransport)
    settings.SMS_TRANSPORT = "console"
    assert isinstance(get_transport(), ConsoleTransport)
    settings.SMS_TRANSPORT = "aliyun"
    assert isinstance(get_transport(), AliyunSmsTransport)
    settings.SMS_TRANSPORT = "carrier-pigeon"
    with pytest.raises(ImproperlyConfigured):
        get_transport()


def test_which_transports_can_look_a_message_up():
    assert isinstance(ConsoleTransport(), SmsTransport)
    assert not isinstance(ConsoleTransport(), QueryableTransport)
    assert isinstance(FileTransport("x"), QueryableTransport)
    aliyun = AliyunSmsTransport(endpoint="", access_key_id="", access_key_secret="", sign_name="", templates={})
    assert isinstance(aliyun, QueryableTransport)
