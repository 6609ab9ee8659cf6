import pytest

from haochaping.console.tests.factories import build_world


@pytest.fixture
def world(cast):
    return build_world(cast)
