"""core.db.hot: the intake's one-row statements, with Django's exception classes."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
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


def test_a_broken_transaction_is_refused_as_by_djangos_cursor(cast):
    seen = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        with hot_cursor() as cursor:
            cursor.execute(INSERT, [cast.system_all.pk, "nonce-hot-2", seen])
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False), hot_cursor() as cursor:
            cursor.execute(INSERT, [cast.system_all.pk, "nonce-hot-2", seen])
        with pytest.raises(TransactionManagementError), hot_cursor() as cursor:
            cursor.execute("SELECT 1")
        transaction.set_rollback(True)


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pg_only
def test_on_postgresql_each_statement_is_prepared_once_per_connection(db):
    sql = "SELECT %s::int + 1 AS hot_prepared_probe"
    with transaction.atomic():
        for value in (41, 1):
            with hot_cursor() as cursor:
                cursor.execute(sql, [value])
                assert cursor.fetchone() == (value + 1,)
        assert hot_cursor() is hot_cursor()
    assert sum("hot_prepared_probe" in statement for statement in _prepared_statements()) == 1
    # Django's own cursors still bind on the client and prepare nothing.
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT %s::int AS django_probe", [7])
    assert not any("django_probe" in statement for statement in _prepared_statements())


@pg_only
def test_on_postgresql_preparation_can_be_turned_off(db, settings):
    settings.PG_PREPARED_STATEMENTS = False
    with transaction.atomic(), hot_cursor() as cursor:
        assert hasattr(cursor, "db")  # django.db.backends.utils.CursorWrapper
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)


@pg_only
def test_on_postgresql_a_dead_connection_is_replaced_at_the_next_request(transactional_db):
    with hot_cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    import psycopg

    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"], user=settings_dict["USER"], host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close_if_unusable_or_obsolete()  # what Django does when a request starts
    with hot_cursor() as cursor:  # the health check finds the connection dead and reconnects
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
