"""Queueing: the outbox row and its job exist only if the caller's transaction commits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from haochaping.audit.models import AuditEvent
from haochaping.core.crypto import blind_index
from haochaping.jobs.models import Job, JobStatus
from haochaping.notifications.models import Channel, Notification, NotificationStatus
from haochaping.notifications.services import inbox_for, notification_mark_read, notification_queue, unread_count

from .conftest import FEEDBACK_CONTEXT, PHONE

pytestmark = pytest.mark.django_db


def queue_feedback(**kw) -> Notification:
    with transaction.atomic():
        return notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT, **kw)


def test_an_sms_queued_in_a_rolled_back_transaction_leaves_no_message_and_no_job():
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)
        raise RuntimeError("the case transition failed")
    assert not Notification.objects.exists()
    assert not Job.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="notifications:").exists()


def test_a_committed_sms_is_queued_with_one_delivery_job_and_no_send_yet(settings):
    message = queue_feedback()
    assert (message.status, message.channel, message.attempts) == (NotificationStatus.QUEUED, Channel.SMS, 0)
    assert message.recipient is None
    [job] = Job.objects.all()
    assert (job.name, job.args, job.unique_key, job.status) == (
        "notifications.deliver",
        {"notification_id": message.pk},
        f"notify:{message.pk}",
        JobStatus.QUEUED,
    )
    assert job.max_attempts == settings.SMS_MAX_ATTEMPTS
    assert not settings.SMS_OUTBOX_FILE.exists()  # nothing leaves before the worker runs


@pytest.mark.django_db(transaction=True)
def test_the_message_and_its_job_become_visible_to_the_worker_only_at_commit():
    def counts_elsewhere() -> tuple[int, int]:
        try:
            return Notification.objects.count(), Job.objects.filter(name="notifications.deliver").count()
        finally:
            connections.close_all()

    with transaction.atomic():
        notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(counts_elsewhere).result() == (0, 0)
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(counts_elsewhere).result() == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_queueing_outside_a_transaction_is_refused():
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the caller's transaction"):
        notification_queue(template="case_feedback", to_phone=PHONE, context=FEEDBACK_CONTEXT)


def test_the_phone_is_encrypted_at_rest_indexed_blind_and_never_audited():
    message = queue_feedback()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT phone, context, template_params FROM notifications_notification WHERE id = %s", [message.pk]
        )
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert PHONE not in raw
    assert raw.startswith("sm4g1$")
    assert Notification.objects.get(phone_index=blind_index("phone", PHONE)).phone == PHONE
    [event] = AuditEvent.objects.filter(action="notifications:message:queued")
    assert event.data["to"] == "138****5678"
    assert PHONE not in str(event.data)


def test_a_one_time_code_and_a_rating_link_are_encrypted_at_rest():
    # A reader of the database must not be able to use a code or rate as the citizen.
    link = "https://pj.example.gov.cn/r/Zm9vYmFyLXNpZ25lZC10b2tlbg"
    with transaction.atomic():
        code = notification_queue(template="sms_code", to_phone=PHONE, context={"code": "482913", "minutes": 5})
        invite = notification_queue(
            template="rating_invitation", to_phone=PHONE, context={"item": "食品经营许可（新办）", "url": link}
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body, context, template_params FROM notifications_notification WHERE id IN (%s, %s)",
            [code.pk, invite.pk],
        )
        columns = [value for row in cursor.fetchall() for value in row]
    assert len(columns) == 6 and all(value.startswith("sm4g1$") for value in columns)
    raw = " ".join(columns)
    assert "482913" not in raw and "Zm9vYmFy" not in raw and "食品" not in raw
    stored = Notification.objects.get(pk=invite.pk)  # the app reads them in clear
    assert link in stored.body and stored.template_params == {"item": "食品经营许可（新办）", "url": link}
    assert stored.context["url"] == link
    assert "482913" in Notification.objects.get(pk=code.pk).body


@pytest.mark.parametrize("spelling", [" 138 1234-5678 ", "+86 138-1234-5678", "008613812345678"])
def test_a_phone_number_is_normalised_before_it_is_stored(spelling):
    with transaction.atomic():
        message = notification_queue(template="sms_code", to_phone=spelling, context={"code": "1", "minutes": 5})
    assert message.phone == PHONE and message.phone_index == blind_index("phone", PHONE)


def test_a_repeated_dedupe_key_returns_the_first_message_and_queues_nothing_more():
    first = queue_feedback(dedupe_key="case:1:feedback:9")
    again = queue_feedback(dedupe_key="case:1:feedback:9")
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert Job.objects.count() == 1
    assert AuditEvent.objects.filter(action="notifications:message:queued").count() == 1
    other = queue_feedback(dedupe_key="case:1:feedback:10")
    assert other.pk != first.pk and Job.objects.count() == 2


def test_exactly_one_recipient_matching_the_template_channel(cast):
    user = cast.users["admin_a"]
    with transaction.atomic():
        with pytest.raises(ValueError, match="exactly one"):
            notification_queue(template="case_feedback", to_phone=PHONE, to_user=user, context={})
        with pytest.raises(ValueError, match="exactly one"):
            notification_queue(template="case_feedback", context={})
        with pytest.raises(ValueError, match="SMS template"):
            notification_queue(template="case_feedback", to_user=user, context={})
        with pytest.raises(ValueError, match="in-app template"):
            notification_queue(template="case_returned", to_phone=PHONE, context={})
    assert not Notification.objects.exists()


def inapp(user, number: str, **kw) -> Notification:
    with transaction.atomic():
        return notification_queue(
            template="case_extension_rejected", to_user=user, context={"number": number, "due": "2026-12-20"}, **kw
        )


def test_an_in_app_message_is_in_the_inbox_at_commit_without_a_job(cast):
    user = cast.users["admin_a"]
    message = inapp(user, "GD1")
    assert (message.status, message.provider) == (NotificationStatus.SENT, "inapp")
    assert message.sent_at is not None and message.read_at is None
    assert (message.title, message.body) == (
        "延期申请未获同意",
        "您的延期申请未获同意，工单 GD1 整改期限仍为 2026-12-20。"
        "请按期完成整改并提交整改结果，驳回理由见工单处理记录。",
    )
    assert not Job.objects.filter(name="notifications.deliver").exists()
    assert list(inbox_for(user)) == [message]
    events = AuditEvent.objects.filter(target_type="notifications.notification", target_id=str(message.pk))
    actions = list(events.values_list("action", flat=True))
    assert sorted(actions) == ["notifications:message:queued", "notifications:message:sent"]


def test_a_user_only_ever_sees_and_marks_their_own_messages(cast):
    admin_a, admin_b = cast.users["admin_a"], cast.users["admin_b"]
    mine = [inapp(admin_a, "GD1"), inapp(admin_a, "GD2")]
    theirs = inapp(admin_b, "GD3")
    assert [m.pk for m in inbox_for(admin_a)] == [mine[1].pk, mine[0].pk]  # newest first
    assert [m.pk for m in inbox_for(admin_b)] == [theirs.pk]
    assert list(inbox_for(cast.users["supervisor"])) == []

    # admin_b tries to mark admin_a's message read: nothing happens to it
    assert notification_mark_read(user=admin_b, ids=[mine[0].pk, theirs.pk]) == 1
    assert unread_count(admin_a) == 2
    assert notification_mark_read(user=admin_a, ids=[mine[0].pk]) == 1
    assert notification_mark_read(user=admin_a, ids=[mine[0].pk]) == 0  # already read
    assert [m.pk for m in inbox_for(admin_a, unread_only=True)] == [mine[1].pk]
    assert unread_count(admin_b) == 0


def test_sms_messages_never_show_in_anyones_inbox(cast):
    queue_feedback()
    assert all(not inbox_for(user).exists() for user in cast.users.values())
