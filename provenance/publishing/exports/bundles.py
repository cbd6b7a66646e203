"""The payload of a signed bundle: the claims, each team's audit-chain head and a
timestamp (signing.py signs it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.db.models import QuerySet
from django.utils import timezone

from provenance.audit.chain import chain_head
from provenance.claims.maps import export_geography, has_geography
from provenance.claims.models import Claim
from provenance.publishing.exports.builders import ExportUrls, iter_claim_exports
from provenance.publishing.exports.native import native_bytes
from provenance.teams.models import Team

BUNDLE_SCHEMA_VERSION = "1.0"


def bundle_payload(
    *, claims: QuerySet[Claim], public: bool, urls: ExportUrls, teams: Iterable[Team]
) -> dict[str, Any]:
    """The claims, each team's audit-chain head and a timestamp, ready to sign."""
    teams = list(teams)
    heads = []
    for team in sorted(teams, key=lambda t: t.slug):
        seq, digest = chain_head(team)
        heads.append({"team": team.slug, "seq": seq, "hash": digest})
    by_slug = {team.slug: team for team in teams}
    chunks, geo = [], {}
    for export in iter_claim_exports(claims, public=public, urls=urls):
        chunks.append(native_bytes(export))
        team = by_slug.get(export.team)
        if team is not None and has_geography(
            [s.kind for s in export.subjects],
            [e.evidence.kind for e in export.evidence],
        ):
            # The same GeoJSON as /api/v1/claims/{id}/geojson/ for this reader.
            geo[str(export.id)] = export_geography(
                team=team, export=export, public=public
            )
    lines = b",".join(chunks)
    payload = {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "kind": "provenance.bundle",
        "created_at": timezone.now(),
        "audit_heads": heads,
        "claims": orjson.Fragment(b"[" + lines + b"]"),
        # Per claim id: its places, photos, scene footprints and tracks (RFC 7946).
        "geo": geo,
    }
    # Plain JSON types only: RFC 8785 canonicalization takes no datetimes.
    return orjson.loads(native_bytes(payload))
