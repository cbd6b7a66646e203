"""Datasets and screening pages: import a FollowTheMoney file (editors), and the
team's screening candidates to confirm or dismiss (editors decide; members read)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from provenance.accounts import selectors as team_selectors
from provenance.entities import selectors as entity_selectors
from provenance.entities.ftm_import import ftm_import
from provenance.entities.models import ScreeningCandidate
from provenance.entities.screening import screening_decide
from provenance.teams.rules import ensure_editor, membership_for


class FtMImportForm(forms.Form):
    dataset = forms.CharField(
        max_length=200,
        help_text="The dataset's name; importing the same name again is a newer "
        "version of it.",
    )
    file = forms.FileField(help_text="FollowTheMoney entities, one JSON object a line.")


class ScreeningDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("confirm", "Confirm"), ("dismiss", "Dismiss")]
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def dataset_import(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    ensure_editor(user=request.user, team=team)
    # Bound on any POST, an empty one too (an invalid form, 400).
    is_post = request.method == "POST"
    form = FtMImportForm(request.POST, request.FILES) if is_post else FtMImportForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = ftm_import(
                team=team,
                actor=request.user,
                dataset=form.cleaned_data["dataset"],
                lines=upload,
                file_name=upload.name,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{imp.dataset} version {imp.version} imported "
                f"({imp.errors_total} line(s) refused).",
            )
            return redirect("provenance:dataset-import-detail", pk=imp.pk)
    imports = entity_selectors.dataset_imports(team=team)[:20]
    return render(
        request,
        "provenance/dataset_import.html",
        {"form": form, "imports": imports},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def dataset_import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    imp = entity_selectors.dataset_imports(team=team).filter(pk=pk).first()
    if imp is None:
        raise Http404("No such import.")
    return render(request, "provenance/dataset_import_detail.html", {"imp": imp})


@login_required
@require_http_methods(["GET", "HEAD"])
def screening(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    status = request.GET.get("status", "proposed")
    candidates = entity_selectors.screening_candidates(team=team, status=status)
    page = Paginator(candidates, 50).get_page(request.GET.get("page"))
    membership = membership_for(request.user, team)
    return render(
        request,
        "provenance/screening.html",
        {
            "page": page,
            "status": status,
            "can_decide": membership is not None and membership.is_editor,
            "decision_form": ScreeningDecisionForm(),
        },
    )


@login_required
@require_POST
def screening_decision(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    if not ScreeningCandidate.objects.for_team(team).filter(pk=pk).exists():
        raise Http404("No such candidate.")
    form = ScreeningDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose confirm or dismiss.")
        return redirect("provenance:screening")
    try:
        screening_decide(
            candidate_id=pk,
            actor=request.user,
            confirm=form.cleaned_data["decision"] == "confirm",
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise
    else:
        messages.success(request, "Decision recorded.")
    return redirect("provenance:screening")
