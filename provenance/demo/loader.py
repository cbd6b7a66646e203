"""The demo loader: writes the story (story.py) through the services, as a team
following it live would have, back-dated with the services' `at=`.

Every step is idempotent: objects are looked up by a natural key (a team's slug, a
username, an entity's name, the text a claim was created with, an item's title)
and only created when missing, so running the loader twice changes nothing. The
team, its users' memberships, entities, claims, evidence, links, assessments and
decisions are each written by their room's service (permission, history, audit
row); nothing here saves a domain record or sets a status itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from evidence import relationship_links
from evidence.ais.demo import demo_ais_extracts
from evidence.ais.services import evidence_add_ais
from evidence.documents import services as evidence_services
from evidence.images.annotations import annotation_create
from evidence.images.demo import container_blocks, synthetic_site_image
from evidence.images.services import evidence_add_image
from evidence.maps.demo import DESCRIPTION as SCENE_DESCRIPTION
from evidence.maps.demo import synthetic_scene_geotiff
from evidence.maps.geometry import ground_sample_distance_m
from evidence.maps.services import scene_update
from evidence.models import EvidenceItem, ImageAnnotation, ImageDetail
from evidence.services import tasks_run_here
from provenance.accounts import services as team_services
from provenance.claims import comments, relationship_citations, services
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ClaimRelationship,
    ClaimStatus,
    QuoteSource,
)
from provenance.demo import story
from provenance.entities import services as entity_services
from provenance.entities.models import Entity, Relationship
from provenance.teams.models import Membership, Role, Team

# The loader is the system, not a user: a management command has no request.
SYSTEM = None


@dataclass
class Demo:
    team: Team
    reporter: Any
    editor: Any
    entities: dict[str, Entity] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    items: dict[str, EvidenceItem] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)
    created: int = 0


# --- Team, users, entities -----------------------------------------------------------


def editor_admin_permissions() -> list[Permission]:
    """What an editor may do in the Django admin: view everything, change records."""
    return list(
        Permission.objects.filter(
            content_type__app_label__in=["provenance", "evidence"],
            codename__regex=r"^(view|change)_",
        )
    )


def ensure_user(username: str, password: str, role: str) -> Any:
    """A demo account (Django's own user manager: accounts belong to no team)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username,
            password=password,
            email=demo_email(username),
            is_staff=role == Role.EDITOR,
        )
        if role == Role.EDITOR:
            user.user_permissions.set(editor_admin_permissions())
    elif not user.email:
        # An account made before the demo had addresses: the system verifies its
        # own example.org address (User.email holds verified addresses only).
        user = team_services.email_set_verified(
            user_id=user.pk, email=demo_email(username), actor=SYSTEM
        )
    return user


def demo_email(username: str) -> str:
    """The demo users' verified addresses: demo-reporter@example.org and so on."""
    return f"{username}@example.org"


def ensure_users_and_team() -> Demo:
    team = Team.objects.filter(slug=story.DEMO_TEAM_SLUG).first()
    created = 0
    if team is None:
        team = team_services.team_create(
            actor=SYSTEM,
            name=story.DEMO_TEAM_NAME,
            slug=story.DEMO_TEAM_SLUG,
            at=story.SEPT,
        )
        created += 1
    users = {}
    for username, (password, role) in story.DEMO_USERS.items():
        user = ensure_user(username, password, role)
        if not Membership.objects.filter(user=user, team=team).exists():
            team_services.membership_add(
                team=team, user=user, actor=SYSTEM, role=role, at=story.SEPT
            )
            created += 1
        users[role] = user
    return Demo(
        team=team,
        reporter=users[Role.REPORTER],
        editor=users[Role.EDITOR],
        created=created,
    )


def ensure_entities(demo: Demo) -> None:
    for spec in story.ENTITIES:
        entity = Entity.objects.filter(team=demo.team, name=spec["name"]).first()
        if entity is None:
            entity = entity_services.entity_create(
                team=demo.team, actor=demo.reporter, at=story.SEPT, **spec
            )
            demo.created += 1
        demo.entities[entity.name] = entity
    shoigu = demo.entities["Sergei K. Shoigu"]
    if shoigu.description.startswith("Defence Minister of Ukraine"):
        entity_services.entity_update(
            entity_id=shoigu.pk,
            actor=demo.editor,
            description=story.SHOIGU_CORRECTED,
        )
        demo.created += 1


def ensure_sanctions(demo: Demo) -> None:
    angara = demo.entities["Angara"]
    if not angara.sanctions.exists():
        entity_services.sanctions_designation_add(
            entity=angara, actor=demo.reporter, **story.ANGARA_SANCTIONS
        )
        demo.created += 1
    for name in story.OWNERS_SANCTIONED:
        owner = demo.entities[name]
        if not owner.sanctions.exists():
            entity_services.sanctions_designation_add(
                entity=owner, actor=demo.reporter, **story.OWNER_SANCTIONS
            )
            demo.created += 1


def ensure_relationships(demo: Demo) -> None:
    """Who owns what, each edge with the documents behind it; then the claims
    citing edges. An edge is found again by its ends and kind."""
    for spec in story.RELATIONSHIPS:
        source, target = demo.entities[spec["source"]], demo.entities[spec["target"]]
        edge = Relationship.objects.filter(
            team=demo.team, source=source, target=target, kind=spec["kind"]
        ).first()
        if edge is None:
            edge = relationship_links.relationship_record(
                team=demo.team,
                actor=demo.reporter,
                kind=spec["kind"],
                source_id=source.pk,
                target_id=target.pk,
                description=spec["description"],
                confidence=spec["confidence"],
                confidence_rationale=spec["confidence_rationale"],
                evidence=[
                    relationship_links.EvidenceCitation(
                        demo.items[key].pk, relation, note
                    )
                    for key, relation, note in spec["evidence"]
                ],
                at=spec["at"],
            )
            demo.created += 1
        demo.relationships[spec["key"]] = edge
    for claim_key, edge_key, relation, note in story.RELATIONSHIP_CITATIONS:
        claim, edge = demo.claims[claim_key], demo.relationships[edge_key]
        if not ClaimRelationship.objects.filter(
            claim=claim, relationship=edge
        ).exists():
            relationship_citations.relationship_cite(
                claim_id=claim.pk,
                relationship_id=edge.pk,
                actor=demo.reporter,
                relation=relation,
                note=note,
                at=story.RUSI_DAY,
            )
            demo.created += 1


# --- Claims ---------------------------------------------------------------------------


def created_with_text(team: Team, text: str) -> Claim | None:
    """The team's claim first recorded with `text` (its history's creation row):
    a claim's text and slug may change after, this does not."""
    claim_id = (
        Claim.history.filter(team=team, history_type="+", text=text)
        .values_list("id", flat=True)
        .first()
    )
    return Claim.objects.filter(pk=claim_id).first() if claim_id else None


def ensure_claims(demo: Demo) -> None:
    for spec in story.CLAIMS:
        spec = dict(spec)
        key = spec.pop("key")
        claim = created_with_text(demo.team, spec["text"])
        if claim is None:
            claim = create_claim(demo, spec)
            demo.created += 1
        demo.claims[key] = claim


def create_claim(demo: Demo, spec: dict[str, Any]) -> Claim:
    subjects = [demo.entities[name] for name in spec.pop("subjects")]
    if "first_appearance_entity" in spec:
        spec["first_appearance_entity"] = demo.entities[spec["first_appearance_entity"]]
    return services.claim_create(
        team=demo.team,
        actor=demo.reporter,
        subjects=subjects,
        tag_names=spec.pop("tags"),
        **spec,
    )


def sharpen_claim_1(demo: Demo) -> None:
    """13 Oct: the White House figure arrives; the claim is rewritten around it."""
    claim = demo.claims["claim-1"]
    if claim.quantity_amount is not None:
        return
    fields = dict(story.CLAIM_1_SHARPENED)
    fields["first_appearance_entity"] = demo.entities["United States"]
    demo.claims["claim-1"] = services.claim_update(
        claim_id=claim.pk,
        actor=demo.reporter,
        expected_version=claim.version,
        at=story.WHITE_HOUSE_DAY,
        reason="White House statement gives a figure",
        **fields,
    )
    demo.created += 1


# --- Evidence -------------------------------------------------------------------------


def existing_item(demo: Demo, title: str) -> EvidenceItem | None:
    return EvidenceItem.objects.filter(team=demo.team, title=title).first()


def ensure_statements(demo: Demo) -> None:
    for spec in story.STATEMENTS:
        spec = dict(spec)
        key = spec.pop("key")
        item = existing_item(demo, spec["title"])
        if item is None:
            speaker = spec.pop("speaker")
            item = evidence_services.evidence_add_statement(
                team=demo.team,
                actor=demo.reporter,
                speaker=demo.entities[speaker] if speaker else None,
                on_behalf_of=demo.entities[spec.pop("on_behalf_of")],
                **story.STATEMENT_SOURCE,
                **spec,
            )
            demo.created += 1
        demo.items[key] = item


def ensure_images(demo: Demo) -> None:
    for spec in story.IMAGES:
        item = existing_item(demo, spec["title"])
        if item is None:
            data = synthetic_site_image(
                spec["site"],
                captured_at=spec["captured_at"],
                variant=spec["variant"],
                count=spec.get("count"),
            )
            item = evidence_add_image(
                team=demo.team,
                actor=demo.reporter,
                upload=io.BytesIO(data),
                filename=f"{spec['key']}.jpg",
                title=spec["title"],
                observed_at=spec["captured_at"],
                **story.SYNTHETIC_IMAGE_SOURCE,
            )
            demo.created += 1
        demo.items[spec["key"]] = item


def ensure_scene(demo: Demo) -> None:
    """The synthetic GeoTIFF of Rajin; described as a scene once processed
    (``describe_scene``: its footprint is read by the processing)."""
    spec = story.SCENE
    item = existing_item(demo, spec["title"])
    if item is None:
        item = evidence_add_image(
            team=demo.team,
            actor=demo.reporter,
            upload=io.BytesIO(
                synthetic_scene_geotiff(
                    site=spec["site"], acquired_at=spec["acquired_at"]
                )
            ),
            filename=f"{spec['key']}.tif",
            title=spec["title"],
            observed_at=spec["acquired_at"],
            **{**story.SYNTHETIC_IMAGE_SOURCE, "description": SCENE_DESCRIPTION},
        )
        demo.created += 1
    demo.items[spec["key"]] = item


def describe_scene(demo: Demo) -> None:
    spec = story.SCENE
    item = demo.items[spec["key"]]
    geo = ImageDetail.objects.filter(item_id=item.pk).values_list("geo", flat=True)
    geo = geo.first()
    if not (geo or {}).get("footprint"):
        return  # not processed (yet): nothing to describe as a scene
    scene_update(
        item_id=item.pk,
        actor=demo.reporter,
        provider=spec["provider"],
        platform=spec["platform"],
        sensor=spec["sensor"],
        acquired_at=spec["acquired_at"],
        gsd_m=ground_sample_distance_m(geo),
        cloud_cover_percent=spec["cloud_cover_percent"],
    )


def ensure_annotations(demo: Demo) -> None:
    """Synthetic counts on the synthetic images: containers in one Rajin stack (the
    true number drawn, from the picture's own recipe) and the Tikhoretsk pits; the
    September pit count is cited by claim 5's estimate."""
    rajin = demo.items["rajin-oct"]
    (x0, y0, x1, y1), containers = container_blocks(variant=2)[0]
    specs = [
        (
            rajin,
            {
                "shape": "rectangle",
                "points": [[x0, y0], [x1, y1]],
                "label": "containers",
                "count": containers,
            },
        ),
        *(
            (
                demo.items[key],
                {
                    "shape": "polygon",
                    "points": story.PIT_FIELD,
                    "label": "storage pits",
                    "count": pits,
                },
            )
            for key, pits in (("tikhoretsk-aug", 24), ("tikhoretsk-sep", 110))
        ),
    ]
    for item, spec in specs:
        if ImageAnnotation.objects.filter(item=item, label=spec["label"]).exists():
            continue
        annotation = annotation_create(
            item_id=item.pk,
            actor=demo.reporter,
            note="Synthetic demo count on a synthetic stand-in image.",
            **spec,
        )
        demo.created += 1
        if item == demo.items["tikhoretsk-sep"]:
            services.quantity_estimate_from_annotation(
                claim_id=demo.claims["claim-5"].pk,
                annotation_id=annotation.pk,
                actor=demo.reporter,
                note="Pits counted on the synthetic September image.",
            )


def ensure_documents(demo: Demo) -> None:
    for spec in story.DOCUMENTS:
        spec = dict(spec)
        key = spec.pop("key")
        item = existing_item(demo, spec["title"])
        if item is None:
            item = evidence_services.evidence_add_link(
                team=demo.team, actor=demo.reporter, **spec
            )
            demo.created += 1
        demo.items[key] = item


def ensure_ais(demo: Demo) -> None:
    """Synthetic AIS tracks for both ships; the analysis finds runs and gaps itself."""
    for extract in demo_ais_extracts(story.SYNTHETIC_IDS):
        item = existing_item(demo, extract.title)
        if item is None:
            item = evidence_add_ais(
                team=demo.team,
                actor=demo.reporter,
                upload=io.BytesIO(extract.content),
                filename=extract.filename,
                title=extract.title,
                description=extract.description,
                observed_at=extract.observed_at,
                **story.SYNTHETIC_AIS_SOURCE,
            )
            demo.created += 1
        demo.items[f"ais-{extract.vessel_name.lower()}"] = item


def ensure_links(demo: Demo) -> None:
    for claim_key, item_key, relation, stance, at in story.LINKS:
        claim, item = demo.claims[claim_key], demo.items[item_key]
        if not ClaimEvidence.objects.filter(claim=claim, item=item).exists():
            services.evidence_attach(
                claim_id=claim.pk,
                item_id=item.pk,
                actor=demo.reporter,
                relation=relation,
                stance=stance,
                at=at,
            )
            demo.created += 1


def ensure_assessments(demo: Demo) -> None:
    for claim_key, level, rationale, cited, at in story.ASSESSMENTS:
        claim = demo.claims[claim_key]
        if claim.assessments.filter(effective_at=at, level=level).exists():
            continue
        services.confidence_assess(
            claim_id=claim.pk,
            actor=demo.editor if level == "very_likely" else demo.reporter,
            level=level,
            rationale=rationale,
            evidence_ids=[demo.items[key].pk for key in cited],
            effective_at=at,
            at=at,
        )
        demo.created += 1


# --- Review and publication -----------------------------------------------------------


def review_steps(demo: Demo) -> list[tuple[str, Callable[..., Any], Any, dict]]:
    """Each decision as (status it applies to, service, actor, keywords): submitted
    by the reporter on 16 Oct, approved and published by the editor on 17 Oct."""
    return [
        (
            ClaimStatus.DRAFT,
            services.claim_submit,
            demo.reporter,
            {"at": story.SUBMIT_DAY},
        ),
        (
            ClaimStatus.IN_REVIEW,
            services.claim_approve,
            demo.editor,
            {"comment": story.APPROVAL_COMMENT, "at": story.REVIEW_DAY},
        ),
        (
            ClaimStatus.APPROVED,
            services.claim_publish,
            demo.editor,
            {"at": story.PUBLISH_DAY},
        ),
    ]


def ensure_reviews(demo: Demo) -> None:
    """The published claims go through every step; claim 4 is submitted and waits
    in the review queue; claim 6 stays a draft. A step whose claim has moved past
    it is done already."""
    steps = review_steps(demo)
    for key in [*story.PUBLISHED, "claim-4"]:
        wanted = steps if key in story.PUBLISHED else steps[:1]
        for status, decide, actor, keywords in wanted:
            claim = Claim.objects.get(pk=demo.claims[key].pk)
            if claim.status == status:
                decide(claim_id=claim.pk, actor=actor, **keywords)
                demo.created += 1


def correct_claim_1(demo: Demo) -> None:
    """18 Oct: the Shoigu error in the published summary is corrected in public."""
    claim = Claim.objects.get(pk=demo.claims["claim-1"].pk)
    if claim.summary != story.WRONG_SUMMARY or claim.status != ClaimStatus.PUBLISHED:
        return
    services.claim_correct(
        claim_id=claim.pk,
        actor=demo.editor,
        expected_version=claim.version,
        correction_note=story.CORRECTION_NOTE,
        changes={"summary": story.CORRECT_SUMMARY},
        at=story.CORRECTION_DAY,
    )
    demo.created += 1


def ensure_comment_thread(demo: Demo) -> None:
    """A short thread on claim 1, through the comment services (demo content:
    every comment starts with story.DEMO_COMMENT_LABEL)."""
    claim = demo.claims["claim-1"]
    if claim.comments.exists():
        return
    written: list[Any] = []
    authors = {"reporter": demo.reporter, "editor": demo.editor}
    for spec in story.COMMENT_THREAD:
        quote: dict[str, Any] = {}
        if "quote" in spec:
            key, text = spec["quote"]
            quote = {
                "quote_item_id": demo.items[key].pk,
                "quote_source": QuoteSource.STATEMENT,
                "quote_text": text,
            }
        reply_to = spec.get("reply_to")
        written.append(
            comments.comment_create(
                actor=authors[spec["by"]],
                claim_id=claim.pk,
                body=story.DEMO_COMMENT_LABEL + spec["body"],
                parent_id=written[reply_to].pk if reply_to is not None else None,
                at=spec["at"],
                **quote,
            )
        )
        demo.created += 1


def load_demo() -> Demo:
    # The demo's images and AIS are processed before it says "Loaded": their tasks
    # are queued on commit, so the commit must happen inside tasks_run_here (with
    # the block inside the transaction, the processing went to background threads
    # that the command's exit cut short: images left failed or running).
    with tasks_run_here():
        demo = _load_demo()
        describe_scene(demo)
        return demo


@transaction.atomic
def _load_demo() -> Demo:
    demo = ensure_users_and_team()
    ensure_entities(demo)
    ensure_sanctions(demo)
    ensure_claims(demo)
    # Claim 1's history in order: opened in September, sharpened on 13 October.
    ensure_statements(demo)
    ensure_images(demo)
    ensure_scene(demo)
    ensure_documents(demo)
    ensure_ais(demo)
    sharpen_claim_1(demo)
    ensure_links(demo)
    ensure_relationships(demo)
    ensure_assessments(demo)
    ensure_reviews(demo)
    correct_claim_1(demo)
    ensure_comment_thread(demo)
    ensure_annotations(demo)
    return demo
