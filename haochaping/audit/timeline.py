"""Timelines: the append-only "who did what, when, why" steps shown on a case or a demand page.

``TimelineEntry`` is the abstract base of ``rectification.CaseAction`` and
``outreach.DemandAction``; each adds only the foreign key to what the timeline belongs to and
names it in ``parent_field``. ``timeline_append`` is the one way to write a step, and
``actor_label`` the one way a step's author is shown. They live in ``audit`` because audit owns
"who did what" (``Actor``, ``AppendOnlyModel`` and its DB triggers, ``audit.immutability``)
and sits below both apps; the timeline is the readable companion of the audit event written
in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from haochaping.audit.models import AppendOnlyModel

if TYPE_CHECKING:
    from haochaping.audit.services import Actor

LABEL_MAX = 150


class TimelineEntry(AppendOnlyModel):
    """One step of a timeline: who did what, when, why, with which data. Never changed.

    ``action`` is a transition or an automatic mark (warned, overdue …); ``from_state`` and
    ``to_state`` are blank for steps that do not move the state. ``actor`` is the console user
    (None for a business system, a citizen or a job) and ``actor_label`` how the author reads
    on the page, kept as it was at the time.
    """

    parent_field: ClassVar[str]  # the subclass's foreign key to the case / demand

    action = models.CharField("操作", max_length=30)
    from_state = models.CharField("原状态", max_length=24, blank=True)
    to_state = models.CharField("新状态", max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=LABEL_MAX)
    occurred_at = models.DateTimeField("时间", db_index=True)
    text = models.TextField("说明", blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        abstract = True
        ordering = ["occurred_at", "id"]


def actor_label(actor: Actor, user: Any = None) -> str:
    """How a step's author reads on a timeline: "赵立新（区市场监督管理局）" for a console user
    (name and unit), else the actor's own label (a system's name, "办事群众", a job), "系统"."""
    if user is None:
        label = actor.label or "系统"
    else:
        membership = getattr(user, "membership", None)
        name = user.first_name or user.get_username()
        label = f"{name}（{membership.unit.name}）" if membership is not None else name
    return label[:LABEL_MAX]


E = TypeVar("E", bound=TimelineEntry)


def timeline_append(
    entry_model: type[E],
    parent: models.Model,
    action: str,
    *,
    actor: Actor,
    user: Any = None,
    from_state: str = "",
    to_state: str = "",
    text: str = "",
    data: dict | None = None,
    at: dt.datetime | None = None,
) -> E:
    """Append one step to ``parent``'s timeline (``entry_model`` is e.g. ``CaseAction``).

    One plain INSERT (``AppendOnlyModel.save``: ``core.db.insert``, without Django's
    update-or-insert machinery), in the caller's transaction; the caller writes the audit
    event beside it.
    """
    entry = entry_model(
        **{entry_model.parent_field: parent},
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=user,
        actor_label=actor_label(actor, user),
        occurred_at=at or timezone.now(),
        text=text,
        data=data or {},
    )
    entry.save()
    return entry
