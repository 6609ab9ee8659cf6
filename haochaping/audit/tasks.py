"""Scheduled audit work: checkpoints of the chain heads outside the database."""

import datetime as dt

from haochaping.audit.services import audit_checkpoint
from haochaping.jobs.registry import periodic


@periodic("audit.checkpoint", every=dt.timedelta(minutes=10))
def checkpoint() -> None:
    audit_checkpoint()
