"""Evidence pages: parse the request, call one selector or service, render.

Team and role come from ``request.membership`` (set by the project's middleware).
The claims an item is linked to are the claims room's read, loaded by the
templates through a tag (evidence sits below claims).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors, services, streaming
from evidence.captures import services as capture_services
from evidence.captures import textdiff
from evidence.documents import services as document_services
from evidence.documents.services import ON_BEHALF_KINDS, SPEAKER_KINDS
from evidence.forms import (
    FORMS_BY_KIND,
    CaptureDiffForm,
    EvidenceFilterForm,
    EvidenceForm,
    WaczImportForm,
)
from evidence.images import services as image_services
from evidence.images.process import ImageRejected
from evidence.maps.scene_pages import scene_page
from evidence.models import EvidenceItem, EvidenceKind
from evidence.services import presigned_url
from evidence.uploads import limited_upload
from provenance.accounts.second_factor import step_up_needed, step_up_response
from provenance.common import filters as shared_filters
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
def item_list(request: HttpRequest, *, narrow: shared_filters.Narrower) -> HttpResponse:
    """`narrow`: the subject and tag rule for evidence, which needs the claims
    room above this one (provenance.search.filters, passed by provenance.urls)."""
    team = selectors.current_team(request)
    filters = EvidenceFilterForm(request.GET or None)
    narrowing = shared_filters.narrow(
        narrow, team=team, filters=shared_filters.SharedFilters.read(request.GET)
    )
    items = selectors.evidence_list(
        team=team, keep=narrowing.keep, **filters.selector_kwargs()
    )
    if filters.is_bound and not filters.is_valid():
        items = items.none()  # an unreadable filter matches nothing (as claims)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evidence/item_list.html",
        {
            "page": page,
            "filters": filters,
            "filter_notes": narrowing.notes,
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
    response = render(request, "evidence/item_detail.html", context, status=status)
    if item.kind == EvidenceKind.LINK and settings.CAPTURE_REPLAY_ORIGIN:
        # The replay frame, from its own origin (evidence/captures/replay.py).
        response._csp_update = {"frame-src": [settings.CAPTURE_REPLAY_ORIGIN]}
    return response


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
        EvidenceKind.STATEMENT: capture_services.capture_again,
    }.get(item.kind, image_services.image_reprocess)
    try:
        reprocess(item_id=item.pk, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        captured = item.kind in capture_services.CAPTURED_KINDS
        messages.success(
            request,
            "Capture requested: every earlier capture is kept."
            if captured
            else "Queued for processing again.",
        )
    return redirect(item)


@login_required
@require_safe
def capture_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """The text diff between two captures of an item (unified or side by side)."""
    team = selectors.current_team(request)
    item, captures = selectors.capture_versions(team=team, item_id=pk)
    form = CaptureDiffForm(request.GET, captures=captures)
    diff = None
    old = new = None
    if form.is_valid():
        by_pk = {c.pk: c for c in captures}
        old, new = by_pk[form.cleaned_data["old"]], by_pk[form.cleaned_data["new"]]
        texts = selectors.capture_texts(
            team=team,
            item_id=item.pk,
            capture_ids=[old.pk, new.pk],
            max_chars=textdiff.MAX_CHARS,
        )
        (old_text, old_cut), (new_text, new_cut) = texts[old.pk], texts[new.pk]
        diff = textdiff.diff_texts(old_text, new_text, truncated=old_cut or new_cut)
    return render(
        request,
        "evidence/capture_diff.html",
        {
            "item": item,
            "form": form,
            "captures": captures,
            "old": old,
            "new": new,
            "diff": diff,
            "side_by_side": form.is_valid() and form.cleaned_data["view"] == "side",
            "limits": {
                "lines": textdiff.MAX_LINES,
                "rows": textdiff.MAX_ROWS,
                "chars": textdiff.MAX_CHARS,
            },
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


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
        return document_services.evidence_add_link(
            team=team,
            actor=actor,
            capture=bool(form.cleaned_data.get("capture")),
            **fields,
        )

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


@limited_upload("wacz")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def wacz_import(request: HttpRequest) -> HttpResponse:
    """Import a WACZ made elsewhere as a link's capture."""
    team = selectors.current_team(request)
    form = WaczImportForm(request.POST or None, request.FILES or None, team=team)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        item = refusals_as_errors(
            form,
            lambda: capture_services.evidence_import_wacz(
                team=team,
                actor=request.user,
                upload=upload,
                filename=upload.name,
                **form.service_fields(),
            ),
        )
        if item is not None:
            messages.success(request, "Web archive imported.")
            return redirect(item)
    return render(
        request,
        "evidence/item_form.html",
        {
            "form": form,
            "kind": "wacz",
            "kind_label": "Web archive (WACZ)",
            "duplicate": getattr(form, "duplicate", None),
            "cancel_url": reverse("evidence:item-list"),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- media: only through here, only for the owning team -------------------------------


def _file_response(
    field: FieldFile,
    *,
    content_type: str,
    filename: str,
    as_attachment: bool,
    request: HttpRequest | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The file streamed from storage (whole or by one byte range), or (a
    download, with S3_PRESIGNED_DOWNLOADS on) a redirect to a presigned URL of
    its object that expires soon. Callers have checked the member before calling."""
    if as_attachment and settings.S3_PRESIGNED_DOWNLOADS:
        url = presigned_url(
            field,
            content_type=content_type,
            disposition=content_disposition_header(True, filename),
        )
        if url is not None:
            response = HttpResponseRedirect(url)
            response["Cache-Control"] = "private, no-store"
            response["Referrer-Policy"] = "no-referrer"
            return response
    return streaming.file_response(
        field,
        content_type=content_type,
        filename=filename,
        as_attachment=as_attachment,
        request=request,
    )


@login_required
@require_GET
def item_original(request: HttpRequest, pk: int) -> HttpResponse:
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
    "timestamp": ".tsr",
}


@login_required
@require_safe
def capture_file(
    request: HttpRequest, pk: int, capture_id: int, role: str
) -> HttpResponse | StreamingHttpResponse:
    """A capture's file, whole or by one byte range (a WACZ is read by ranges).
    A download is written to the custody log once, when it reads from the
    file's start, not for each later range."""
    record = selectors.capture_file_for_media(
        user=request.user, item_id=pk, capture_id=capture_id, role=role
    )
    inline = record.role in _INLINE_CAPTURE_FILES
    if not inline and streaming.is_first_read(request):
        capture_services.capture_file_download(file_id=record.pk, actor=request.user)
    return _file_response(
        record.file,
        request=request,
        content_type=record.mime_type,
        filename=(
            f"evidence-{pk}-capture-{capture_id}-{record.role}"
            f"{_CAPTURE_SUFFIXES.get(record.role, '')}"
        ),
        as_attachment=not inline,
    )
