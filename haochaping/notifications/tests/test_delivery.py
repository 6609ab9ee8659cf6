"""Delivery by the worker: after commit, retried with backoff, never a duplicate SMS."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.jobs.models import Job, JobStatus
from haochaping.jobs.registry import JobError
from haochaping.jobs.services import backoff, job_claim, job_enqueue, job_run, lease
from haochaping.notifications import services
from haochaping.notifications.models import Notification, NotificationStatus
from haochaping.notifications.services import (
    notification_deliver,
    notification_queue,
    notification_retry,
    notification_sweep,
    sending_lease,
)
from haochaping.notifications.transports import ConsoleTransport, FileTransport, TransportError

from .conftest import FEEDBACK_CONTEXT, PHONE, T0, FlakyTransport, outbox, worker_once

pytestmark = pytest.mark.django_db


def queue_feedback(dedupe_key: str | None = None) -> Notification:
    with transaction.atomic():
        return notification_queue(
            template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT, dedupe_key=dedupe_key
        )


def audit_actions(message: Notification) -> list[str]:
    events = AuditEvent.objects.filter(target_type="notifications.notification", target_id=str(message.pk))
    return list(events.order_by("occurred_at", "id").values_list("action", flat=True))


def job_of(message: Notification) -> Job:
    return Job.objects.filter(unique_key=f"notify:{message.pk}").latest("id")


class WorkerKilled(BaseException):
    """The process dies (SIGKILL, power cut) right after the provider accepted the message."""


@pytest.fixture
def killed_after_send():
    """Until the returned function is called, the worker dies between the send and its record."""

    def die(*args, **kwargs):
        raise WorkerKilled

    patch = pytest.MonkeyPatch()
    patch.setattr(services, "_record_sent", die)
    yield patch.undo
    patch.undo()


def test_the_worker_sends_a_queued_sms_once_through_the_file_transport(frozen):
    message = queue_feedback()
    assert "完成 1 个" in worker_once()
    [line] = outbox()
    assert line["phone"] == PHONE and line["out_id"] == str(message.pk)
    assert line["body"] == message.body and line["template"] == "case_feedback"
    assert line["params"] == {
        "item": "食品经营许可（新办）",
        "text": "已对窗口人员进行批评教育",
        "url": "http://127.0.0.1:8000/m/1.2.x",
    }
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider) == (NotificationStatus.SENT, 1, "file")
    assert (message.provider_message_id, message.sent_at) == (f"file-{message.pk}", T0)
    assert job_of(message).status == JobStatus.DONE
    assert audit_actions(message) == ["notifications:message:queued", "notifications:message:sent"]
    assert PHONE not in str(AuditEvent.objects.filter(action__startswith="notifications:").values_list("data"))

    assert "完成 0 个" in worker_once()  # nothing left
    assert len(outbox()) == 1


def test_a_job_that_runs_again_for_a_sent_message_does_not_resend(frozen):
    message = queue_feedback()
    worker_once()
    notification_deliver(notification_id=message.pk)  # the task body, run twice
    job_enqueue("notifications.deliver", args={"notification_id": message.pk}, unique_key=f"notify:{message.pk}")
    assert "完成 1 个" in worker_once()  # a duplicate job: done, without sending
    assert len(outbox()) == 1
    assert audit_actions(message).count("notifications:message:sent") == 1


def test_a_transport_failure_is_retried_after_backoff_and_sends_exactly_once(frozen, install_transport):
    transport = install_transport(FlakyTransport(failures=1))
    message = queue_feedback()

    assert "失败待重试 1 个" in worker_once()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (NotificationStatus.FAILED, 1)
    assert message.last_error == "短信网关返回 503"
    job = job_of(message)
    assert (job.status, job.run_at) == (JobStatus.FAILED, T0 + dt.timedelta(seconds=30))
    assert "短信网关返回 503" in job.last_error and PHONE not in job.last_error
    assert outbox() == []

    assert "完成 0 个" in worker_once()  # the retry is not due yet
    frozen.shift(dt.timedelta(seconds=30))
    assert "完成 1 个" in worker_once()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (NotificationStatus.SENT, 2, "")
    assert transport.calls == 2
    assert [line["out_id"] for line in outbox()] == [str(message.pk)]  # exactly one SMS
    worker_once()
    assert len(outbox()) == 1


def test_a_message_is_dead_after_the_maximum_attempts(frozen, install_transport, settings):
    settings.SMS_MAX_ATTEMPTS = 3
    install_transport(FlakyTransport(failures=99))
    message = queue_feedback()
    for attempt in (1, 2):
        assert "失败待重试 1 个" in worker_once()
        frozen.shift(backoff(attempt))
    assert "完成 1 个" in worker_once()  # the message is settled (dead), so its job is done
    message.refresh_from_db()
    assert (message.status, message.attempts) == (NotificationStatus.DEAD, 3)
    assert message.last_error == "短信网关返回 503"
    assert outbox() == []
    [dead] = AuditEvent.objects.filter(action="notifications:message:dead")
    assert dead.data["attempts"] == 3 and dead.data["to"] == "138****5678"
    frozen.shift(dt.timedelta(days=1))
    assert "完成 0 个" in worker_once()  # never picked up again


def test_a_permanent_refusal_is_dead_at_once(frozen, install_transport):
    transport = install_transport(FlakyTransport(failures=99, permanent=True))
    message = queue_feedback()
    worker_once()
    message.refresh_from_db()
    assert (message.status, message.attempts, transport.calls) == (NotificationStatus.DEAD, 1, 1)
    assert job_of(message).status == JobStatus.DONE


def test_a_worker_killed_after_the_provider_accepted_is_settled_by_a_lookup_not_a_resend(frozen, killed_after_send):
    message = queue_feedback()
    [job] = job_claim("worker-1")
    with pytest.raises(WorkerKilled):
        job_run(job)
    killed_after_send()  # the next worker is healthy
    message.refresh_from_db()
    assert message.status == NotificationStatus.SENDING
    assert len(outbox()) == 1  # the provider has it

    # Within the sending lease nobody touches it: another worker may still be in the call.
    with pytest.raises(JobError, match="正在由另一任务发送"):
        notification_deliver(notification_id=message.pk)

    frozen.shift(lease() + dt.timedelta(seconds=1))  # the job's lease expires: it is reclaimed
    assert lease() > sending_lease()
    assert "完成 1 个" in worker_once()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (NotificationStatus.SENT, 1)
    assert message.provider_message_id == f"file-{message.pk}"
    assert len(outbox()) == 1  # found by its OutId, not sent again
    assert audit_actions(message) == [
        "notifications:message:queued",
        "notifications:message:uncertain",
        "notifications:message:sent",
    ]
    sent = AuditEvent.objects.get(action="notifications:message:sent")
    assert sent.data["settled_by"] == "query"


def test_without_a_provider_lookup_a_maybe_sent_message_waits_for_an_operator(frozen, killed_after_send, settings):
    settings.SMS_TRANSPORT = "console"
    message = queue_feedback()
    [job] = job_claim("worker-1")
    with pytest.raises(WorkerKilled):
        job_run(job)
    killed_after_send()

    frozen.shift(lease() + dt.timedelta(seconds=1))
    assert "完成 1 个" in worker_once()
    message.refresh_from_db()
    assert message.status == NotificationStatus.UNCERTAIN
    assert "结果不明" in message.last_error
    frozen.shift(dt.timedelta(days=1))
    assert "完成 0 个" in worker_once()  # never resent automatically

    operator = Actor.cli("tests")
    notification_retry(actor=operator, notification_id=message.pk)
    settings.SMS_TRANSPORT = "file"
    worker_once()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (NotificationStatus.SENT, 1)
    assert len(outbox()) == 1
    assert "notifications:message:requeued" in audit_actions(message)


class MaybeSentTransport:
    """Times out on the first send; ``accepted`` says whether the provider had really taken it."""

    name = "maybe"

    def __init__(self, *, accepted: bool):
        self.accepted = accepted
        self.sends = 0
        self.queries = 0
        self.file = FileTransport(__import__("django.conf").conf.settings.SMS_OUTBOX_FILE)

    def send(self, **kwargs) -> str:
        self.sends += 1
        if self.sends == 1:
            if self.accepted:
                self.file.send(**kwargs)
            raise TransportError("短信网关超时", code="timeout", uncertain=True)
        return self.file.send(**kwargs)

    def query(self, *, phone, out_id, since):
        self.queries += 1
        return self.file.query(phone=phone, out_id=out_id, since=since)


@pytest.mark.parametrize("accepted", [True, False])
def test_a_timeout_is_looked_up_with_the_provider_before_any_resend(frozen, install_transport, accepted):
    transport = install_transport(MaybeSentTransport(accepted=accepted))
    message = queue_feedback()
    assert "失败待重试 1 个" in worker_once()
    message.refresh_from_db()
    assert message.status == NotificationStatus.UNCERTAIN
    frozen.shift(backoff(1))
    assert "完成 1 个" in worker_once()
    message.refresh_from_db()
    assert message.status == NotificationStatus.SENT
    assert transport.queries == 1
    assert transport.sends == (1 if accepted else 2)  # resent only when the provider never had it
    assert len(outbox()) == 1


def test_the_sweep_settles_messages_whose_job_gave_up(frozen, install_transport, killed_after_send, settings):
    settings.SMS_MAX_ATTEMPTS = 1
    # 1. the job's final attempt died during the call: sending → uncertain
    in_flight = queue_feedback(dedupe_key="a")
    [job] = job_claim("worker-1")
    with pytest.raises(WorkerKilled):
        job_run(job)
    killed_after_send()
    frozen.shift(lease() + dt.timedelta(seconds=1))
    assert "放弃 1 个" in worker_once()  # "lease expired on the final attempt": the task never ran
    # 2. a failed message whose job is dead (reclaimed attempts used up its budget)
    failed = queue_feedback(dedupe_key="b")
    Notification.objects.filter(pk=failed.pk).update(status=NotificationStatus.FAILED, attempts=1)
    Job.objects.filter(unique_key=f"notify:{failed.pk}").update(status=JobStatus.DEAD)
    # 3. a queued message with a live job: left alone
    waiting = queue_feedback(dedupe_key="c")

    assert notification_sweep() == {"uncertain": 1, "dead": 1}
    statuses = dict(Notification.objects.values_list("pk", "status"))
    assert statuses == {
        in_flight.pk: NotificationStatus.UNCERTAIN,
        failed.pk: NotificationStatus.DEAD,
        waiting.pk: NotificationStatus.QUEUED,
    }
    assert notification_sweep() == {"uncertain": 0, "dead": 0}
    assert len(outbox()) == 1  # the in-flight one, never resent


def test_an_operator_can_only_retry_dead_or_uncertain_messages(frozen):
    message = queue_feedback()
    with pytest.raises(Exception, match="只有已放弃或结果不明"):
        notification_retry(actor=Actor.cli("tests"), notification_id=message.pk)


def test_the_console_transport_logs_a_masked_line_only(caplog):
    caplog.set_level("INFO", logger="haochaping.notifications")
    message_id = ConsoleTransport(show_body=False).send(
        phone=PHONE, body="【石龙区政务服务】验证码 123456", template_code="sms_code", out_id="7", params={}
    )
    assert message_id == "console-7"
    assert "138****5678" in caplog.text and PHONE not in caplog.text and "123456" not in caplog.text


class SlowTransport:
    name = "slow"

    def __init__(self):
        self.calls = 0
        self.lock = threading.Lock()

    def send(self, **kwargs) -> str:
        with self.lock:
            self.calls += 1
        time.sleep(0.3)
        return FileTransport(__import__("django.conf").conf.settings.SMS_OUTBOX_FILE).send(**kwargs)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_message_send_it_once(install_transport):
    transport = install_transport(SlowTransport())
    message = queue_feedback()

    def deliver() -> str:
        try:
            notification_deliver(notification_id=message.pk)
            return "ok"
        except JobError:
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: deliver(), range(2)))
    assert outcomes == ["busy", "ok"]
    assert transport.calls == 1
    assert len(outbox()) == 1
    assert Notification.objects.get(pk=message.pk).status == NotificationStatus.SENT
