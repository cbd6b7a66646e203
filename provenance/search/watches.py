"""Watched searches: when a new claim, statement or evidence document is stored,
each watched search of its team that matches it notifies its owner, in the write's
transaction (accounts.notifications.notify skips the author of the write).

Cost: one match query per watched search of the team, on new objects only (edits
do not notify). A team with very many watched searches would want this in a task.
"""

from __future__ import annotations

from typing import Any

from provenance.accounts.models import NotificationKind
from provenance.accounts.notifications import notify
from provenance.search.models import DocumentKind, SavedSearch, SearchDocument
from provenance.search.text import parse_query

WATCHED_KINDS = {DocumentKind.CLAIM, DocumentKind.STATEMENT, DocumentKind.EVIDENCE}


def tell_watchers(document: SearchDocument, *, actor: Any | None) -> None:
    from provenance.search.selectors import _matching

    if document.kind not in WATCHED_KINDS:
        return
    watched = SavedSearch.objects.watched().filter(team_id=document.team_id)
    watched = watched.select_related("owner", "team")
    for saved in watched:
        if saved.kind and saved.kind != document.kind:
            continue
        parsed = parse_query(saved.query)
        if parsed.is_empty:
            continue
        only = SearchDocument.objects.filter(pk=document.pk)
        matching = _matching(only, saved.query, parsed)
        if matching is None or not matching.exists():
            continue
        notify(
            recipients=[saved.owner],
            kind=NotificationKind.WATCH_MATCH,
            team=saved.team,
            actor=actor,
            title=f"New match for “{saved.name}”: {document.title[:120]}",
            url=document.url,
            is_sensitive=document.is_restricted,
        )
