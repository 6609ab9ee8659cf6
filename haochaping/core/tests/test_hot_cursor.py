"""core.db.hot: the intake's one-row statements, with Django's exception classes."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from haochaping.core.db.hot import hot_cursor
from haochaping.organizations.models import ApiNonce

INSERT = "INSERT INTO organizations_apinonce (system_id, nonce, seen_at) VALUES (%s, %s, %s)"


def test_inside_a_transaction_it_writes_and_refuses_a_duplicate_as_django_does(cast):
    seen = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        with hot_cursor() as cursor:
            cursor.execute(INSERT, [cast.system_all.pk, "nonce-hot-1", seen])
        assert ApiNonce.objects.filter(nonce="nonce-hot-1").exists()
        with pytest.raises(IntegrityError), transaction.atomic(), hot_cursor() as cursor:
            cursor.execute(INSERT, [cast.system_all.pk, "nonce-hot-1", seen])
    assert ApiNonce.objects.filter(nonce="nonce-hot-1").count() == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's autocommit writes take the writer lock")
def test_on_sqlite_outside_a_transaction_it_is_djangos_own_cursor(transactional_db):
    cursor = hot_cursor()
    try:
        assert hasattr(cursor, "db")  # django.db.backends.utils.CursorWrapper (takes the lock)
    finally:
        cursor.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the DB-API path is SQLite's")
def test_one_cursor_is_kept_per_connection(db):
    with transaction.atomic():
        first = hot_cursor()
        assert hot_cursor() is first and not hasattr(first, "db")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_on_postgresql_it_is_djangos_own_cursor(db):
    with transaction.atomic(), hot_cursor() as cursor:
        assert hasattr(cursor, "db")
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
