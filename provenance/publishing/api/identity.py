"""Which publisher a key names, with the audit heads of the teams it may read.

Part of the bespoke per-request identity read (provenance/accounts/identity.py gives
the reason, the load figures and the switch): with FAST_IDENTITY on (the default) one
raw statement, prepared once per connection, brings the publisher and its teams'
heads; with FAST_IDENTITY=0 the ORM reads them (the publisher, then its teams
annotated with their heads). It lives here, not beside the session read, because
teams must not import publishing.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from provenance.accounts.identity import all_columns, column, fetch, instance, table
from provenance.audit.models import AuditChainHead
from provenance.publishing.models import Publisher


def load_publisher(key_prefix: str, *, at: datetime | None = None) -> Publisher | None:
    """The usable publisher with this key prefix, with `team_heads` ({team id:
    audit-chain seq} of the teams it may read, the version of its cached lists)."""
    if settings.FAST_IDENTITY:
        return _publisher_by_statement(key_prefix, at or timezone.now())
    return _publisher_by_orm(key_prefix, at or timezone.now())


def _publisher_by_orm(key_prefix: str, at: datetime) -> Publisher | None:
    publisher = Publisher.objects.filter(key_prefix=key_prefix).first()
    if publisher is None or not publisher.is_usable(at):
        return None
    head = AuditChainHead.objects.filter(team=OuterRef("pk")).values("seq")[:1]
    publisher.team_heads = dict(
        publisher.teams.annotate(seq=Coalesce(Subquery(head), 0)).values_list(
            "pk", "seq"
        )
    )
    return publisher


@cache
def _publisher_sql() -> str:
    through = Publisher.teams.through
    publisher_column = Publisher.teams.field.m2m_column_name()
    team_column = Publisher.teams.field.m2m_reverse_name()
    quote = connection.ops.quote_name
    return (
        f"SELECT {all_columns('p', Publisher)}, "  # noqa: S608
        f"g.{quote(team_column)}, COALESCE({column('h', AuditChainHead, 'seq')}, 0) "
        f"FROM {table(Publisher)} p "
        f"LEFT JOIN {table(through)} g "
        f"ON g.{quote(publisher_column)} = {column('p', Publisher, 'id')} "
        f"LEFT JOIN {table(AuditChainHead)} h "
        f"ON {column('h', AuditChainHead, 'team')} = g.{quote(team_column)} "
        f"WHERE {column('p', Publisher, 'key_prefix')} = %s"
    )


def _publisher_by_statement(key_prefix: str, at: datetime) -> Publisher | None:
    rows = fetch(_publisher_sql(), [key_prefix])
    if not rows:
        return None
    width = len(Publisher._meta.concrete_fields)
    publisher = instance(Publisher, list(rows[0][:width]))
    if not publisher.is_usable(at):
        return None
    publisher.team_heads = {
        team: seq for team, seq in (row[width:] for row in rows) if team is not None
    }
    return publisher
