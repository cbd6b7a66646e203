"""The claim dossier pages: /claims/<pk>/dossier/ (HTML, printable) and
/claims/<pk>/dossier.pdf, current or ?as_of=YYYY-MM-DD. Team members only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from provenance.accounts import selectors as team_selectors
from provenance.claims import selectors as claim_selectors
from provenance.claims.forms import AsOfForm
from provenance.claims.timeline import render_timeline_svg
from provenance.publishing.api.base import export_urls
from provenance.publishing.dossier import (
    Dossier,
    PdfUnavailable,
    claim_dossier,
    render_pdf,
)


def _dossier(request: HttpRequest, pk: int) -> tuple[Dossier | None, AsOfForm]:
    team = team_selectors.require_team(request)
    form = AsOfForm(request.GET or None)
    as_of = None
    if form.is_valid() and form.cleaned_data["as_of"]:
        as_of = claim_selectors.end_of_day(form.cleaned_data["as_of"])
    if form.errors:
        claim_selectors.claim_for_page(team=team, claim_id=pk)  # 404 first
        return None, form
    dossier = claim_dossier(
        team=team, claim_id=pk, as_of=as_of, urls=export_urls(request)
    )
    events = claim_selectors.claim_timeline(claim=dossier.claim, state=dossier.state)
    since = claim_selectors.timeline_window(
        state=dossier.state, events=events, dates="happened"
    )
    dossier.timeline_svg = mark_safe(  # noqa: S308 - the renderer escapes every text
        render_timeline_svg(
            events, as_of=as_of, since=since, title=dossier.claim.text[:200]
        )
    )
    return dossier, form


@login_required
@require_safe
def claim_dossier_page(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, form = _dossier(request, pk)
    if dossier is None:
        return HttpResponse(
            form.errors.as_text(), status=400, content_type="text/plain"
        )
    response = render(
        request, "provenance/dossier.html", {"d": dossier, "for_pdf": False}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def claim_dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    dossier, form = _dossier(request, pk)
    if dossier is None:
        return HttpResponse(
            form.errors.as_text(), status=400, content_type="text/plain"
        )
    html = render_to_string(
        "provenance/dossier.html", {"d": dossier, "for_pdf": True}, request=request
    )
    try:
        pdf = render_pdf(html, dossier.bundle)
    except PdfUnavailable as exc:  # pragma: no cover - depends on the machine
        return HttpResponse(
            f"PDF export needs the Pango library on the server ({exc}); the "
            "printable page works without it.",
            status=503,
            content_type="text/plain",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    day = f"-as-of-{dossier.as_of:%Y-%m-%d}" if dossier.as_of else ""
    response["Content-Disposition"] = (
        f'attachment; filename="claim-{dossier.claim.pk}-dossier{day}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
