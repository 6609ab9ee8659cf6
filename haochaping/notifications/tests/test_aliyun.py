"""The Aliyun Dysmsapi adapter against a real local HTTP stub; signatures recomputed independently."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction

from haochaping.notifications.models import Notification, NotificationStatus
from haochaping.notifications.services import notification_queue
from haochaping.notifications.transports import AliyunSmsTransport, TransportError, aliyun_signature

from .conftest import FEEDBACK_CONTEXT, PHONE, worker_once

NOW = dt.datetime(2026, 11, 30, 2, 0, 5, tzinfo=dt.UTC)
SECRET = "stub-secret"


# --- the documented algorithm, written independently of transports.py ------------------------


def pop_encode(text: str) -> str:
    """Aliyun POP percent-encoding, byte by byte: only A-Z a-z 0-9 - _ . ~ stay literal."""
    keep = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    return "".join(chr(b) if b in keep else f"%{b:02X}" for b in text.encode("utf-8"))


def pop_string_to_sign(method: str, params: dict[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{pop_encode(k)}={pop_encode(v)}" for k, v in pairs)
    return f"{method}&{pop_encode('/')}&{pop_encode(canonical)}"


def pop_signature(method: str, params: dict[str, str], secret: str) -> str:
    mac = hmac.new((secret + "&").encode(), pop_string_to_sign(method, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


# Aliyun's published example for RPC signatures (ECS DescribeRegions, AccessKeySecret "testsecret").
RPC_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
# Aliyun's published SendSms signing example (AccessKeySecret "testSecret").
SEND_SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_the_independent_signer_reproduces_aliyuns_published_examples():
    assert pop_string_to_sign("GET", RPC_EXAMPLE) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert pop_signature("GET", RPC_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert pop_signature("GET", SEND_SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_adapter_signs_aliyuns_published_examples():
    assert aliyun_signature("GET", RPC_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun_signature("GET", SEND_SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun_signature("GET", {**SEND_SMS_EXAMPLE, "Signature": "ignored"}, "testSecret") == (
        "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_percent_encoding_follows_the_pop_rules():
    assert pop_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    from haochaping.notifications.transports import aliyun_percent_encode

    for text in ("a b*c~d/e+f", "石龙区", '{"k":"v"}', "-_.~!'()"):
        assert aliyun_percent_encode(text) == pop_encode(text)


# --- a local HTTP stub of dysmsapi ------------------------------------------------------


class Stub:
    """Answers queued (status, body, delay) responses and records every request's raw query."""

    def __init__(self):
        self.answers: deque[tuple[int, object, float]] = deque()
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                raw_query = urllib.parse.urlsplit(self.path).query
                stub.requests.append(
                    {
                        "method": "GET",
                        "path": urllib.parse.urlsplit(self.path).path,
                        "raw_query": raw_query,
                        "params": dict(urllib.parse.parse_qsl(raw_query, keep_blank_values=True)),
                    }
                )
                status, body, delay = stub.answers.popleft() if stub.answers else (200, {"Code": "OK"}, 0.0)
                if delay:
                    time.sleep(delay)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def answer(self, body, *, status: int = 200, delay: float = 0.0) -> None:
        self.answers.append((status, body, delay))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


def adapter(url: str, **kw) -> AliyunSmsTransport:
    options = {
        "endpoint": url,
        "access_key_id": "LTAI-stub",
        "access_key_secret": SECRET,
        "sign_name": "石龙区政务服务",
        "templates": {"case_feedback": "SMS_480001"},
        "region_id": "cn-hangzhou",
        "timeout": 2,
        "now": lambda: NOW,
        "nonce": lambda: "nonce-0001",
    }
    options.update(kw)
    return AliyunSmsTransport(**options)


def send(transport: AliyunSmsTransport) -> str:
    return transport.send(
        phone=PHONE,
        body="（本地文本，不发送）",
        template_code="case_feedback",
        out_id="42",
        params={"item": "食品经营许可（新办）", "number": "GD1", "text": "已整改 完毕*"},
    )


def test_send_sms_carries_every_documented_parameter_and_a_valid_signature(stub):
    stub.answer({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"})
    assert send(adapter(stub.url)) == "900619746936498440^0"
    [request] = stub.requests
    params = request["params"]
    assert request["path"] == "/"
    assert {k: v for k, v in params.items() if k != "Signature"} == {
        "AccessKeyId": "LTAI-stub",
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": "42",
        "PhoneNumbers": PHONE,
        "RegionId": "cn-hangzhou",
        "SignName": "石龙区政务服务",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "nonce-0001",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_480001",
        "TemplateParam": '{"item":"食品经营许可（新办）","number":"GD1","text":"已整改 完毕*"}',
        "Timestamp": "2026-11-30T02:00:05Z",
        "Version": "2017-05-25",
    }
    assert params["Signature"] == pop_signature("GET", params, SECRET)
    # On the wire: POP encoding (%20 and %2A, never + or a literal *), Chinese as UTF-8 bytes.
    assert "%E7%9F%B3%E9%BE%99%E5%8C%BA" in request["raw_query"]
    assert "%20" in request["raw_query"] and "%2A" in request["raw_query"]
    assert "+" not in request["raw_query"].replace("%2B", "")


def test_an_error_code_is_a_transport_error_without_the_phone_number(stub):
    stub.answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发号码天级流控Permits:10", "RequestId": "R1"})
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url))
    assert caught.value.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert not caught.value.permanent and not caught.value.uncertain
    assert str(caught.value) == "阿里云 SendSms 拒绝：isv.BUSINESS_LIMIT_CONTROL 触发号码天级流控Permits:10"

    stub.answer({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"非法手机号 {PHONE}"})
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url))
    assert caught.value.permanent
    assert PHONE not in str(caught.value) and "***" in str(caught.value)


def test_an_http_error_with_an_aliyun_body_is_refused_with_its_code(stub):
    stub.answer({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}, status=400)
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url))
    assert caught.value.code == "SignatureDoesNotMatch" and not caught.value.uncertain


def test_a_server_error_or_a_timeout_may_have_been_accepted(stub):
    stub.answer({"Code": "InternalError"}, status=503)
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url))
    assert caught.value.uncertain and caught.value.code == "http_503"

    stub.answer({"Code": "OK", "BizId": "late"}, delay=1.0)
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url, timeout=0.2))
    assert caught.value.uncertain and caught.value.code == "timeout"

    stub.answer(b"<html>gateway</html>")
    with pytest.raises(TransportError) as caught:
        send(adapter(stub.url))
    assert caught.value.uncertain and caught.value.code == "bad_answer"


def test_an_unreachable_endpoint_was_certainly_not_accepted():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    with pytest.raises(TransportError) as caught:
        send(adapter(f"http://127.0.0.1:{port}/"))
    assert caught.value.code == "connect" and not caught.value.uncertain


def test_a_template_without_a_provider_mapping_is_refused_before_any_request(stub):
    with pytest.raises(TransportError) as caught:
        adapter(stub.url, templates={}).send(phone=PHONE, body="", template_code="case_feedback", out_id="1", params={})
    assert caught.value.permanent and stub.requests == []


def test_the_lookup_finds_a_message_by_its_out_id(stub):
    details = {"SmsSendDetailDTO": [{"OutId": "41", "SendStatus": 3}, {"OutId": "42", "SendStatus": 1}]}
    stub.answer({"Code": "OK", "TotalCount": 2, "SmsSendDetailDTOs": details})
    since = NOW - dt.timedelta(minutes=10)
    assert adapter(stub.url).query(phone=PHONE, out_id="42", since=since) == "outid-42"
    [request] = stub.requests
    params = request["params"]
    assert (params["Action"], params["PhoneNumber"], params["SendDate"]) == ("QuerySendDetails", PHONE, "20261130")
    assert (params["PageSize"], params["CurrentPage"]) == ("50", "1")
    assert params["Signature"] == pop_signature("GET", params, SECRET)

    stub.answer({"Code": "OK", "TotalCount": 0, "SmsSendDetailDTOs": {"SmsSendDetailDTO": []}})
    assert adapter(stub.url).query(phone=PHONE, out_id="43", since=since) is None


def test_the_lookup_covers_every_day_since_the_send_in_china_time(stub):
    stub.answer({"Code": "OK", "TotalCount": 0, "SmsSendDetailDTOs": {"SmsSendDetailDTO": []}})
    stub.answer({"Code": "OK", "TotalCount": 1, "SmsSendDetailDTOs": {"SmsSendDetailDTO": [{"OutId": "7"}]}})
    since = dt.datetime(2026, 11, 29, 15, 59, tzinfo=dt.UTC)  # 23:59 in Beijing
    assert adapter(stub.url).query(phone=PHONE, out_id="7", since=since) == "outid-7"
    assert [r["params"]["SendDate"] for r in stub.requests] == ["20261129", "20261130"]


@pytest.mark.django_db
def test_the_worker_delivers_through_aliyun_and_retries_a_refusal_once(stub, settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.SMS_TRANSPORT = "aliyun"
    settings.SMS_ALIYUN_ENDPOINT = stub.url
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-stub"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = SECRET
    settings.SMS_ALIYUN_TEMPLATES = {"case_feedback": "SMS_480001"}
    with transaction.atomic():
        message = notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)

    stub.answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"})
    stub.answer({"Code": "OK", "BizId": "BIZ-1"})
    assert "失败待重试 1 个" in worker_once()
    message.refresh_from_db()
    assert message.status == NotificationStatus.FAILED
    assert message.last_error.startswith("阿里云 SendSms 拒绝：isv.BUSINESS_LIMIT_CONTROL")
    time_machine.shift(dt.timedelta(seconds=30))
    assert "完成 1 个" in worker_once()
    message = Notification.objects.get(pk=message.pk)
    assert (message.status, message.provider, message.provider_message_id) == (
        NotificationStatus.SENT,
        "aliyun",
        "BIZ-1",
    )
    sends = [r["params"] for r in stub.requests]
    assert [p["OutId"] for p in sends] == [str(message.pk)] * 2  # the notification id is the idempotency key
    # The template's variables (the case number is in the context, not in the feedback SMS).
    assert json.loads(sends[1]["TemplateParam"]) == {k: FEEDBACK_CONTEXT[k] for k in ("item", "text", "url")}
    for params in sends:
        assert params["Signature"] == pop_signature("GET", params, SECRET)
    worker_once()
    assert len(stub.requests) == 2
