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

from datetime import datetime
from functools import cache

from django.db import connection
from django.utils import timezone

from provenance.audit.models import AuditChainHead
from provenance.publishing.models import Publisher
from provenance.teams.identity import _all_columns, _column, _fetch, _instance, _table


@cache
def _publisher_sql() -> str:
    through = Publisher.teams.through
    publisher_column = Publisher.teams.field.m2m_column_name()
    team_column = Publisher.teams.field.m2m_reverse_name()
    quote = connection.ops.quote_name
    return (
        f"SELECT {_all_columns('p', Publisher)}, "  # noqa: S608
        f"g.{quote(team_column)}, COALESCE({_column('h', AuditChainHead, 'seq')}, 0) "
        f"FROM {_table(Publisher)} p "
        f"LEFT JOIN {_table(through)} g "
        f"ON g.{quote(publisher_column)} = {_column('p', Publisher, 'id')} "
        f"LEFT JOIN {_table(AuditChainHead)} h "
        f"ON {_column('h', AuditChainHead, 'team')} = g.{quote(team_column)} "
        f"WHERE {_column('p', Publisher, 'key_prefix')} = %s"
    )


def load_publisher(key_prefix: str, *, at: datetime | None = None) -> Publisher | None:
    """The usable publisher with this key prefix, with `team_heads` ({team id:
    audit-chain seq} of the teams it may read) — one query."""
    rows = _fetch(_publisher_sql(), [key_prefix])
    if not rows:
        return None
    width = len(Publisher._meta.concrete_fields)
    publisher = _instance(Publisher, list(rows[0][:width]))
    if not publisher.is_usable(at or timezone.now()):
        return None
    publisher.team_heads = {
        team: seq for team, seq in (row[width:] for row in rows) if team is not None
    }
    return publisher
