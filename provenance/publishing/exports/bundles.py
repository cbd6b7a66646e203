"""The payload of a signed bundle: the claims, each team's audit-chain head and a
timestamp (signing.py signs it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from django.db.models import QuerySet
from django.utils import timezone

from provenance.audit.chain import chain_head
from provenance.claims.models import Claim
from provenance.publishing.exports.builders import ExportUrls, iter_claim_exports
from provenance.publishing.exports.native import native_bytes
from provenance.teams.models import Team

BUNDLE_SCHEMA_VERSION = "1.0"


def bundle_payload(
    *, claims: QuerySet[Claim], public: bool, urls: ExportUrls, teams: Iterable[Team]
) -> dict[str, Any]:
    """The claims, each team's audit-chain head and a timestamp, ready to sign."""
    heads = []
    for team in sorted(teams, key=lambda t: t.slug):
        seq, digest = chain_head(team)
        heads.append({"team": team.slug, "seq": seq, "hash": digest})
    lines = b",".join(
        native_bytes(e) for e in iter_claim_exports(claims, public=public, urls=urls)
    )
    payload = {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "kind": "provenance.bundle",
        "created_at": timezone.now(),
        "audit_heads": heads,
        "claims": orjson.Fragment(b"[" + lines + b"]"),
    }
    # Plain JSON types only: RFC 8785 canonicalization takes no datetimes.
    return orjson.loads(native_bytes(payload))
