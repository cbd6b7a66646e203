"""A database migrated at the previous release upgrades with `migrate`: every row
keeps its values, 0006 backfills `public_content_at`, and the audit chain the old
code wrote still verifies and takes new events (issue 13).

The test rewinds the test database to the previous release's leaves (main at
bf869a6), fills it through the historical models of that migration state the way
that release's services wrote, then runs `migrate`. It imports no project code but
the claim service used at the end, so moving modules around does not touch it. It
always migrates to the newest leaves, so a migration appended later is covered too;
that needs every newer migration to be reversible (a RunPython with a `noop`
reverse is). Tables left empty here (sessions, throttle counters) may be dropped
by later migrations without breaking it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
import rfc8785
from django.apps import apps as current_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The leaves of the previous release.
OLD_LEAVES = [
    ("provenance", "0005_publisher_claim_url_template"),
    ("evidence", "0003_aisposition_no_fk_constraint"),
]
DATA_APPS = ("auth", "provenance", "evidence")
T0 = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)

STATUS_AFTER = {
    "submit": "in_review",
    "approve": "approved",
    "publish": "published",
    "correct": "published",
    "retract": "retracted",
}
DECISION_LABEL = {
    "submit": "Submit for review",
    "approve": "Approve",
    "publish": "Publish",
    "correct": "Correct",
    "retract": "Retract",
}
OUTBOX_EVENTS = {
    "publish": "claim.published",
    "correct": "claim.corrected",
    "retract": "claim.retracted",
}


def _audit_value(value: Any) -> Any:
    """The old services' JSON form of a field value (services._audit_value)."""
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class OldRelease:
    """Writes rows as the services at the previous release did, through the
    historical models of its migration state: same columns, history rows, Review
    rows, outbox events and audit events.

    The chain hash is restated here, not imported from provenance.audit: the rows
    must carry the bytes the *old* code wrote (SHA-256 over the previous hash, a
    newline and the RFC 8785 bytes of the event), so a change to the current
    hashing that would break chains already stored fails this test instead of
    being mirrored by it.
    """

    def __init__(self, apps: Any) -> None:
        self.apps = apps
        self.ticks = 0

    def model(self, label: str) -> Any:
        return self.apps.get_model(label)

    def tick(self) -> datetime:
        # Distinct times with microseconds: the chain hashes them to the microsecond.
        self.ticks += 1
        return T0 + timedelta(minutes=37 * self.ticks, microseconds=1001 * self.ticks)

    def audit(
        self,
        *,
        team: Any,
        actor: Any,
        action: str,
        obj: Any,
        payload: dict,
        at: datetime,
    ) -> None:
        head, _ = self.model("provenance.AuditChainHead").objects.get_or_create(
            team=team
        )
        label = actor.username if actor is not None else "system"
        body = {
            "team": team.pk,
            "seq": head.seq + 1,
            "actor": label,
            "action": action,
            "object_type": obj._meta.label_lower,
            "object_id": str(obj.pk),
            "payload": payload,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "prev_hash": head.hash,
        }
        canonical = rfc8785.dumps(body)
        digest = hashlib.sha256(
            head.hash.encode("ascii") + b"\n" + canonical
        ).hexdigest()
        self.model("provenance.AuditEvent").objects.create(
            team=team,
            seq=body["seq"],
            actor=actor,
            actor_label=label,
            action=action,
            object_type=body["object_type"],
            object_id=body["object_id"],
            payload=payload,
            at=at,
            prev_hash=head.hash,
            hash=digest,
            canonical=canonical,
        )
        head.seq, head.hash = body["seq"], digest
        head.save()

    def history(
        self, obj: Any, *, kind: str, at: datetime, by: Any, reason: Any
    ) -> None:
        """The simple-history row a save wrote: a copy of the row's columns."""
        historical = self.model(
            f"{obj._meta.app_label}.Historical{obj.__class__.__name__}"
        )
        row = historical.objects.create(
            **{f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields},
            history_date=at,
            history_type=kind,
            history_user=by,
            history_change_reason=reason,
        )
        if obj._meta.model_name != "claim":
            return
        # And a copy of each m2m link row, naming the history row.
        for field, target in (("subjects", "entity_id"), ("tags", "tag_id")):
            through = getattr(obj, field).through
            copies = self.model(f"provenance.HistoricalClaim_{field}").objects
            for link in through.objects.filter(claim=obj).order_by("pk"):
                copies.create(
                    id=link.pk,
                    history=row,
                    claim_id=obj.pk,
                    **{target: getattr(link, target)},
                )

    def user(self, username: str, name: str) -> Any:
        first, last = name.split(" ")
        return self.model("auth.User").objects.create(
            username=username,
            password=make_password(f"{username}-old-release"),
            first_name=first,
            last_name=last,
            email=f"{username}@newsroom.example",
            date_joined=self.tick(),
        )

    def entity(self, *, team: Any, actor: Any, kind: str, name: str, **fields) -> Any:
        at = self.tick()
        aliases = fields.pop("aliases", [])
        entity = self.model("provenance.Entity").objects.create(
            team=team,
            kind=kind,
            name=name,
            slug=name.lower().replace(" ", "-"),
            aliases=aliases,
            aliases_text="\n".join(aliases),
            created_by=actor,
            created_at=at,
            updated_at=at,
            **fields,
        )
        self.history(entity, kind="+", at=at, by=actor, reason=None)
        self.audit(
            team=team,
            actor=actor,
            action="entity.create",
            obj=entity,
            payload={"kind": kind, "name": name},
            at=at,
        )
        return entity

    def evidence(self, *, team: Any, actor: Any, kind: str, title: str, **fields):
        at = self.tick()
        item = self.model("evidence.EvidenceItem").objects.create(
            team=team,
            kind=kind,
            title=title,
            added_by=actor,
            created_at=at,
            updated_at=at,
            **fields,
        )
        custody = self.model("evidence.CustodyEvent").objects
        if item.obtained_from:
            custody.create(
                item=item,
                action="obtained",
                actor=actor,
                party=item.obtained_from,
                at=item.obtained_at,
            )
        custody.create(
            item=item,
            action="uploaded",
            actor=actor,
            detail={"original_filename": item.original_filename} if item.file else {},
            at=at,
        )
        self.audit(
            team=team,
            actor=actor,
            action="evidence.add",
            obj=item,
            payload={
                "kind": kind,
                "title": title,
                "sha256": item.sha256,
                "is_restricted": item.is_restricted,
            },
            at=at,
        )
        return item

    def claim(
        self,
        *,
        team: Any,
        author: Any,
        slug: str,
        text: str,
        subjects=(),
        tags=(),
        **fields,
    ) -> Any:
        at = self.tick()
        claim = self.model("provenance.Claim").objects.create(
            team=team,
            text=text,
            slug=slug,
            author=author,
            last_edited_by=author,
            created_at=at,
            updated_at=at,
            **fields,
        )
        self.history(claim, kind="+", at=at, by=author, reason=None)
        claim.subjects.set(subjects)
        claim.tags.set(tags)
        self.audit(
            team=team,
            actor=author,
            action="claim.create",
            obj=claim,
            payload={
                "text": text,
                **{name: _audit_value(value) for name, value in fields.items()},
                "subjects": [s.pk for s in subjects],
            },
            at=at,
        )
        return claim

    def _touch(self, claim: Any, at: datetime) -> None:
        # Attach and assess bumped updated_at with a queryset update: no history row.
        claim.updated_at = max(at, claim.updated_at)
        self.model("provenance.Claim").objects.filter(pk=claim.pk).update(
            updated_at=claim.updated_at
        )

    def attach(self, claim: Any, item: Any, *, actor: Any, relation: str, **extra):
        at = self.tick()
        stance, note = extra.get("stance", ""), extra.get("note", "")
        self.model("provenance.ClaimEvidence").objects.create(
            claim=claim,
            item=item,
            relation=relation,
            stance=stance,
            note=note,
            linked_by=actor,
            linked_at=at,
        )
        self._touch(claim, at)
        self.audit(
            team=claim.team,
            actor=actor,
            action="claim.evidence_attach",
            obj=claim,
            payload={
                "item": item.pk,
                "relation": relation,
                "stance": stance,
                "note": note,
            },
            at=at,
        )

    def assess(
        self, claim: Any, *, actor: Any, level: str, rationale: str, evidence=(), **kw
    ) -> Any:
        at = self.tick()
        supersedes = kw.get("supersedes")
        assessment = self.model("provenance.ConfidenceAssessment").objects.create(
            claim=claim,
            level=level,
            rationale=rationale,
            supersedes=supersedes,
            assessed_by=actor,
            recorded_at=at,
            effective_at=kw.get("effective_at", at),
        )
        assessment.evidence.set(evidence)
        self._touch(claim, at)
        self.audit(
            team=claim.team,
            actor=actor,
            action="claim.assess",
            obj=claim,
            payload={
                "assessment": assessment.pk,
                "level": level,
                "rationale": rationale,
                "evidence": sorted(item.pk for item in evidence),
                "effective_at": assessment.effective_at.isoformat(),
                "supersedes": supersedes.pk if supersedes else None,
            },
            at=at,
        )
        return assessment

    def estimate(self, claim: Any, *, actor: Any, amount: Decimal, **fields) -> None:
        at = self.tick()
        estimate = self.model("provenance.QuantityEstimate").objects.create(
            claim=claim, amount=amount, recorded_by=actor, recorded_at=at, **fields
        )
        self._touch(claim, at)
        self.audit(
            team=claim.team,
            actor=actor,
            action="claim.quantity_estimate",
            obj=claim,
            payload={
                "estimate": estimate.pk,
                "amount": _audit_value(amount),
                "unit": estimate.unit,
                "bound": estimate.bound,
                "source": estimate.source_label,
                "is_current": estimate.is_current,
            },
            at=at,
        )

    def decide(self, claim: Any, decision: str, *, actor: Any, comment: str = ""):
        """One step of the old claim_transition; returns its time."""
        at = self.tick()
        from_status, to_status = claim.status, STATUS_AFTER[decision]
        if decision == "publish":
            claim.published_at = at
        elif decision == "correct":
            claim.correction_note = comment
        elif decision == "retract":
            claim.retraction_reason = comment
        review = self.model("provenance.Review").objects.create(
            claim=claim,
            decision=decision,
            from_status=from_status,
            to_status=to_status,
            comment=comment,
            by=actor,
            at=at,
        )
        claim.status = to_status
        claim.version += 1
        claim.updated_at = max(at, claim.updated_at)
        claim.save()
        reason = f"{DECISION_LABEL[decision]}: {comment}"[:100]
        self.history(claim, kind="~", at=at, by=actor, reason=reason)
        self.audit(
            team=claim.team,
            actor=actor,
            action=f"claim.{decision}",
            obj=claim,
            payload={
                "review": review.pk,
                "decision": decision,
                "status": [from_status, to_status],
                "comment": comment,
                "version": claim.version,
            },
            at=at,
        )
        if decision in OUTBOX_EVENTS:
            event = self.model("provenance.OutboxEvent").objects.create(
                team=claim.team,
                claim=claim,
                event_type=OUTBOX_EVENTS[decision],
                payload={
                    "event": OUTBOX_EVENTS[decision],
                    "claim": {
                        "id": claim.pk,
                        "slug": claim.slug,
                        "version": claim.version,
                    },
                },
                created_at=at,
            )
            for publisher in claim.team.publishers.order_by("pk"):
                self.model("provenance.WebhookDelivery").objects.create(
                    event=event,
                    publisher=publisher,
                    state="delivered",
                    attempts=1,
                    last_status_code=204,
                    next_attempt_at=at,
                    delivered_at=at + timedelta(seconds=2),
                )
        return at


def fill_previous_release(apps: Any) -> dict[str, Any]:
    """Two teams' newsroom, written as the previous release wrote it; returns the
    decision times the backfill must find."""
    old = OldRelease(apps)
    team_model = old.model("provenance.Team")
    harbour = team_model.objects.create(
        name="Harbour desk", slug="harbour-desk", created_at=old.tick()
    )
    wire = team_model.objects.create(
        name="Wire desk", slug="wire-desk", created_at=old.tick()
    )
    rhea = old.user("rhea", "Rhea Lindqvist")
    emil = old.user("emil", "Emil Sandoval")
    edda = old.user("edda", "Edda Okafor")
    wanda = old.user("wanda", "Wanda Mbeki")
    membership = old.model("provenance.Membership").objects
    for user, team, role in [
        (rhea, harbour, "reporter"),
        (emil, harbour, "editor"),
        (edda, harbour, "editor"),
        (wanda, wire, "reporter"),
        (edda, wire, "admin"),
    ]:
        membership.create(user=user, team=team, role=role, created_at=old.tick())
    publisher = old.model("provenance.Publisher").objects.create(
        name="Coastal Gazette",
        key_prefix="cg7f3a",
        key_hash=make_password("cg7f3a.secret-key"),
        webhook_url="https://gazette.example/hooks/provenance",
        webhook_secret="whsec-coastal",
        claim_url_template="https://gazette.example/fact-checks/{slug}",
        created_at=old.tick(),
    )
    publisher.teams.set([harbour])

    vessel = old.entity(
        team=harbour,
        actor=rhea,
        kind="vessel",
        name="Northern Star",
        aliases=["MV Northern Star", "Polar Star"],
        imo="9074729",
        mmsi="636012345",
        flag="LR",
        vessel_type="Bulk carrier",
    )
    port = old.entity(
        team=harbour,
        actor=emil,
        kind="port",
        name="Port of Rotterdam",
        locode="NLRTM",
        country="NL",
        latitude=51.9496,
        longitude=4.1453,
        radius_km=12.5,
    )
    owner = old.entity(
        team=harbour,
        actor=rhea,
        kind="organization",
        name="Acme Shipping",
        country="CY",
        website="https://acme-shipping.example",
    )
    old.model("provenance.PastIdentity").objects.create(
        entity=vessel, field="name", value="Polar Star", end_date=T0.date()
    )
    old.model("provenance.SanctionsDesignation").objects.create(
        entity=owner,
        authority="US Treasury (OFAC)",
        programme="RUSSIA-EO14024",
        listed_on=T0.date(),
    )
    tag_model = old.model("provenance.Tag").objects
    shipping = tag_model.create(team=harbour, name="Shipping", slug="shipping")
    sanctions = tag_model.create(team=harbour, name="Sanctions", slug="sanctions")

    image = old.evidence(
        team=harbour,
        actor=rhea,
        kind="image",
        title="Satellite image of berth 5",
        source="Maxar",
        file="originals/2026/11/5c1d0e.jpg",
        original_filename="berth5.jpg",
        sha256="5c1d0e" * 10 + "beef",
        size_bytes=482133,
        mime_type="image/jpeg",
        observed_at=T0 - timedelta(days=1),
        source_reliability="B",
        information_credibility="2",
        processing_state="done",
    )
    old.model("evidence.ImageDetail").objects.create(
        item=image,
        width=2048,
        height=1536,
        exif={"Make": "Maxar", "DateTimeOriginal": "2026:11:01 10:14:00"},
        gps_latitude=51.9501,
        gps_longitude=4.1399,
        phash="c3a5e1f00f1e5a3c",
    )
    statement = old.evidence(
        team=harbour, actor=emil, kind="statement", title="Port authority statement"
    )
    old.model("evidence.Statement").objects.create(
        item=statement,
        speaker=port,
        stated_at=T0 + timedelta(hours=3),
        venue="Press release",
        quote="No vessel of that name berthed here in November.",
    )
    manifest = old.evidence(
        team=harbour,
        actor=rhea,
        kind="document",
        title="Bill of lading",
        obtained_from="A source at the terminal",
        obtained_at=T0 - timedelta(hours=5),
        is_restricted=True,
    )
    tracker = old.evidence(
        team=harbour,
        actor=rhea,
        kind="link",
        title="Ship-tracking page",
        url="https://tracker.example/vessel/9074729",
    )

    old.claim(
        team=harbour,
        author=rhea,
        slug="owner",
        text="Acme Shipping owns the Northern Star.",
        subjects=[owner, vessel],
        tags=[shipping],
    )
    in_review = old.claim(
        team=harbour,
        author=rhea,
        slug="flag-change",
        text="The Northern Star changed flag in October.",
    )
    old.decide(in_review, "submit", actor=rhea)
    approved = old.claim(
        team=harbour,
        author=rhea,
        slug="coal",
        text="The Northern Star unloaded coal at Rotterdam.",
        subjects=[vessel, port],
        quantity_amount=Decimal("1250.5"),
        quantity_unit="tonnes",
        quantity_bound="at_least",
    )
    old.attach(approved, image, actor=rhea, relation="supports")
    old.estimate(
        approved,
        actor=rhea,
        amount=Decimal("1250.5"),
        unit="tonnes",
        bound="at_least",
        source_label="Bill of lading",
        is_current=True,
    )
    old.assess(
        approved, actor=emil, level="likely", rationale="Image", evidence=[image]
    )
    old.decide(approved, "submit", actor=rhea)
    old.decide(approved, "approve", actor=emil)

    published = old.claim(
        team=harbour,
        author=rhea,
        slug="berthed",
        text="The Northern Star berthed at Rotterdam on 1 November.",
        subjects=[vessel, port],
        tags=[shipping, sanctions],
    )
    old.attach(published, image, actor=rhea, relation="supports")
    old.attach(
        published,
        statement,
        actor=emil,
        relation="contradicts",
        stance="denies",
        note="The port denies it.",
    )
    first = old.assess(
        published,
        actor=emil,
        level="roughly_even_chance",
        rationale="Image only",
        evidence=[image],
    )
    old.decide(published, "submit", actor=rhea)
    old.decide(published, "approve", actor=emil)
    published_at = old.decide(published, "publish", actor=edda)
    # After publication: a newer assessment supersedes the first.
    old.assess(
        published,
        actor=emil,
        level="very_likely",
        rationale="Image matches the AIS track; the denial is contradicted.",
        evidence=[image, statement],
        supersedes=first,
        effective_at=published_at - timedelta(hours=1),
    )

    corrected = old.claim(
        team=harbour,
        author=rhea,
        slug="berth-7",
        text="The Northern Star loaded at berth 7.",
    )
    old.attach(corrected, manifest, actor=rhea, relation="supports")
    old.assess(corrected, actor=emil, level="likely", rationale="Manifest")
    old.decide(corrected, "submit", actor=rhea)
    old.decide(corrected, "approve", actor=emil)
    corrected_published_at = old.decide(corrected, "publish", actor=emil)
    corrected_at = old.decide(
        corrected, "correct", actor=edda, comment="Berth 5, not berth 7."
    )

    retracted = old.claim(
        team=harbour,
        author=rhea,
        slug="dark",
        text="The Northern Star sailed without AIS.",
    )
    old.attach(retracted, tracker, actor=rhea, relation="supports")
    old.assess(retracted, actor=emil, level="unlikely", rationale="Track has gaps")
    old.decide(retracted, "submit", actor=rhea)
    old.decide(retracted, "approve", actor=emil)
    retracted_published_at = old.decide(retracted, "publish", actor=edda)
    old.decide(retracted, "retract", actor=edda, comment="The tracker was wrong.")

    # Published with no Review row (an import): the backfill falls back to
    # published_at.
    imported_published_at = old.tick()
    old.claim(
        team=harbour,
        author=emil,
        slug="cyprus",
        text="Acme Shipping registered in Cyprus in 2019.",
        status="published",
        published_at=imported_published_at,
    )

    wire_claim = old.claim(
        team=wire,
        author=wanda,
        slug="minister",
        text="The minister resigned on Monday.",
    )
    old.decide(wire_claim, "submit", actor=wanda)
    old.decide(wire_claim, "approve", actor=edda)
    wire_published_at = old.decide(wire_claim, "publish", actor=edda)
    return {
        "published": published_at,
        "corrected": (corrected_published_at, corrected_at),
        "retracted": retracted_published_at,
        "imported": imported_published_at,
        "wire": wire_published_at,
    }


def _models(apps: Any) -> dict[str, Any]:
    return {
        model._meta.label_lower: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in DATA_APPS
    }


def _rows(model: Any) -> list[dict[str, Any]]:
    rows = list(model.objects.order_by("pk").values())
    for row in rows:
        for name, value in row.items():
            if isinstance(value, memoryview):
                row[name] = bytes(value)
    return rows


def _snapshot(apps: Any) -> dict[str, list[dict[str, Any]]]:
    """Every non-empty table of the data apps, row by row (auth's permissions and
    groups are the framework's: left out)."""
    tables = {
        label: _rows(model)
        for label, model in _models(apps).items()
        if label not in {"auth.permission", "auth.group_permissions"}
    }
    return {label: rows for label, rows in tables.items() if rows}


def _public_content_at(apps: Any) -> tuple[dict, dict]:
    claim = apps.get_model("provenance", "Claim")
    historical = apps.get_model("provenance", "HistoricalClaim")
    claims = dict(claim.objects.values_list("slug", "public_content_at"))
    slugs = dict(claim.objects.values_list("pk", "slug"))
    rows: dict[str, list] = {}
    for claim_id, status, at in historical.objects.order_by(
        "history_date", "history_id"
    ).values_list("id", "status", "public_content_at"):
        rows.setdefault(slugs[claim_id], []).append((status, at))
    return claims, rows


def _verify_audit() -> list[str]:
    out, err = StringIO(), StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue().splitlines()


def _heads(apps: Any) -> dict[str, tuple[int, str]]:
    head = apps.get_model("provenance", "AuditChainHead")
    return {
        slug: (seq, digest)
        for slug, seq, digest in head.objects.values_list("team__slug", "seq", "hash")
    }


@pytest.mark.django_db(transaction=True)
def test_database_at_previous_release_upgrades_with_its_data_and_audit_chain():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate(OLD_LEAVES)
        executor = MigrationExecutor(connection)
        applied = set(executor.loader.applied_migrations)
        assert set(OLD_LEAVES) <= applied
        assert ("provenance", "0006_claim_public_content_at") not in applied
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(
                cursor, "provenance_claim"
            )
        assert "public_content_at" not in {column.name for column in columns}

        old_apps = executor.loader.project_state(OLD_LEAVES).apps
        times = fill_previous_release(old_apps)
        before = _snapshot(old_apps)
        old_heads = _heads(old_apps)

        call_command("migrate", interactive=False, verbosity=0)
    finally:
        # Whatever happened, leave the test database at the newest state.
        MigrationExecutor(connection).migrate(leaves)

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    new_apps = executor.loader.project_state(leaves).apps

    assert {label: len(rows) for label, rows in before.items()} == {
        "auth.user": 4,
        "provenance.team": 2,
        "provenance.membership": 5,
        "provenance.publisher": 1,
        "provenance.publisher_teams": 1,
        "provenance.entity": 3,
        "provenance.historicalentity": 3,
        "provenance.pastidentity": 1,
        "provenance.sanctionsdesignation": 1,
        "provenance.tag": 2,
        "provenance.claim": 8,
        "provenance.claim_subjects": 6,
        "provenance.claim_tags": 3,
        "provenance.historicalclaim": 25,
        "provenance.historicalclaim_subjects": 10,
        "provenance.historicalclaim_tags": 6,
        "provenance.claimevidence": 5,
        "provenance.confidenceassessment": 5,
        "provenance.confidenceassessment_evidence": 4,
        "provenance.quantityestimate": 1,
        "provenance.review": 17,
        "provenance.outboxevent": 6,
        "provenance.webhookdelivery": 5,
        "provenance.auditchainhead": 2,
        "provenance.auditevent": 43,
        "evidence.evidenceitem": 4,
        "evidence.custodyevent": 5,
        "evidence.imagedetail": 1,
        "evidence.statement": 1,
    }
    # Every row is still there with every value it had; new columns aside.
    after = {
        label: [
            {name: row[name] for name in old_rows[0]}
            for row in _rows(new_apps.get_model(label))
        ]
        for label, old_rows in before.items()
    }
    assert after == before

    claims, history = _public_content_at(new_apps)
    published_at, corrected = times["published"], times["corrected"]
    retracted_at, imported_at = times["retracted"], times["imported"]
    # 0006: the last publish/correct decision, else published_at; None until public.
    assert claims == {
        "owner": None,
        "flag-change": None,
        "coal": None,
        "berthed": published_at,
        "berth-7": corrected[1],
        "dark": retracted_at,
        "cyprus": imported_at,
        "minister": times["wire"],
    }
    unpublished = [("draft", None), ("in_review", None), ("approved", None)]
    # History rows: the last decision at or before the row.
    assert history == {
        "owner": [("draft", None)],
        "flag-change": unpublished[:2],
        "coal": unpublished,
        "berthed": [
            *unpublished,
            ("published", published_at),
        ],
        "berth-7": [
            *unpublished,
            ("published", corrected[0]),
            ("published", corrected[1]),
        ],
        "dark": [
            *unpublished,
            ("published", retracted_at),
            ("retracted", retracted_at),
        ],
        "cyprus": [("published", imported_at)],
        "minister": [*unpublished, ("published", times["wire"])],
    }

    assert {slug: seq for slug, (seq, _) in old_heads.items()} == {
        "harbour-desk": 39,
        "wire-desk": 4,
    }
    assert _verify_audit() == [
        f"OK harbour-desk: 39 events, head {old_heads['harbour-desk'][1]}",
        f"OK wire-desk: 4 events, head {old_heads['wire-desk'][1]}",
    ]

    # The current service extends the old chain.
    from provenance.claims.services import claim_create

    team = current_apps.get_model("provenance", "Team").objects.get(slug="harbour-desk")
    vessel = current_apps.get_model("provenance", "Entity").objects.get(
        slug="northern-star"
    )
    claim = claim_create(
        team=team,
        actor=get_user_model().objects.get(username="rhea"),
        text="The Northern Star left Rotterdam on 5 November.",
        subjects=[vessel],
    )
    event = current_apps.get_model("provenance", "AuditEvent").objects.get(
        team=team, seq=40
    )
    assert (event.action, event.object_id, event.prev_hash) == (
        "claim.create",
        str(claim.pk),
        old_heads["harbour-desk"][1],
    )
    assert claim.public_content_at is None
    assert _verify_audit() == [
        f"OK harbour-desk: 40 events, head {event.hash}",
        f"OK wire-desk: 4 events, head {old_heads['wire-desk'][1]}",
    ]
