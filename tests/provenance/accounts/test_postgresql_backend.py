"""provenance.postgresql: prepared per-request reads and a health check without a
round trip (the restart under gunicorn is in tests/faults). Used with FAST_IDENTITY
on only; test_identity_standard checks that the off position prepares nothing."""

import time

import pytest
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.FAST_IDENTITY,
        reason="the bespoke backend is PostgreSQL's, with FAST_IDENTITY on",
    ),
]


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_session_read_is_prepared_once_and_reused(reporter_client):
    url = reverse("provenance:claim-list")
    for _ in range(3):
        assert reporter_client.get(url).status_code == 200
    statements = [s for s in _prepared_statements() if "session_data" in s]
    assert len(statements) == 1


def test_a_healthy_idle_connection_is_usable():
    connection.ensure_connection()
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_not_usable():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            # The backend sends its goodbye (a message, then end of file) as it exits:
            # wait until it has (a busy machine may take a while), not a fixed time.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    break
                time.sleep(0.05)
    finally:
        other.close()
    # The socket turns readable when the goodbye arrives; an implementation that
    # never notices stays "usable" until the deadline and fails here.
    deadline = time.monotonic() + 30
    try:
        while connection.is_usable() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not connection.is_usable()
    finally:
        connection.close()  # a dead connection is never left to the next test
    connection.ensure_connection()
    assert connection.is_usable()
