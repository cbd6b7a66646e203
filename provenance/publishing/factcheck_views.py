"""/claims/import/ ("Import a fact-check") and /claims/<pk>/same-as/ (link an
imported claim to one the team had). Team members only; the writes are
publishing.factcheck_import and claims.verdicts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from provenance.accounts import selectors as team_selectors
from provenance.claims import selectors as claim_selectors
from provenance.claims.verdicts import claim_same_as_link
from provenance.publishing.factcheck_forms import FactCheckImportForm
from provenance.publishing.factcheck_import import (
    capture_dom,
    captures_with_dom,
    factcheck_import,
)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def factcheck_import_page(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    bound = request.method == "POST"
    form = FactCheckImportForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        captures=captures_with_dom(team=team),
    )
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            if data["file"] is not None:
                document: bytes | str = data["file"].read()
            elif data["capture"] is not None:
                document = capture_dom(team=team, capture_id=data["capture"])
            else:
                document = data["text"]
            imported = factcheck_import(
                team=team,
                actor=request.user,
                data=document,
                create_claimants=data["create_claimants"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return render(
                request, "provenance/factcheck_imported.html", {"imported": imported}
            )
    status = 400 if form.errors else 200
    return render(
        request, "provenance/factcheck_import.html", {"form": form}, status=status
    )


@login_required
@require_POST
def claim_same_as(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = claim_selectors.claim_for_page(team=team, claim_id=pk)  # 404 outside
    try:
        other = int(request.POST.get("same_as", ""))
    except ValueError:
        return HttpResponse(
            "same_as: a claim id", status=400, content_type="text/plain"
        )
    other_claim = claim_selectors.claim_for_page(team=team, claim_id=other)
    try:
        claim_same_as_link(
            team=team, actor=request.user, claim_id=claim.pk, same_as_id=other_claim.pk
        )
    except ValidationError as exc:
        return HttpResponse(
            "; ".join(exc.messages), status=400, content_type="text/plain"
        )
    messages.success(request, "Linked as the same claim.")
    return redirect(claim)
