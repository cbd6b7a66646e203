"""Who is asking, in one round trip: the bespoke per-request identity read.

Why it is kept (issue 13, "Standard machinery first"). Measured with bench/load.py's
realistic mode (gunicorn, 4 workers, PostgreSQL, A/B alternating 5 rounds of 10 s,
medians), Django's own mechanisms clearly miss: the realistic mix ran at 0.88 × this
read's throughput (range 0.71–1.17) with p95 1.17 × higher in all 5 rounds; a cached
page (one URL) served 45 req/s against 168 (−73 %); with psycopg's pool, 0.82 × and
47.7 against 128 req/s. Django's way a cached page costs four round trips (session,
user, memberships, the SELECT 1 health check); here it costs one prepared statement.

The off switch: FAST_IDENTITY=0 (read in settings) runs Django's own mechanisms
instead: the `db` session store (`cached_db` when the cache is Redis),
AuthenticationMiddleware, ModelBackend, Django's PostgreSQL backend with
CONN_HEALTH_CHECKS, and `memberships_of` below as one ORM query. Both positions give
the same pages, permissions, logout and expiry (tests/provenance/
test_identity_standard.py runs the same cases in both). WebSession is then unused:
sessions are Django's `django_session` rows, so flipping the switch signs everyone
out once.

With the switch on:
- `SessionStore` (SESSION_ENGINE) keeps Django's database sessions in WebSession rows
  that name their user, so the statement that reads the session also brings the
  user, their memberships and teams, and each team's audit-chain head (the version
  of cached pages, accounts/caching.py).
- `TeamAuthenticationMiddleware` and `TeamModelBackend` hand Django's
  `auth.get_user` that user (through a ContextVar): it still checks the backend is
  listed, the user active and the session hash, without reading the user again.
- The statements are written once from the models' own tables and columns (quoted
  identifiers only; every value a bound parameter), their rows turned into model
  instances with the ORM's own value converters, and prepared once per connection
  by provenance/postgresql. publishing/api/identity.py reads a key's publisher the
  same way (it lives there: teams must not import publishing).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from provenance.accounts.models import WebSession
from provenance.audit.models import AuditChainHead
from provenance.teams.models import Membership, Team
from provenance.teams.rules import remember_memberships

# Where the request user's memberships are kept (a fresh user object per request).
MEMBERSHIPS_ATTRIBUTE = "team_memberships"


def memberships_of(user: Any) -> list[Membership]:
    """The user's memberships with their teams, by team name, each carrying
    `audit_seq`, its team's audit-chain head as the request began (the version of
    cached pages, accounts/caching.py); kept on the user object.

    Both positions of FAST_IDENTITY: on, the session's statement has attached them
    already; otherwise one query (raw with the switch on, the ORM's with it off)."""
    memberships = getattr(user, MEMBERSHIPS_ATTRIBUTE, None)
    if memberships is None:
        if settings.FAST_IDENTITY:
            loaded = load_user(user.pk)
            memberships = getattr(loaded, MEMBERSHIPS_ATTRIBUTE, [])
        else:
            memberships = _memberships_by_orm(user)
        setattr(user, MEMBERSHIPS_ATTRIBUTE, memberships)
        remember_memberships(user, memberships)
    return memberships


def _memberships_by_orm(user: Any) -> list[Membership]:
    head = AuditChainHead.objects.filter(team=OuterRef("team_id")).values("seq")
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("team")
        .annotate(audit_seq=Coalesce(Subquery(head[:1]), 0))
        .order_by("team__name", "team_id")
    )
    for membership in memberships:
        membership.user = user
    return memberships


# --- FAST_IDENTITY on: the raw statements ---------------------------------------


def table(model: type[Model]) -> str:
    """The model's table, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def column(alias: str, model: type[Model], field: str) -> str:
    """`alias."column"` of the model's field (or "pk")."""
    meta = model._meta
    name = meta.pk.column if field == "pk" else meta.get_field(field).column
    return f"{alias}.{connection.ops.quote_name(name)}"


def all_columns(alias: str, model: type[Model]) -> str:
    """Every concrete column of the model, in field order, as `instance` reads them."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def _user_with_teams(*, source: str, where: str, extra: str = "") -> str:
    """SELECT the user (alias u) from `source`, one row per membership with its
    team and that team's audit-chain head."""
    user = get_user_model()
    return (
        f"SELECT {all_columns('u', user)}, "  # noqa: S608
        f"{column('m', Membership, 'id')}, {column('m', Membership, 'role')}, "
        f"{column('t', Team, 'id')}, {column('t', Team, 'name')}, "
        f"{column('t', Team, 'slug')}, "
        f"{column('t', Team, 'requires_second_factor')}, "
        f"COALESCE({column('h', AuditChainHead, 'seq')}, 0){extra} "
        f"FROM {source} "
        f"LEFT JOIN {table(Membership)} m "
        f"ON {column('m', Membership, 'user')} = {column('u', user, 'pk')} "
        f"LEFT JOIN {table(Team)} t "
        f"ON {column('t', Team, 'id')} = {column('m', Membership, 'team')} "
        f"LEFT JOIN {table(AuditChainHead)} h "
        f"ON {column('h', AuditChainHead, 'team')} = {column('t', Team, 'id')} "
        f"WHERE {where} "
        f"ORDER BY {column('t', Team, 'name')}, {column('t', Team, 'id')}"
    )


@cache
def _user_sql() -> str:
    user = get_user_model()
    return _user_with_teams(
        source=f"{table(user)} u", where=f"{column('u', user, 'pk')} = %s"
    )


@cache
def _session_sql() -> str:
    user = get_user_model()
    return _user_with_teams(
        source=(
            f"{table(WebSession)} s LEFT JOIN {table(user)} u "
            f"ON {column('u', user, 'pk')} = {column('s', WebSession, 'user')}"
        ),
        where=(
            f"{column('s', WebSession, 'session_key')} = %s "
            f"AND {column('s', WebSession, 'expire_date')} > %s"
        ),
        extra=f", {column('s', WebSession, 'session_data')}",
    )


@cache
def _row_reader(model: type[Model]) -> tuple[list[str], list[tuple[int, Any, list]]]:
    """The model's attribute names in column order, and per column the value
    converters the ORM would apply (SQLite's datetimes and booleans, say)."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col)
        found += col.get_db_converters(connection)
        if found:
            converters.append((index, col, found))
    return [field.attname for field in fields], converters


def instance(model: type[Model], values: list[Any]) -> Any:
    """A model instance from the row values `all_columns` selected, converted as
    the ORM converts them."""
    names, converters = _row_reader(model)
    for index, col, functions in converters:
        for function in functions:
            values[index] = function(values[index], col, connection)
    return model.from_db(DEFAULT_DB_ALIAS, names, values)


def fetch(sql: str, params: list[Any]) -> list[tuple]:
    """All rows of one statement, prepared once per connection where the backend
    can (provenance/postgresql)."""
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
    user = instance(model, list(rows[0][:width]))
    memberships = []
    for row in rows:
        membership_pk, role, team_pk, team_name, team_slug, asks_factor, seq = row[
            width : width + 7
        ]
        if membership_pk is None:
            continue
        team = Team.from_db(
            DEFAULT_DB_ALIAS,
            ["id", "name", "slug", "requires_second_factor"],
            [team_pk, team_name, team_slug, bool(asks_factor)],
        )
        membership = Membership.from_db(
            DEFAULT_DB_ALIAS,
            ["id", "user_id", "team_id", "role"],
            [membership_pk, user.pk, team_pk, role],
        )
        Membership.team.field.set_cached_value(membership, team)
        Membership.user.field.set_cached_value(membership, user)
        # The team's change counter as this request began (accounts/caching.py).
        membership.audit_seq = seq
        memberships.append(membership)
    setattr(user, MEMBERSHIPS_ATTRIBUTE, memberships)
    remember_memberships(user, memberships)
    return user


def load_session(session_key: str | None) -> tuple[WebSession | None, Any]:
    """The unexpired session with this key and its signed-in user (with their
    teams, as `load_user` gives them) or None — one query."""
    if not session_key:
        return None, None
    rows = fetch(_session_sql(), [session_key, timezone.now()])
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
    return _user_from(fetch(_user_sql(), [pk]))


# --- FAST_IDENTITY on: Django's pieces around the statements ----------------------


class SessionStore(db.SessionStore):
    """Django's database session store (SESSION_ENGINE "provenance.accounts.identity"),
    over WebSession rows that name their user; everything but the row's model and
    its read is Django's own."""

    # The user the row named when it was read (with their teams), or None.
    signed_in_user: Any = None

    @classmethod
    def get_model_class(cls) -> type[WebSession]:
        return WebSession

    def create_model_instance(self, data: dict[str, Any]) -> WebSession:
        session = super().create_model_instance(data)
        try:
            session.user_id = get_user_model()._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            session.user_id = None
        return session

    def _get_session_from_db(self) -> WebSession | None:
        session, self.signed_in_user = load_session(self.session_key)
        if session is None:
            self._session_key = None
        return session


# The request's session store while Django's auth.get_user runs for it: its row
# already brought the user, whom the backend then need not read again.
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


class TeamAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware; the user comes with the session's row
    (`request_user`) instead of a query of its own."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: request_user(request))
