"""Reads: a user's own in-app inbox; the message templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When, Window
from django.db.models.functions import Cast, Concat, RowNumber

from haochaping.core.errors import NotFound
from haochaping.notifications.defaults import DEFAULT_TEMPLATES, EXTRA_VARIABLES
from haochaping.notifications.models import Channel, MessageTemplate, Notification, NotificationStatus
from haochaping.notifications.rendering import placeholders


def inbox_for(user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own delivered in-app messages, newest first; never anyone else's."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    messages = Notification.objects.filter(recipient=user, channel=Channel.INAPP, status=NotificationStatus.SENT)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox_for(user, unread_only=True).count()


# A group's expandable list shows at most this many of its messages, newest first.
GROUP_SHOWN = 20


@dataclass
class InboxGroup:
    """One row of the inbox: a case's (a demand's, the digests') messages, or a message alone."""

    thread: str  # "" for a message that stands alone
    total: int
    unread: int
    messages: list[Notification] = field(default_factory=list)  # newest first, at most GROUP_SHOWN

    @property
    def latest(self) -> Notification:
        return self.messages[0]

    @property
    def hidden(self) -> int:
        """Messages of the group not in ``messages`` (older than the GROUP_SHOWN newest)."""
        return self.total - len(self.messages)

    @property
    def unread_ids(self) -> list[int]:
        return [m.pk for m in self.messages if m.read_at is None]


def _group_key():
    """A message's group: its thread, or the message itself ("#<id>") when it has none."""
    return Case(
        When(thread="", then=Concat(Value("#"), Cast("id", CharField()))),
        default=F("thread"),
        output_field=CharField(),
    )


def inbox_groups(user, unread_only: bool = False) -> QuerySet:
    """The user's inbox as groups, one query (to page): ``{"group", "latest_at", "latest_id",
    "total", "unread"}`` rows, the group with the newest message first. ``unread_only``: the
    groups holding an unread message (all of their messages counted). Read the messages of a
    page of groups with ``inbox_group_rows``."""
    groups = (
        inbox_for(user)
        .annotate(group=_group_key())
        .values("group")
        .annotate(
            latest_at=Max("created_at"),
            latest_id=Max("id"),
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
    )
    if unread_only:
        groups = groups.filter(unread__gt=0)
    return groups.order_by("-latest_at", "-latest_id")


def inbox_group_rows(user, groups: list[dict]) -> list[InboxGroup]:
    """The messages of a page of ``inbox_groups`` in one query: each group's newest
    ``GROUP_SHOWN``, newest first."""
    if not groups:
        return []
    keys = [g["group"] for g in groups]
    threads = [key for key in keys if not key.startswith("#")]
    singles = [int(key[1:]) for key in keys if key.startswith("#")]
    newest_first = [F("created_at").desc(), F("id").desc()]
    messages = (
        inbox_for(user)
        .filter(Q(thread__in=threads) | Q(pk__in=singles))
        .annotate(group=_group_key())
        .annotate(rank=Window(RowNumber(), partition_by=[F("group")], order_by=newest_first))
        .filter(rank__lte=GROUP_SHOWN)
        .order_by(*newest_first)
    )
    rows = {g["group"]: InboxGroup(thread="" if g["group"].startswith("#") else g["group"], total=g["total"],
                                   unread=g["unread"]) for g in groups}  # fmt: skip
    for message in messages:
        rows[message.group].messages.append(message)
    return [rows[key] for key in keys if rows[key].messages]


def template_variables(code: str) -> list[str]:
    """The variables a template may use: those its sending code fills, i.e. those of the shipped
    default (this app's templates) or, for templates other apps ship, of the stored text."""
    for default_code, _channel, title, body in DEFAULT_TEMPLATES:
        if default_code == code:
            names = placeholders(title + body)
            return names + [name for name in EXTRA_VARIABLES.get(code, []) if name not in names]
    stored = MessageTemplate.objects.filter(code=code).values_list("title", "body").first()
    return placeholders(stored[0] + stored[1]) if stored else []


def message_template_list() -> list[tuple[MessageTemplate, list[str]]]:
    """Every message template, by channel and code, with the variables it may use."""
    return [(t, template_variables(t.code)) for t in MessageTemplate.objects.order_by("channel", "code")]


def message_template_get(*, code: str) -> MessageTemplate:
    template = MessageTemplate.objects.filter(code=code).first()
    if template is None:
        raise NotFound("消息模板不存在")
    return template
