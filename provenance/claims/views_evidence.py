"""Claim-side evidence pages: add evidence of each kind to a claim, or link an item
the team already holds. The evidence is added by the evidence services (the same
path as everywhere else), then linked with ``services.evidence_attach``, in one
transaction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors as evidence_selectors
from evidence.ais.forms import AISEvidenceForm
from evidence.ais.views import add_ais_from_form
from evidence.forms import FORMS_BY_KIND
from evidence.models import EvidenceKind
from evidence.uploads import limited_upload
from evidence.views import (
    ADDABLE_KINDS,
    add_from_form,
    quick_entity_form,
    statement_form_with_new_entity,
)
from provenance.accounts import selectors as team_selectors
from provenance.claims import selectors, services
from provenance.claims.models import ClaimEvidence, ClaimStatus, Relation, Stance
from provenance.entities import quick


class ClaimLinkForm(forms.Form):
    relation = forms.ChoiceField(
        choices=Relation.choices,
        help_text="Does this evidence support the claim, contradict it, or give "
        "context?",
    )
    stance = forms.ChoiceField(
        choices=[("", "—"), *Stance.choices],
        required=False,
        help_text="Statements only: what the speaker says about the claim.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm_contradiction = forms.BooleanField(
        required=False,
        label="Confirm a contradictory combination",
        help_text="Only if a denial really supports the claim (or an assertion "
        "contradicts it); say why below.",
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Why (for a confirmed contradiction)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind is not None and kind != EvidenceKind.STATEMENT:
            # Without a stance nothing can contradict the relation.
            for name in ("stance", "confirm_contradiction", "reason"):
                del self.fields[name]
        elif kind == EvidenceKind.STATEMENT:
            self.fields["stance"].required = True
            self.fields["stance"].choices = Stance.choices

    def attach_kwargs(self) -> dict[str, Any]:
        return {
            "relation": self.cleaned_data["relation"],
            "stance": self.cleaned_data.get("stance", ""),
            "note": self.cleaned_data.get("note", ""),
            "confirm_contradiction": self.cleaned_data.get(
                "confirm_contradiction", False
            ),
            "reason": self.cleaned_data.get("reason", ""),
        }


class LinkChangeForm(forms.Form):
    """Change a link's relation, stance or note, with the reason (always asked)."""

    relation = forms.ChoiceField(choices=Relation.choices)
    stance = forms.ChoiceField(choices=Stance.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    confirm_contradiction = ClaimLinkForm.base_fields["confirm_contradiction"]
    reason = forms.CharField(
        max_length=2000,
        label="Why the change",
        help_text="Kept with the link's history and the audit trail.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, link: ClaimEvidence, **kwargs: Any) -> None:
        initial = {"relation": link.relation, "stance": link.stance, "note": link.note}
        super().__init__(*args, initial=initial, prefix="change", **kwargs)
        if link.item.kind != EvidenceKind.STATEMENT:
            del self.fields["stance"]
            del self.fields["confirm_contradiction"]

    def change_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "relation": data["relation"],
            "stance": data.get("stance"),
            "note": data["note"],
            "confirm_contradiction": data.get("confirm_contradiction", False),
            "reason": data["reason"],
        }


class UnlinkForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        label="Why unlink it",
        help_text="The link stays in the claim's history (who, when, why).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="unlink", **kwargs)


class LinkExistingForm(ClaimLinkForm):
    item = forms.ModelChoiceField(queryset=None, label="Evidence item")

    def __init__(self, *args: Any, team: Any, exclude_ids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = evidence_selectors.evidence_to_link(
            team=team, exclude_ids=exclude_ids
        )
        self.order_fields(["item", "relation", "stance", "note"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        item = data.get("item")
        if item and data.get("stance") and item.kind != EvidenceKind.STATEMENT:
            self.add_error("stance", "Only statements take a stance.")
        return data


def _kinds() -> list[tuple[str, str]]:
    kinds = dict.fromkeys((*ADDABLE_KINDS, EvidenceKind.AIS))
    return [(kind, EvidenceKind(kind).label) for kind in kinds]


def _claim_add(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    data = request.POST or None
    is_ais = kind == EvidenceKind.AIS
    form_class = AISEvidenceForm if is_ais else FORMS_BY_KIND[kind]
    status = 400 if request.method == "POST" else 200
    if claim.status == ClaimStatus.RETRACTED:
        messages.error(request, "A retracted claim takes no new evidence.")
        return redirect(claim)
    entity_form = quick_entity_form(kind)
    if entity_form is not None and quick.wants_new_entity(request):
        # The statement form is shown again with the new actor; nothing is linked.
        form, entity_form, added = statement_form_with_new_entity(request, team=team)
        link_initial = quick.initial_from_post(request.POST, ClaimLinkForm.base_fields)
        link_form = ClaimLinkForm(kind=kind, initial=link_initial)
        status = 200 if added else 400
        data = None
    else:
        form = form_class(data, request.FILES or None, team=team)
        link_form = ClaimLinkForm(data, kind=kind)
    if data is not None and form.is_valid() and link_form.is_valid():
        try:
            with transaction.atomic():
                add = add_ais_from_form if is_ais else add_from_form
                item = add(form=form, team=team, actor=request.user)
                if item is not None:
                    services.evidence_attach(
                        claim_id=claim.pk,
                        item_id=item.pk,
                        actor=request.user,
                        **link_form.attach_kwargs(),
                    )
        except (ValidationError, PermissionDenied, ValueError) as exc:
            link_form.add_error(
                None, exc if isinstance(exc, ValidationError) else str(exc)
            )
        else:
            if item is not None:
                messages.success(
                    request, f"{item.get_kind_display()} added and linked."
                )
                return redirect(claim)
    return render(
        request,
        "evidence/item_form.html",
        {
            "form": form,
            "link_form": link_form,
            "claim": claim,
            "kind": kind,
            "kinds": _kinds(),
            "kind_label": EvidenceKind(kind).label,
            "duplicate": getattr(form, "duplicate", None),
            "link_existing_url": reverse(
                "provenance:claim-evidence-link", args=[claim.pk]
            ),
            "cancel_url": claim.get_absolute_url(),
            "entity_form": entity_form,
        },
        status=status,
    )


@limited_upload("image")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_add_image(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_add(request, pk, EvidenceKind.IMAGE)


@limited_upload("document")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_add_document(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_add(request, pk, EvidenceKind.DOCUMENT)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_add_statement(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_add(request, pk, EvidenceKind.STATEMENT)


@limited_upload("ais")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_add_ais(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_add(request, pk, EvidenceKind.AIS)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_add_link(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_add(request, pk, EvidenceKind.LINK)


@login_required
@require_safe
def claim_evidence_choose(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick a kind to add, or link an item the team already holds."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    linked = [
        link.item_id for link in claim.evidence_links.all() if link.unlinked_at is None
    ]
    form = LinkExistingForm(team=team, exclude_ids=linked)
    return render(
        request,
        "evidence/claim_evidence_choose.html",
        {"claim": claim, "kinds": _kinds(), "form": form},
    )


@login_required
@require_POST
def claim_evidence_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an existing item of the team (e.g. the one a duplicate upload found)."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    linked = [
        link.item_id for link in claim.evidence_links.all() if link.unlinked_at is None
    ]
    form = LinkExistingForm(request.POST, team=team, exclude_ids=linked)
    if form.is_valid():
        try:
            services.evidence_attach(
                claim_id=claim.pk,
                item_id=form.cleaned_data["item"].pk,
                actor=request.user,
                **form.attach_kwargs(),
            )
        except (ValidationError, PermissionDenied, ValueError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, "Evidence linked.")
            return redirect(claim)
    return render(
        request,
        "evidence/claim_evidence_choose.html",
        {"claim": claim, "kinds": _kinds(), "form": form},
        status=400,
    )


def _current_link(claim: Any, link_id: int) -> ClaimEvidence:
    for link in claim.evidence_links.all():
        if link.pk == link_id and link.unlinked_at is None:
            return link
    raise Http404("No such link in force on this claim.")


def _link_page(
    request: HttpRequest,
    claim: Any,
    link: ClaimEvidence,
    *,
    change_form: LinkChangeForm | None = None,
    unlink_form: UnlinkForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "provenance/claim_link_form.html",
        {
            "claim": claim,
            "link": link,
            "change_form": change_form or LinkChangeForm(link=link),
            "unlink_form": unlink_form or UnlinkForm(),
            "is_published": claim.status == ClaimStatus.PUBLISHED,
            "is_approved": claim.status == ClaimStatus.APPROVED,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_link_change(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    """Change a link's relation, stance or note (GET: the form, with unlink)."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    link = _current_link(claim, link_id)
    if claim.status == ClaimStatus.RETRACTED:
        messages.error(request, "A retracted claim's evidence can no longer change.")
        return redirect(claim)
    if request.method != "POST":
        return _link_page(request, claim, link)
    form = LinkChangeForm(request.POST, link=link)
    if form.is_valid():
        try:
            services.evidence_link_change(
                link_id=link.pk, actor=request.user, **form.change_kwargs()
            )
        except (ValidationError, PermissionDenied, ValueError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _done(claim, "Link changed."))
            return redirect(claim)
    return _link_page(request, claim, link, change_form=form, status=400)


@login_required
@require_POST
def claim_link_unlink(request: HttpRequest, pk: int, link_id: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    link = _current_link(claim, link_id)
    form = UnlinkForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_unlink(
                link_id=link.pk, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied, ValueError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _done(claim, "Link removed."))
            return redirect(claim)
    return _link_page(request, claim, link, unlink_form=form, status=400)


def _done(claim: Any, what: str) -> str:
    """Say where the change went, as the claim's state decides (see
    services._link_edited)."""
    if claim.status == ClaimStatus.APPROVED:
        return f"{what} The claim went back to review."
    if claim.status == ClaimStatus.PUBLISHED:
        return f"{what} Publishers see it with the next correction."
    return what


# Included under claims/<int:pk>/evidence/ by provenance/urls.py.
urlpatterns = [
    path("", claim_evidence_choose, name="claim-evidence-add"),
    path("link/", claim_evidence_link, name="claim-evidence-link"),
    path("add/image/", claim_add_image, name="claim-evidence-add-image"),
    path("add/statement/", claim_add_statement, name="claim-evidence-add-statement"),
    path("add/document/", claim_add_document, name="claim-evidence-add-document"),
    path("add/link/", claim_add_link, name="claim-evidence-add-link"),
    path("add/ais/", claim_add_ais, name="claim-evidence-add-ais"),
    path("<int:link_id>/", claim_link_change, name="claim-link-change"),
    path("<int:link_id>/unlink/", claim_link_unlink, name="claim-link-unlink"),
]
