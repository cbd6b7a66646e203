"""A claim export as a W3C PROV document (PROV-JSON).

Individual team members are never named: the team is the agent. The records are
added in a fixed order (relations get blank-node ids by creation order), so the same
export always gives the same document.
"""

from __future__ import annotations

from typing import Any

from evidence.images.annotations import source_iri
from provenance.entities.models import EntityKind
from provenance.publishing.exports.builders import ExportUrls
from provenance.publishing.exports.shapes import (
    CaptureOut,
    ClaimExport,
    EntityRef,
    EvidenceLink,
)


class _Prov:
    """One PROV document being built: its namespace, the team agent, the claim
    entity, and the agents made so far for speakers (one per entity slug)."""

    def __init__(self, export: ClaimExport, *, urls: ExportUrls) -> None:
        from prov.model import ProvDocument  # heavy import, only when asked

        self.doc = doc = ProvDocument()
        self.ns = ns = doc.add_namespace("pv", urls.namespace)
        doc.add_namespace("schema", "https://schema.org/")
        self.team = doc.agent(
            ns[f"team/{export.team}"],
            {"prov:type": "prov:Organization", "prov:label": export.team_name},
        )
        self.claim = doc.entity(
            ns[f"claim/{export.id}"],
            {
                "prov:type": "schema:Claim",
                "prov:label": export.text,
                "pv:status": export.review.status,
                "pv:schemaVersion": export.schema_version,
            },
        )
        doc.wasAttributedTo(self.claim, self.team)
        self.agents: dict[str, Any] = {}

    def agent_for(self, entity: EntityRef) -> Any:
        if entity.slug not in self.agents:
            kind = (
                "prov:Person"
                if entity.kind == EntityKind.PERSON
                else "prov:Organization"
            )
            self.agents[entity.slug] = self.doc.agent(
                self.ns[f"entity/{entity.slug}"],
                {"prov:type": kind, "prov:label": entity.name},
            )
        return self.agents[entity.slug]

    def evidence(self, link: EvidenceLink) -> None:
        """The item (an entity), how the claim derives from it, and who said it."""
        doc, item = self.doc, link.evidence
        attributes: dict[str, Any] = {
            "prov:type": f"pv:{item.kind}",
            "prov:label": item.title,
        }
        if item.sha256:
            attributes["pv:sha256"] = item.sha256
        if item.url:
            attributes["prov:location"] = item.url
        evidence = doc.entity(self.ns[f"evidence/{item.id}"], attributes)
        relation = {"pv:relation": link.relation}
        if link.stance:
            relation["pv:stance"] = link.stance
        if link.relation == "supports":
            doc.wasDerivedFrom(self.claim, evidence, other_attributes=relation)
        else:
            doc.wasInfluencedBy(self.claim, evidence, other_attributes=relation)
        for capture in item.captures:
            self.capture(evidence, capture)
        statement = item.statement
        if statement is not None and statement.speaker is not None:
            speaker = self.agent_for(statement.speaker)
            doc.wasAttributedTo(evidence, speaker)
            if statement.on_behalf_of is not None:
                doc.actedOnBehalfOf(speaker, self.agent_for(statement.on_behalf_of))

    def capture(self, evidence: Any, capture: CaptureOut) -> None:
        """A capture of the page (an activity of the team that used the item)
        and each file it generated (an entity with its SHA-256); the WACZ carries
        its signature and the RFC 3161 token over its digest."""
        doc, ns = self.doc, self.ns
        at = capture.captured_at
        activity = doc.activity(
            ns[f"capture/{capture.id}"],
            at,
            at,
            {"prov:type": "pv:WebCapture", "prov:location": capture.final_url},
        )
        doc.wasAssociatedWith(activity, self.team)
        doc.used(activity, evidence)
        for record in capture.files:
            attributes: dict[str, Any] = {
                "prov:type": f"pv:capture_{record.role}",
                "pv:sha256": record.sha256,
                "pv:path": record.path,
            }
            if record.role == "wacz" and capture.signature is not None:
                signature = capture.signature
                attributes.update(
                    {
                        "pv:signedHash": signature.hash,
                        "pv:signature": signature.signature,
                        "pv:signatureKey": signature.public_key,
                    }
                )
            if record.role == "wacz" and capture.timestamp is not None:
                stamp = capture.timestamp
                attributes.update(
                    {
                        "pv:timestampedBy": stamp.tsa,
                        "pv:timestampedAt": stamp.stamped_at,
                        "pv:timestampToken": stamp.token,
                    }
                )
            entity = doc.entity(ns[f"capture/{capture.id}/{record.role}"], attributes)
            doc.wasGeneratedBy(entity, activity, at)

    def assessments(self, export: ClaimExport) -> None:
        """Each assessment (an entity) and its assessing (an activity of the team
        that used the claim and the exported evidence it cites)."""
        doc, ns = self.doc, self.ns
        exported = {link.evidence.id for link in export.evidence}
        for assessment in export.confidence_history:
            entity = doc.entity(
                ns[f"assessment/{assessment.id}"],
                {
                    "prov:type": "pv:ConfidenceAssessment",
                    "prov:value": assessment.level,
                    "prov:label": assessment.label,
                    "pv:effectiveAt": assessment.effective_at,
                },
            )
            activity = doc.activity(
                ns[f"assessing/{assessment.id}"],
                assessment.recorded_at,
                assessment.recorded_at,
            )
            doc.wasAssociatedWith(activity, self.team)
            doc.wasGeneratedBy(entity, activity, assessment.recorded_at)
            doc.used(activity, self.claim)
            for item_id in assessment.evidence_ids:
                if item_id in exported:
                    doc.used(activity, ns[f"evidence/{item_id}"])

    def publishing(self, export: ClaimExport) -> None:
        published_at = export.review.published_at
        if published_at is None:
            return
        publishing = self.doc.activity(
            self.ns[f"publishing/{export.id}"], published_at, published_at
        )
        self.doc.wasAssociatedWith(publishing, self.team)
        self.doc.wasGeneratedBy(self.claim, publishing, published_at)
        # Each public correction: an activity that revised the claim, with its note.
        for number, correction in enumerate(export.review.corrections, start=1):
            at = correction.corrected_at
            activity = self.doc.activity(
                self.ns[f"correction/{export.id}/{number}"],
                at,
                at,
                {"prov:type": "pv:Correction", "prov:label": correction.note},
            )
            self.doc.wasAssociatedWith(activity, self.team)
            self.doc.wasGeneratedBy(self.claim, activity, at)


def _annotations(prov: _Prov, export: ClaimExport) -> None:
    """Each annotation (an entity derived from the image it was drawn on), and the
    claim derived from those whose count is one of its quantity estimates."""
    images = {
        source_iri(link.evidence.sha256): link.evidence.id
        for link in export.evidence
        if link.evidence.sha256
    }
    made: dict[str, Any] = {}
    cited = [e.annotation for e in export.quantity_estimates if e.annotation]
    for annotation in (*export.annotations, *cited):
        if annotation["id"] in made:
            continue
        label = annotation["body"][0]["value"]
        if annotation.get("count") is not None:
            label = f"{label}: {annotation['count']}"
        entity = prov.doc.entity(
            prov.ns[f"annotation/{annotation['id'].rsplit(':', 1)[-1]}"],
            {
                "prov:type": "pv:ImageAnnotation",
                "prov:label": label,
                "pv:selector": annotation["target"]["selector"]["value"],
                "pv:target": annotation["target"]["source"],
            },
        )
        made[annotation["id"]] = entity
        item_id = images.get(annotation["target"]["source"])
        if item_id is not None:
            prov.doc.wasDerivedFrom(entity, prov.ns[f"evidence/{item_id}"])
    for annotation in cited:
        prov.doc.wasDerivedFrom(
            prov.claim,
            made[annotation["id"]],
            other_attributes={"pv:relation": "quantity_estimate"},
        )


def claim_prov(export: ClaimExport, *, urls: ExportUrls) -> Any:
    """A PROV document: the claim, its evidence and assessments (entities), the
    assessing and publishing (activities), and the team and speakers (agents)."""
    prov = _Prov(export, urls=urls)
    for link in export.evidence:
        prov.evidence(link)
    _annotations(prov, export)
    prov.assessments(export)
    prov.publishing(export)
    return prov.doc


def prov_json(export: ClaimExport, *, urls: ExportUrls) -> str:
    return claim_prov(export, urls=urls).serialize(format="json")
