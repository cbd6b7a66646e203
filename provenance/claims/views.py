"""Claim pages: parse the request, call one selector or service, render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence.models import InformationCredibility, SourceReliability
from provenance.accounts import selectors as team_selectors
from provenance.accounts.caching import team_page_cache
from provenance.accounts.second_factor import (
    STEP_UP_DECISIONS,
    step_up_needed,
    step_up_response,
)
from provenance.claims import maps as claim_maps
from provenance.claims import selectors, services, versions
from provenance.claims.confidence import SCALE
from provenance.claims.forms import (
    AnnotationEstimateForm,
    AsOfForm,
    AssessmentForm,
    ClaimCorrectionForm,
    ClaimFilterForm,
    ClaimForm,
    QuantityEstimateForm,
    TimelineForm,
)
from provenance.claims.models import Claim, Decision, Relation, Stance
from provenance.claims.rules import (
    EditConflict,
    InvalidTransition,
    allowed_decisions,
    approval_blockers,
    decision_choices,
    is_own_work,
)
from provenance.claims.timeline import render_timeline_svg
from provenance.common.spreadsheet import csv_lines
from provenance.entities import quick

PAGE_SIZE = 25
# The claim page's long lists (evidence, denials, timeline events, assessments,
# ended links) show this many rows unless ?all=1 asks for every one: a claim with
# 500 events drew 500 list items, 300 evidence rows and 200 table rows on every
# view (bench/claim_page.py: 9.6x the 1-event page). The chart still draws all.
CLAIM_PAGE_ROWS = 20


@dataclass(frozen=True)
class Collapsed:
    """The rows of one long list that the page shows, and how many there are."""

    rows: list[Any]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.rows)


def collapsed(rows: list[Any], *, show_all: bool, keep: str = "first") -> Collapsed:
    """The first (or last) CLAIM_PAGE_ROWS of `rows`, in their order, or all."""
    rows = list(rows)
    if show_all or len(rows) <= CLAIM_PAGE_ROWS:
        return Collapsed(rows, len(rows))
    kept = rows[:CLAIM_PAGE_ROWS] if keep == "first" else rows[-CLAIM_PAGE_ROWS:]
    return Collapsed(kept, len(rows))


@login_required
@team_page_cache
@require_safe
def claim_list(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    filters = ClaimFilterForm(request.GET or None)
    kwargs = filters.selector_kwargs()
    claims = selectors.claim_list(team=team, **kwargs)
    if filters.is_bound and not filters.is_valid():
        # A filter value we cannot read matches nothing (its error is shown), rather
        # than being dropped and every claim shown as if it matched.
        claims = claims.none()
    notes = selectors.claim_filter_notes(
        team=team, subject=kwargs.get("subject", ""), tag=kwargs.get("tag", "")
    )
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "provenance/claim_list.html",
        {
            "page": page,
            "filters": filters,
            "filter_notes": notes,
            "query": query.urlencode(),
        },
    )


@login_required
@team_page_cache
@require_safe
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    context = claim_page_context(request, claim)
    # An as-of date out of range is a bad request, said on the page (not a 500).
    status = 400 if context["as_of_form"].errors else 200
    return render(request, "provenance/claim_detail.html", context, status=status)


def claim_page_context(
    request: HttpRequest, claim: Claim, **forms_in_use: Any
) -> dict[str, Any]:
    """The claim page: current, or as of a date (?as_of=YYYY-MM-DD&axis=...)."""
    as_of_form = AsOfForm(request.GET or None)
    as_of = axis = None
    if as_of_form.is_valid() and as_of_form.cleaned_data["as_of"]:
        as_of = selectors.end_of_day(as_of_form.cleaned_data["as_of"])
        axis = as_of_form.cleaned_data["axis"] or "recorded"
    state = selectors.claim_as_of(
        claim=claim, when=as_of or timezone.now(), axis=axis or "recorded"
    )
    show_all = request.GET.get("all") == "1"
    timeline = claim_timeline_parts(request, claim, state, as_of, show_all=show_all)
    if as_of:
        subjects, tags = selectors.claim_labels_as_of(state)
    else:
        subjects, tags = claim.subjects.all(), claim.tags.all()
    everything = request.GET.copy()
    everything["all"] = "1"
    ended = [] if as_of else selectors.ended_links(claim)
    claim_map, locations = claim_maps.claim_map(
        team=claim.team, claim_id=claim.pk, subjects=subjects, links=state.links
    )
    return {
        "claim": claim,
        "map": claim_map,
        "locations": locations,
        "shown": state,
        "not_public": selectors.not_yet_public(claim=claim, state=state),
        "subjects": subjects,
        "tags": tags,
        "as_of": as_of,
        "as_of_form": as_of_form,
        "links": state.links,
        "ended_links": ended,
        # Edges of the ownership graph the claim cites (claims.relationship_citations).
        "cited_relationships": selectors.relationship_citations_for(claim, when=as_of),
        "denials": state.denials,
        # What the long lists show: the latest links and assessments, the newest
        # denials and ended links; ?all=1 (show_all_url) shows every row.
        "show_all": show_all,
        # The claim's own address: the page is also drawn by its forms' POST views.
        "show_all_url": f"{claim.get_absolute_url()}?{everything.urlencode()}",
        "links_shown": collapsed(state.links, show_all=show_all, keep="last"),
        "ended_shown": collapsed(ended, show_all=show_all),
        "denials_shown": collapsed(state.denials, show_all=show_all),
        "assessments_shown": collapsed(
            state.assessments, show_all=show_all, keep="last"
        ),
        "external_verdicts": [] if as_of else selectors.external_verdicts(claim),
        "same_claims": [] if as_of else selectors.same_claims(claim),
        **timeline,
        "assessment_form": forms_in_use.get("assessment_form")
        or AssessmentForm(claim=claim),
        "estimate_form": forms_in_use.get("estimate_form") or QuantityEstimateForm(),
        "counted_annotations": []
        if as_of
        else selectors.counted_annotations(claim=claim, links=state.links),
    }


def claim_timeline_parts(
    request: HttpRequest,
    claim: Claim,
    state: selectors.ClaimAsOf,
    as_of: Any,
    *,
    show_all: bool = True,
) -> dict[str, Any]:
    """The chart, its event list and its form (?dates=&window_from=&window_to=).
    An invalid window falls back to the default one, with the form's error shown."""
    data = request.GET.copy()
    data.setdefault("dates", "happened")  # so the radio shows the default axis
    form = TimelineForm(data)
    chosen = form.cleaned_data if form.is_valid() else {}
    dates = chosen.get("dates") or "happened"
    events = selectors.claim_timeline(claim=claim, state=state, dates=dates)
    start = chosen.get("window_from")
    end = chosen.get("window_to")
    since = (
        datetime.combine(start, time.min, tzinfo=UTC)
        if start
        else selectors.timeline_window(state=state, events=events, dates=dates)
    )
    until = selectors.end_of_day(end) if end else None
    svg = render_timeline_svg(
        events, as_of=as_of, since=since, until=until, title=claim.text[:200]
    )
    return {
        "timeline_svg": mark_safe(svg),  # noqa: S308 - the renderer escapes every text
        "timeline_events": events,
        # The list under the chart: the latest events unless every one is asked for.
        "timeline_list": collapsed(events, show_all=show_all, keep="last"),
        "timeline_form": form,
        "timeline_dates": dates,
        "timeline_outside": sum(
            1
            for event in events
            if (since and event.at < since) or (until and event.at > until)
        ),
    }


@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    """The terms the pages use, each with an anchor the pages link to."""
    return render(
        request,
        "provenance/glossary.html",
        {
            "bands": SCALE,
            "reliability": SourceReliability.choices,
            "credibility": InformationCredibility.choices,
            "stances": Stance.choices,
            "relations": Relation.choices,
        },
    )


@login_required
@team_page_cache
@require_safe
def claim_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every recorded version of the claim with who, when, why and what changed."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    return render(
        request,
        "provenance/claim_versions.html",
        {"claim": claim, "versions": versions.claim_versions(claim)},
    )


@login_required
@require_POST
def claim_assess(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = AssessmentForm(request.POST, claim=claim)
    if form.is_valid():
        try:
            services.confidence_assess(
                claim_id=claim.pk,
                actor=request.user,
                level=form.cleaned_data["level"],
                rationale=form.cleaned_data["rationale"],
                evidence_ids=form.cleaned_data["evidence"],
                effective_at=form.cleaned_data["effective_at"],
                supersedes_id=form.cleaned_data["supersedes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assessment recorded.")
            return redirect(claim)
    context = claim_page_context(request, claim, assessment_form=form)
    return render(request, "provenance/claim_detail.html", context, status=400)


@login_required
@require_POST
def claim_quantity_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = QuantityEstimateForm(request.POST)
    if form.is_valid():
        try:
            services.quantity_estimate_add(
                claim_id=claim.pk, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, EditConflict, InvalidTransition) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Estimate recorded.")
            return redirect(claim)
    context = claim_page_context(request, claim, estimate_form=form)
    return render(request, "provenance/claim_detail.html", context, status=400)


@login_required
@require_POST
def claim_estimate_from_annotation(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose an annotation's count (on a linked image) as a quantity estimate."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = AnnotationEstimateForm(request.POST)
    if form.is_valid():
        try:
            services.quantity_estimate_from_annotation(
                claim_id=claim.pk, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, EditConflict, InvalidTransition) as exc:
            messages.error(
                request,
                " ".join(exc.messages)
                if isinstance(exc, ValidationError)
                else str(exc),
            )
        else:
            messages.success(request, "Count recorded as a quantity estimate.")
    else:
        messages.error(request, "Choose an annotation with a count.")
    return redirect(claim)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_create(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    if quick.wants_new_entity(request):
        return _claim_form_with_new_entity(request, team, claim=None)
    form = ClaimForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_create(
                team=team,
                actor=request.user,
                subjects=list(form.cleaned_data["subjects"]),
                tag_names=form.tag_list(),
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Claim created as a draft.")
            return redirect(claim)
    return render(
        request,
        "provenance/claim_form.html",
        {"form": form, "entity_form": quick.QuickEntityForm()},
    )


def _claim_form_with_new_entity(
    request: HttpRequest, team: Any, claim: Claim | None
) -> HttpResponse:
    """ "Add actor" on the claim form: create the entity through its service, then
    show the form again with what was typed and the new actor among the subjects.
    Nothing of the claim is saved yet."""
    entity_form, entity = quick.add_from_request(request, team=team)
    data = request.POST.copy()
    if entity is not None:
        data.appendlist("subjects", str(entity.pk))
    fields = [*ClaimForm.Meta.fields, "tag_names", "reason", "version"]
    initial = quick.initial_from_post(data, fields, multiple=["subjects"])
    form = ClaimForm(instance=claim, team=team, initial=initial)
    return render(
        request,
        "provenance/claim_form.html",
        {"form": form, "claim": claim, "entity_form": entity_form},
        status=200 if entity is not None else 400,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    if quick.wants_new_entity(request):
        return _claim_form_with_new_entity(request, team, claim=claim)
    form = ClaimForm(request.POST or None, instance=claim, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_update(
                claim_id=claim.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"] or 0,
                reason=form.cleaned_data["reason"],
                subjects=list(form.cleaned_data["subjects"]),
                tag_names=form.tag_list(),
                **form.service_fields(),
            )
        except (EditConflict, InvalidTransition) as exc:
            form.add_error(None, str(exc))
        except (ValidationError, ValueError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, "Claim saved.")
            return redirect(claim)
    return render(
        request,
        "provenance/claim_form.html",
        {
            "form": form,
            "claim": claim,
            "entity_form": quick.QuickEntityForm(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def claim_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a published claim: its new content with the public correction note,
    prefilled with what publishers see now, as the `correct` review decision."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    if request.method == "POST" and step_up_needed(request):
        # A correction publishes: the same fresh second factor as publish.
        return step_up_response(request, next_url=request.path)
    form = ClaimCorrectionForm(request.POST or None, instance=claim, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_correct(
                claim_id=claim.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                correction_note=form.cleaned_data["correction_note"],
                changes=form.changes(),
            )
        except (EditConflict, InvalidTransition, PermissionDenied, ValueError) as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Correction published.")
            return redirect(claim)
    return render(
        request,
        "provenance/claim_form.html",
        {"form": form, "claim": claim, "is_correction": True},
        status=400 if request.method == "POST" else 200,
    )


# --- Review workflow ------------------------------------------------------------------


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=decision_choices)
    # The claim version the editor decided on: a decision on an older one is refused.
    version = forms.IntegerField(min_value=1)
    comment = forms.CharField(required=False, max_length=5000)
    publish_at = forms.DateTimeField(
        required=False,
        label="Embargo until (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@login_required
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """Editors: claims in review, oldest first, and approved ones waiting to publish.
    Reporters: their own claims in the workflow, with the editors' comments."""
    team = team_selectors.require_team(request)
    membership = team_selectors.current_membership(request)
    if not membership.is_editor:
        claims = selectors.claims_in_workflow_by(team=team, author=request.user)
        return render(
            request, "provenance/review_queue.html", {"own_claims": list(claims)}
        )
    queue = list(selectors.review_queue(team))
    awaiting = list(selectors.awaiting_publication(team))
    for claim in [*queue, *awaiting]:
        # The buttons are the workflow's: what this editor may decide on the row.
        claim.decisions = allowed_decisions(user=request.user, claim=claim)
        claim.is_own_work = is_own_work(user=request.user, claim=claim)
    for claim in queue:
        claim.blockers = approval_blockers(claim)
    return render(
        request,
        "provenance/review_queue.html",
        {
            "queue": queue,
            "awaiting": awaiting,
            "form": ReviewDecisionForm(),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one review decision on a claim of the current team via the service;
    a refusal comes back as a message, never a silent no-op."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_review(team=team, claim_id=pk)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = claim.get_absolute_url()
    form = ReviewDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That review decision could not be read.")
        return redirect(next_url)
    decision = form.cleaned_data["decision"]
    if decision in STEP_UP_DECISIONS and step_up_needed(request):
        return step_up_response(request, next_url=next_url)
    try:
        services.claim_transition(
            claim_id=claim.pk,
            decision=decision,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            comment=form.cleaned_data["comment"],
            publish_at=form.cleaned_data["publish_at"],
        )
    except (
        EditConflict,
        InvalidTransition,
        PermissionDenied,
        ValidationError,
        ValueError,
    ) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc
        messages.error(request, f"Not done: {text}")
    else:
        messages.success(request, f"{Decision(decision).label}: done.")
    return redirect(next_url)


CSV_HEADER = [
    "id",
    "status",
    "text",
    "quantity",
    "confidence",
    "denials",
    "evidence",
    "subjects",
    "tags",
    "first_appeared",
    "updated_at",
    "url",
]


@login_required
@require_safe
def claim_list_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The claim list, with the same filters, as a spreadsheet-safe CSV."""
    team = team_selectors.require_team(request)
    filters = ClaimFilterForm(request.GET or None)
    claims = selectors.claim_list(team=team, **filters.selector_kwargs())
    if filters.is_bound and not filters.is_valid():
        claims = claims.none()
    rows = (
        [
            claim.pk,
            claim.get_status_display(),
            claim.text,
            claim.quantity_display,
            claim.current_confidence or "",
            claim.denial_count,
            claim.evidence_count,
            "; ".join(subject.name for subject in claim.subjects.all()),
            "; ".join(tag.name for tag in claim.tags.all()),
            claim.first_appearance_source,
            claim.updated_at.isoformat(),
            request.build_absolute_uri(claim.get_absolute_url()),
        ]
        for claim in claims.iterator(chunk_size=500)
    )
    response = StreamingHttpResponse(
        csv_lines(CSV_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="claims.csv"'
    return response


@login_required
@team_page_cache
@require_safe
def claim_timeline_svg(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline chart alone, for embedding in a newsroom's own pages."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_chart(team=team, claim_id=pk)
    state = selectors.claim_as_of(claim=claim, when=timezone.now(), chart_only=True)
    svg = claim_timeline_parts(request, claim, state, None)["timeline_svg"]
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
