"""Who is asking: the session with its user and their teams, or a key's publisher.

Every signed-in request needs its session, the user, the membership the user works
in and that team's audit-chain head (the version of cached pages, caching.py); every
publisher call needs the key's publisher and the heads of the teams it reads.
Through the ORM that was four compiled queries per page, most of what a cached page
cost. Here each is one raw statement, written once from the models' own tables and
columns (quoted identifiers only; every value is a bound parameter), its rows
turned into model instances with the ORM's own value converters.

The session row names its user (WebSession.user), so the statement that reads the
session also brings the user and their teams; Django's `auth.get_user` then checks
that user as usual (backend listed, active, session hash) without reading it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from provenance.audit.models import AuditChainHead
from provenance.teams.models import Membership, Team, WebSession

MEMBERSHIPS_ATTRIBUTE = "team_memberships"


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(alias: str, model: type[Model], field: str) -> str:
    meta = model._meta
    column = meta.pk.column if field == "pk" else meta.get_field(field).column
    return f"{alias}.{connection.ops.quote_name(column)}"


def _all_columns(alias: str, model: type[Model]) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _user_with_teams(*, source: str, where: str, extra: str = "") -> str:
    """SELECT the user (alias u) from `source`, one row per membership with its
    team and that team's audit-chain head."""
    user = get_user_model()
    return (
        f"SELECT {_all_columns('u', user)}, "  # noqa: S608
        f"{_column('m', Membership, 'id')}, {_column('m', Membership, 'role')}, "
        f"{_column('t', Team, 'id')}, {_column('t', Team, 'name')}, "
        f"{_column('t', Team, 'slug')}, "
        f"COALESCE({_column('h', AuditChainHead, 'seq')}, 0){extra} "
        f"FROM {source} "
        f"LEFT JOIN {_table(Membership)} m "
        f"ON {_column('m', Membership, 'user')} = {_column('u', user, 'pk')} "
        f"LEFT JOIN {_table(Team)} t "
        f"ON {_column('t', Team, 'id')} = {_column('m', Membership, 'team')} "
        f"LEFT JOIN {_table(AuditChainHead)} h "
        f"ON {_column('h', AuditChainHead, 'team')} = {_column('t', Team, 'id')} "
        f"WHERE {where} "
        f"ORDER BY {_column('t', Team, 'name')}, {_column('t', Team, 'id')}"
    )


@cache
def _user_sql() -> str:
    user = get_user_model()
    return _user_with_teams(
        source=f"{_table(user)} u", where=f"{_column('u', user, 'pk')} = %s"
    )


@cache
def _session_sql() -> str:
    user = get_user_model()
    return _user_with_teams(
        source=(
            f"{_table(WebSession)} s LEFT JOIN {_table(user)} u "
            f"ON {_column('u', user, 'pk')} = {_column('s', WebSession, 'user')}"
        ),
        where=(
            f"{_column('s', WebSession, 'session_key')} = %s "
            f"AND {_column('s', WebSession, 'expire_date')} > %s"
        ),
        extra=f", {_column('s', WebSession, 'session_data')}",
    )


@cache
def _row_reader(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list]]]:
    """The model's attribute names in column order, and per column the value
    converters the ORM would apply (SQLite's datetimes and booleans, say)."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column)
        found += column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return [field.attname for field in fields], converters


def _instance(model: type[Model], values: list[Any]) -> Any:
    names, converters = _row_reader(model)
    for index, column, functions in converters:
        for function in functions:
            values[index] = function(values[index], column, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    # Planned once per connection where the backend can (provenance/postgresql).
    cursor = getattr(connection, "prepared_cursor", connection.cursor)()
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _user_from(rows: list[tuple]) -> Any:
    """The user of rows from `_user_with_teams`, with `team_memberships`; None if
    the rows name none."""
    model = get_user_model()
    width = len(model._meta.concrete_fields)
    pk_index = model._meta.concrete_fields.index(model._meta.pk)
    if not rows or rows[0][pk_index] is None:
        return None
    user = _instance(model, list(rows[0][:width]))
    memberships = []
    for row in rows:
        membership_pk, role, team_pk, team_name, team_slug, seq = row[width : width + 6]
        if membership_pk is None:
            continue
        team = Team.from_db(
            DEFAULT_DB_ALIAS, ["id", "name", "slug"], [team_pk, team_name, team_slug]
        )
        membership = Membership.from_db(
            DEFAULT_DB_ALIAS,
            ["id", "user_id", "team_id", "role"],
            [membership_pk, user.pk, team_pk, role],
        )
        Membership.team.field.set_cached_value(membership, team)
        Membership.user.field.set_cached_value(membership, user)
        # The team's change counter as this request began (caching.py).
        membership.audit_seq = seq
        memberships.append(membership)
    setattr(user, MEMBERSHIPS_ATTRIBUTE, memberships)
    return user


def load_session(session_key: str | None) -> tuple[WebSession | None, Any]:
    """The unexpired session with this key and its signed-in user (with their
    teams, as `load_user` gives them) or None — one query."""
    if not session_key:
        return None, None
    rows = _fetch(_session_sql(), [session_key, timezone.now()])
    if not rows:
        return None, None
    user = _user_from(rows)
    session = WebSession(
        session_key=session_key,
        session_data=rows[0][-1],
        user_id=user.pk if user else None,
    )
    return session, user


def load_user(user_id: object) -> Any:
    """The user, with their memberships (team and audit-chain head attached) in
    `user.team_memberships`, ordered by team name — one query."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    return _user_from(_fetch(_user_sql(), [pk]))


def memberships_of(user: Any) -> list[Membership]:
    """The user's memberships as `load_user` attaches them (loaded if not yet)."""
    memberships = getattr(user, MEMBERSHIPS_ATTRIBUTE, None)
    if memberships is None:
        loaded = load_user(user.pk)
        memberships = getattr(loaded, MEMBERSHIPS_ATTRIBUTE, [])
        setattr(user, MEMBERSHIPS_ATTRIBUTE, memberships)
    return memberships


# The request's session store while Django's auth.get_user runs for it: its row
# already brought the user (sessions.py), whom the backend then need not read again.
_session_store: ContextVar[Any] = ContextVar("session_store", default=None)


@contextmanager
def _users_from(store: Any) -> Iterator[None]:
    token = _session_store.set(store)
    try:
        yield
    finally:
        _session_store.reset(token)


def _session_user(user_id: object) -> Any:
    user = getattr(_session_store.get(), "signed_in_user", None)
    if user is None:
        return None
    try:
        same = user.pk == user._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    return user if same else None


class TeamModelBackend(ModelBackend):
    """Django's ModelBackend, but a session's user arrives with their teams."""

    def get_user(self, user_id: object) -> Any:
        user = _session_user(user_id) or load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def request_user(request: HttpRequest) -> Any:
    """Django's `auth.get_user` for this request (once), taking the user the
    session row brought when it is the one the session names."""
    if not hasattr(request, "_cached_user"):
        with _users_from(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user
