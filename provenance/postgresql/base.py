"""Django's PostgreSQL backend with two changes, both for the read every request
makes (provenance/accounts/identity.py, which says why it is kept and how
FAST_IDENTITY=0 turns it off; settings then name Django's own backend):

- `prepared_cursor()`: a cursor whose statements the server parses and plans once
  per connection (server-side binding, prepared on first use). Planning the
  session-user-teams join cost more than running it. Behind a pooler that
  cannot keep prepared statements, run with FAST_IDENTITY=0.
- `client_cursor()`: one that never prepares. With DB_SERVER_SIDE_BINDING (the
  default; settings.py) Django's own cursors bind on the server and psycopg
  prepares a statement on its 6th run, after which PostgreSQL may keep a generic
  plan; the search planner's EXPLAIN and the rows it plans for must be planned
  with their values every time, so search.pg runs them through this cursor.
- `is_usable()`, the per-request health check, looks at the socket instead of
  sending SELECT 1: a server that restarted or ended the session has closed the
  connection, so the socket reads as ready (an error message, then end of file)
  and libpq then reports it; a healthy idle connection has nothing to read.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from psycopg.pq import ConnStatus, Format


class PreparingCursor(base.ServerBindingCursor):
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        return super().execute(query, params, **{**kwargs, "prepare": True})


class DatabaseOperations(base.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:
        # Only when queries are logged (DEBUG, tests): a prepared execution keeps
        # no query text, so show it as Django does for server-side binding.
        if isinstance(cursor, PreparingCursor):
            return self.compose_sql(sql, params)
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        # Django sets None (no statement is ever prepared). Any number lets a
        # PreparingCursor prepare; client-binding cursors never do.
        params["prepare_threshold"] = 5
        return params

    def prepared_cursor(self) -> CursorWrapper:
        return self._cursor_of(PreparingCursor)

    def client_cursor(self) -> CursorWrapper:
        """A cursor that binds on the client and so never prepares, whatever
        DB_SERVER_SIDE_BINDING says: for statements whose plan must see their
        values each time (the search planner's EXPLAIN estimates and the rows it
        plans for; a generic plan would estimate without them)."""
        return self._cursor_of(base.Cursor)

    def _cursor_of(self, cursor_class: type) -> CursorWrapper:
        # What BaseDatabaseWrapper._cursor and create_cursor do, with our class.
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = cursor_class(self.connection)
            adapters = self.connection.adapters
            loader = adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        pgconn = connection.pgconn
        if pgconn.status != ConnStatus.OK:
            return False
        poller = select.poll()  # not select(): descriptors above 1023 happen
        poller.register(pgconn.socket, select.POLLIN)
        # A notice leaves nothing more to read once consumed; a server that went
        # away sent its last message and then end of file, which keeps the socket
        # readable until libpq reads it and reports the connection lost.
        for _ in range(8):
            if not poller.poll(0):
                return pgconn.status == ConnStatus.OK
            try:
                pgconn.consume_input()
            except psycopg.OperationalError:
                return False
        return False
