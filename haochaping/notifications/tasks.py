"""Thin tasks: deliver one SMS; settle SMS rows whose job is gone."""

import datetime as dt

from haochaping.jobs.registry import periodic, task
from haochaping.notifications.services import notification_deliver, notification_sweep


@task("notifications.deliver")
def deliver(*, notification_id: int) -> None:
    notification_deliver(notification_id=notification_id)


@periodic("notifications.sweep", every=dt.timedelta(minutes=10))
def sweep() -> None:
    notification_sweep()
