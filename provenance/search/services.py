"""Saved searches: the only writers of SavedSearch rows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from provenance.audit.chain import audit_record
from provenance.search.models import SavedSearch
from provenance.search.text import parse_query
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member


@transaction.atomic
def saved_search_create(
    *,
    team: Team,
    actor: Any,
    name: str,
    query: str,
    kind: str = "",
    is_watched: bool = False,
) -> SavedSearch:
    """Save the actor's search under a name (unique per owner and team); audited."""
    ensure_member(user=actor, team=team)
    if parse_query(query).is_empty:
        raise ValidationError({"query": "Nothing to search for."})
    saved = SavedSearch(
        team=team,
        owner=actor,
        name=name.strip(),
        query=query.strip(),
        kind=kind,
        is_watched=is_watched,
    )
    saved.full_clean()
    saved.save()
    audit_record(
        team=team,
        actor=actor,
        action="saved_search.create",
        obj=saved,
        payload={"name": saved.name, "query": saved.query, "watched": is_watched},
    )
    return saved


def _own(saved_search_id: int, actor: Any) -> SavedSearch:
    """The actor's own saved search, locked; anyone else's is not found."""
    saved = (
        SavedSearch.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=saved_search_id, owner_id=getattr(actor, "pk", None))
        .first()
    )
    if saved is None:
        raise PermissionDenied("No such saved search of yours.")
    ensure_member(user=actor, team=saved.team)
    return saved


@transaction.atomic
def saved_search_watch(
    *, saved_search_id: int, actor: Any, is_watched: bool
) -> SavedSearch:
    """Watch a saved search (be notified of new matches) or stop; owner only."""
    saved = _own(saved_search_id, actor)
    if saved.is_watched != is_watched:
        saved.is_watched = is_watched
        saved.save(update_fields=["is_watched"])
        audit_record(
            team=saved.team,
            actor=actor,
            action="saved_search.watch" if is_watched else "saved_search.unwatch",
            obj=saved,
        )
    return saved


@transaction.atomic
def saved_search_delete(*, saved_search_id: int, actor: Any) -> None:
    saved = _own(saved_search_id, actor)
    audit_record(
        team=saved.team,
        actor=actor,
        action="saved_search.delete",
        obj=saved,
        payload={"name": saved.name},
    )
    saved.delete()
