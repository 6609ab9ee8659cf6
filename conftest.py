"""Test-suite wiring: demo keys, the fixed cast of units and users, a signing API client."""

import pytest

from haochaping.testing import *  # noqa: F403  (fixtures)
from haochaping.testing import allow_test_flush
from haochaping.testing_world import world  # noqa: F401  (fixture: the shared scenario of units A and B)

allow_test_flush()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Files a test writes (attachments, audit checkpoints, demo SMS) go to its own temp folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.jsonl")
    settings.SMS_OUTBOX_FILE = tmp_path / "sms-outbox.jsonl"


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches (business systems, active indicator set) start empty in every test."""
    from haochaping.evaluations.services import _forget_active_set
    from haochaping.organizations.api_auth import forget_cached_systems

    forget_cached_systems()
    _forget_active_set()
    yield
