"""Web pages that write the ownership graph: add an edge with its evidence on an
entity's page, change or end it, link or unlink its evidence; and a claim citing an
edge as evidence. Each view parses a form and calls one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from evidence import relationship_links
from evidence import selectors as evidence_selectors
from provenance.accounts import selectors as team_selectors
from provenance.claims import relationship_citations, selectors
from provenance.claims.relationship_forms import (
    CiteRelationshipForm,
    ReasonForm,
    RelationshipChangeForm,
    RelationshipEndForm,
    RelationshipEvidenceForm,
    RelationshipForm,
    add_service_errors,
)
from provenance.entities import selectors as entity_selectors
from provenance.entities import services as entity_services
from provenance.entities.models import Entity, EntityKind, Relationship


def _entity_and_edge(
    request: HttpRequest, slug: str, pk: int
) -> tuple[Any, Entity, Relationship]:
    team = team_selectors.require_team(request)
    entity = entity_selectors.entity_for_page(team=team, slug=slug)
    relationship = entity_selectors.relationship_for_team(team=team, relationship_id=pk)
    if entity.pk not in (relationship.source_id, relationship.target_id):
        raise Http404("This relationship is not this entity's.")
    return team, entity, relationship


def _back(entity: Entity, relationship: Relationship | None = None) -> HttpResponse:
    anchor = f"#relationship-{relationship.pk}" if relationship else "#relationships"
    return redirect(entity.get_absolute_url() + anchor)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def relationship_create(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.require_team(request)
    entity = entity_selectors.entity_for_page(team=team, slug=slug)
    # A vessel is usually what is owned (the target); anything else the owner.
    side = "target" if entity.kind == EntityKind.VESSEL else "source"
    posted = request.POST if request.method == "POST" else None
    form = RelationshipForm(posted, team=team, initial={side: entity})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if entity not in (data["source"], data["target"]):
            form.add_error("source", f"{entity.name} must be the source or the target.")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            relationship = relationship_links.relationship_record(
                team=team,
                actor=request.user,
                kind=data["kind"],
                source_id=data["source"].pk,
                target_id=data["target"].pk,
                evidence=[
                    relationship_links.EvidenceCitation(
                        item.pk, data["evidence_relation"], data["evidence_note"]
                    )
                    for item in data["evidence"]
                ],
                **form.edge_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Relationship recorded.")
            return _back(entity, relationship)
    status = 400 if form.errors else 200
    return render(
        request,
        "provenance/relationship_form.html",
        {"entity": entity, "form": form},
        status=status,
    )


def _edit_page(
    request: HttpRequest,
    entity: Entity,
    relationship: Relationship,
    team: Any,
    status: int = 200,
    **forms_in_use: Any,
) -> HttpResponse:
    links = evidence_selectors.relationship_evidence(
        relationship_ids=[relationship.pk]
    ).get(relationship.pk, [])
    context = {
        "entity": entity,
        "relationship": relationship,
        "links": links,
        "change_form": forms_in_use.get("change_form")
        or RelationshipChangeForm.for_relationship(relationship),
        "end_form": forms_in_use.get("end_form")
        or RelationshipEndForm(auto_id="end_%s"),
        "evidence_form": forms_in_use.get("evidence_form")
        or RelationshipEvidenceForm(team=team),
        "unlink_form": forms_in_use.get("unlink_form") or ReasonForm(),
        "unlink_id": forms_in_use.get("unlink_id"),
        "history": relationship.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[:50],
        "citing": selectors.claims_citing(
            team=team, relationship_ids=[relationship.pk]
        ).get(relationship.pk, []),
    }
    return render(request, "provenance/relationship_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def relationship_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team, entity, relationship = _entity_and_edge(request, slug, pk)
    if request.method != "POST":
        return _edit_page(request, entity, relationship, team)
    form = RelationshipChangeForm(request.POST)
    if form.is_valid():
        try:
            entity_services.relationship_update(
                relationship_id=relationship.pk,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                **form.edge_fields(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Relationship changed.")
            return _back(entity, relationship)
    return _edit_page(request, entity, relationship, team, 400, change_form=form)


@login_required
@require_POST
def relationship_end(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team, entity, relationship = _entity_and_edge(request, slug, pk)
    form = RelationshipEndForm(request.POST, auto_id="end_%s")
    if form.is_valid():
        try:
            entity_services.relationship_end(
                relationship_id=relationship.pk, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Relationship ended.")
            return _back(entity, relationship)
    return _edit_page(request, entity, relationship, team, 400, end_form=form)


@login_required
@require_POST
def relationship_evidence_link(
    request: HttpRequest, slug: str, pk: int
) -> HttpResponse:
    team, entity, relationship = _entity_and_edge(request, slug, pk)
    form = RelationshipEvidenceForm(request.POST, team=team)
    if form.is_valid():
        try:
            relationship_links.relationship_evidence_link(
                relationship_id=relationship.pk,
                item_id=form.cleaned_data["item"].pk,
                actor=request.user,
                relation=form.cleaned_data["relation"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Evidence linked.")
            return _back(entity, relationship)
    return _edit_page(request, entity, relationship, team, 400, evidence_form=form)


@login_required
@require_POST
def relationship_evidence_unlink(
    request: HttpRequest, slug: str, pk: int, link_id: int
) -> HttpResponse:
    team, entity, relationship = _entity_and_edge(request, slug, pk)
    links = evidence_selectors.relationship_evidence(
        relationship_ids=[relationship.pk]
    ).get(relationship.pk, [])
    if link_id not in {link.pk for link in links}:
        raise Http404("No such evidence link on this relationship.")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            relationship_links.relationship_evidence_unlink(
                link_id=link_id, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Evidence unlinked.")
            return _back(entity, relationship)
    return _edit_page(
        request,
        entity,
        relationship,
        team,
        400,
        unlink_form=form,
        unlink_id=link_id,
    )


# --- a claim citing an edge -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_relationship_cite(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    posted = request.POST if request.method == "POST" else None
    form = CiteRelationshipForm(posted, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            relationship_citations.relationship_cite(
                claim_id=claim.pk,
                relationship_id=form.cleaned_data["relationship"].pk,
                actor=request.user,
                relation=form.cleaned_data["relation"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except ValueError as exc:  # a retracted claim
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Relationship cited.")
            return redirect(claim.get_absolute_url() + "#cited-relationships")
    return render(
        request,
        "provenance/claim_relationship_form.html",
        {"claim": claim, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def claim_relationship_uncite(
    request: HttpRequest, pk: int, citation_id: int
) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    if citation_id not in {c.pk for c in selectors.relationship_citations_for(claim)}:
        raise Http404("No such citation on this claim.")
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            relationship_citations.relationship_uncite(
                citation_id=citation_id,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, ValueError) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, "Citation withdrawn.")
    else:
        messages.error(request, "Say why the citation is withdrawn.")
    return redirect(claim.get_absolute_url() + "#cited-relationships")


entity_urlpatterns = [
    path("new/", relationship_create, name="relationship-create"),
    path("<int:pk>/", relationship_edit, name="relationship-edit"),
    path("<int:pk>/end/", relationship_end, name="relationship-end"),
    path(
        "<int:pk>/evidence/",
        relationship_evidence_link,
        name="relationship-evidence-link",
    ),
    path(
        "<int:pk>/evidence/<int:link_id>/unlink/",
        relationship_evidence_unlink,
        name="relationship-evidence-unlink",
    ),
]
claim_urlpatterns = [
    path("", claim_relationship_cite, name="claim-relationship-cite"),
    path(
        "<int:citation_id>/withdraw/",
        claim_relationship_uncite,
        name="claim-relationship-uncite",
    ),
]
