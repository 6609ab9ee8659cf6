import pytest

from haochaping.outreach.services.demands import category_ensure_default


@pytest.fixture(autouse=True)
def _categories(db):
    """The shipped category tree (a transactional test elsewhere may have flushed the migration's rows)."""
    category_ensure_default()
