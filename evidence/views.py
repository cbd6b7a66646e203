"""Evidence pages: parse the request, call one selector or service, render.

Team and role come from ``request.membership`` (set by the project's middleware).
The claims an item is linked to are the claims room's read, loaded by the
templates through a tag (evidence sits below claims).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors, services
from evidence.captures import services as capture_services
from evidence.documents import services as document_services
from evidence.documents.services import ON_BEHALF_KINDS, SPEAKER_KINDS
from evidence.forms import FORMS_BY_KIND, EvidenceFilterForm, EvidenceForm
from evidence.images import services as image_services
from evidence.images.process import ImageRejected
from evidence.maps.scene_pages import scene_page
from evidence.models import EvidenceItem, EvidenceKind
from evidence.uploads import limited_upload
from provenance.accounts.second_factor import step_up_needed, step_up_response
from provenance.entities import quick
from provenance.teams.models import Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

PAGE_SIZE = 25
ADDABLE_KINDS = (
    EvidenceKind.IMAGE,
    EvidenceKind.STATEMENT,
    EvidenceKind.DOCUMENT,
    EvidenceKind.LINK,
)


# --- list and detail ------------------------------------------------------------------


@login_required
@require_safe
def item_list(request: HttpRequest) -> HttpResponse:
    team = selectors.current_team(request)
    filters = EvidenceFilterForm(request.GET or None)
    items = selectors.evidence_list(team=team, **filters.selector_kwargs())
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evidence/item_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "kinds": ADDABLE_KINDS,
        },
    )


@login_required
@require_safe
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return item_page(request, pk)


def item_page(
    request: HttpRequest,
    pk: int,
    *,
    scene_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    team = selectors.current_team(request)
    item = selectors.evidence_for_page(team=team, item_id=pk)
    if item.kind == EvidenceKind.AIS:
        # An extract has its own page: track map, port calls, dark periods.
        return redirect("evidence:ais-detail", pk=item.pk)
    context: dict[str, Any] = {"item": item}
    if item.kind == EvidenceKind.IMAGE:
        context["scene"] = scene_page(team, item, form=scene_form)
    return render(request, "evidence/item_detail.html", context, status=status)


@login_required
@require_GET
def item_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Processing state for the page's poller, with the refreshed facts as HTML."""
    team = selectors.current_team(request)
    item = selectors.evidence_for_status(team=team, item_id=pk)
    html = render_to_string(
        "evidence/_processing.html", {"item": item}, request=request
    )
    return status_response(item, html=html)


def status_response(item: EvidenceItem, *, html: str, **extra: Any) -> JsonResponse:
    """The JSON a page's poller reads: state, label, error, the part as HTML."""
    response = JsonResponse(
        {
            "id": item.pk,
            "state": item.processing_state,
            "label": item.get_processing_state_display(),
            "error": item.processing_error,
            "is_pending": item.is_pending,
            **extra,
            "html": html,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


# --- changes --------------------------------------------------------------------------


@login_required
@require_POST
def item_restrict(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = selectors.evidence_for_status(team=team, item_id=pk)
    restrict = request.POST.get("is_restricted") == "1"
    if not restrict and item.is_restricted and step_up_needed(request):
        # Lifting source protection lets the item reach publishers.
        return step_up_response(request, next_url=item.get_absolute_url())
    services.evidence_set_restricted(
        item_id=item.pk,
        actor=request.user,
        is_restricted=restrict,
        reason=request.POST.get("reason", "")[:500],
    )
    messages.success(
        request,
        "Marked restricted: it will never leave the team."
        if restrict
        else "Restriction lifted.",
    )
    return redirect(item)


@login_required
@require_POST
def item_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = selectors.evidence_for_status(team=team, item_id=pk)
    reprocess = {
        EvidenceKind.DOCUMENT: document_services.document_reprocess,
        EvidenceKind.LINK: capture_services.capture_again,
    }.get(item.kind, image_services.image_reprocess)
    try:
        reprocess(item_id=item.pk, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Queued for processing again.")
    return redirect(item)


# --- adding ---------------------------------------------------------------------------


def add_from_form(
    *, form: EvidenceForm, team: Team, actor: User
) -> EvidenceItem | None:
    """Call the service for the form's kind. Refusals become form errors; a
    duplicate sets ``form.duplicate`` to the existing item. Used by the claim-side
    pages too, so every path adds evidence the same way."""
    fields = form.service_fields()

    def add() -> EvidenceItem:
        if form.kind == EvidenceKind.IMAGE:
            upload = form.cleaned_data["file"]
            return image_services.evidence_add_image(
                team=team, actor=actor, upload=upload, filename=upload.name, **fields
            )
        if form.kind == EvidenceKind.DOCUMENT:
            upload = form.cleaned_data["file"]
            return document_services.evidence_add_document(
                team=team, actor=actor, upload=upload, filename=upload.name, **fields
            )
        if form.kind == EvidenceKind.STATEMENT:
            return document_services.evidence_add_statement(
                team=team, actor=actor, **form.statement_kwargs(), **fields
            )
        if form.cleaned_data.get("capture"):
            return capture_services.evidence_capture_url(
                team=team, actor=actor, **fields
            )
        return document_services.evidence_add_link(team=team, actor=actor, **fields)

    return refusals_as_errors(form, add)


def refusals_as_errors(
    form: EvidenceForm, add: Callable[[], EvidenceItem]
) -> EvidenceItem | None:
    """Run ``add``; a refused file, a duplicate (``form.duplicate``), invalid data
    or a permission refusal become the form's errors (then None)."""
    try:
        return add()
    except (ImageRejected, services.FileRefused) as exc:
        form.add_error("file", exc.message)
    except services.DuplicateEvidence as exc:
        form.duplicate = exc.existing
        form.add_error(None, "These exact bytes are already stored in your team.")
    except ValidationError as exc:
        form.add_error(None, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None


# Who a statement can be by or for: the actors its form can add without leaving it.
STATEMENT_ACTOR_KINDS = SPEAKER_KINDS | ON_BEHALF_KINDS


def quick_entity_form(kind: str) -> quick.QuickEntityForm | None:
    """The "Add actor" form shown under a statement form (None for other kinds)."""
    if kind != EvidenceKind.STATEMENT:
        return None
    return quick.QuickEntityForm(kinds=STATEMENT_ACTOR_KINDS)


def statement_form_with_new_entity(
    request: HttpRequest, *, team: Team
) -> tuple[EvidenceForm, quick.QuickEntityForm, bool]:
    """ "Add actor" on a statement form: create the speaker (a person) or whom it
    was made for (an organization or government) through the entity service, and
    show the statement form again with what was typed and the new actor chosen.
    Nothing of the statement is saved yet. Returns (form, actor form, added)."""
    entity_form, entity = quick.add_from_request(
        request, team=team, kinds=STATEMENT_ACTOR_KINDS
    )
    data = request.POST.copy()
    if entity is not None:
        field = "speaker" if entity.kind in SPEAKER_KINDS else "on_behalf_of"
        data[field] = str(entity.pk)
    form_class = FORMS_BY_KIND[EvidenceKind.STATEMENT]
    initial = quick.initial_from_post(data, form_class.base_fields)
    return form_class(team=team, initial=initial), entity_form, entity is not None


def _add(request: HttpRequest, kind: str) -> HttpResponse:
    team = selectors.current_team(request)
    status = 400 if request.method == "POST" else 200
    entity_form = quick_entity_form(kind)
    if entity_form is not None and quick.wants_new_entity(request):
        form, entity_form, added = statement_form_with_new_entity(request, team=team)
        status = 200 if added else 400
    else:
        form_class = FORMS_BY_KIND[kind]
        form = form_class(request.POST or None, request.FILES or None, team=team)
        if request.method == "POST" and form.is_valid():
            item = add_from_form(form=form, team=team, actor=request.user)
            if item is not None:
                messages.success(request, f"{item.get_kind_display()} added.")
                return redirect(item)
    return render(
        request,
        "evidence/item_form.html",
        {
            "form": form,
            "entity_form": entity_form,
            "kind": kind,
            "kind_label": EvidenceKind(kind).label,
            "duplicate": getattr(form, "duplicate", None),
            "cancel_url": reverse("evidence:item-list"),
        },
        status=status,
    )


@limited_upload("image")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def image_add(request: HttpRequest) -> HttpResponse:
    return _add(request, EvidenceKind.IMAGE)


@limited_upload("document")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def document_add(request: HttpRequest) -> HttpResponse:
    return _add(request, EvidenceKind.DOCUMENT)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def statement_add(request: HttpRequest) -> HttpResponse:
    return _add(request, EvidenceKind.STATEMENT)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def link_add(request: HttpRequest) -> HttpResponse:
    return _add(request, EvidenceKind.LINK)


# --- media: only through here, only for the owning team -------------------------------


def _file_response(
    field: FieldFile, *, content_type: str, filename: str, as_attachment: bool
) -> FileResponse:
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    if not as_attachment:
        response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def item_original(request: HttpRequest, pk: int) -> FileResponse:
    """The original, byte-for-byte, always as an attachment; each download is
    written to the custody log."""
    item = selectors.evidence_for_media(user=request.user, item_id=pk)
    if not item.file:
        raise Http404("This evidence has no file.")
    services.evidence_original_download(item_id=item.pk, actor=request.user)
    stem = PurePath(item.original_filename).stem or f"evidence-{item.pk}"
    filename = f"{stem}{PurePath(item.file.name).suffix}"
    return _file_response(
        item.file,
        content_type=item.mime_type or "application/octet-stream",
        filename=filename,
        as_attachment=True,
    )


def _derivative(request: HttpRequest, pk: int, which: str) -> FileResponse:
    item = selectors.evidence_for_media(user=request.user, item_id=pk)
    detail = getattr(item, "image", None)
    field = getattr(detail, which, None) if detail else None
    if not field:
        raise Http404("No such derivative yet.")
    suffix = PurePath(field.name).suffix.lower()
    content_type = {".jpg": "image/jpeg", ".webp": "image/webp"}.get(suffix)
    if content_type is None:
        raise Http404
    return _file_response(
        field,
        content_type=content_type,
        filename=f"evidence-{item.pk}-{which}{suffix}",
        as_attachment=False,
    )


@login_required
@require_GET
def item_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return _derivative(request, pk, "thumbnail")


@login_required
@require_GET
def item_display(request: HttpRequest, pk: int) -> FileResponse:
    return _derivative(request, pk, "display")


# A capture's files: the screenshot is shown in the page; the others are
# downloads, each written to the custody log.
_INLINE_CAPTURE_FILES = frozenset({"screenshot"})
_CAPTURE_SUFFIXES = {
    "wacz": ".wacz",
    "screenshot": ".png",
    "dom": ".html",
    "text": ".txt",
    "summary": ".json",
}


@login_required
@require_GET
def capture_file(
    request: HttpRequest, pk: int, capture_id: int, role: str
) -> FileResponse:
    record = selectors.capture_file_for_media(
        user=request.user, item_id=pk, capture_id=capture_id, role=role
    )
    inline = record.role in _INLINE_CAPTURE_FILES
    if not inline:
        capture_services.capture_file_download(file_id=record.pk, actor=request.user)
    return _file_response(
        record.file,
        content_type=record.mime_type,
        filename=(
            f"evidence-{pk}-capture-{capture_id}-{record.role}"
            f"{_CAPTURE_SUFFIXES.get(record.role, '')}"
        ),
        as_attachment=not inline,
    )
