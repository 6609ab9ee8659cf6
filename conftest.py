"""Test-suite wiring: demo keys, the fixed cast of units and users, a signing API client."""

import pytest

from haochaping.testing import *  # noqa: F403  (fixtures)
from haochaping.testing import allow_sqlite_flush

allow_sqlite_flush()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
