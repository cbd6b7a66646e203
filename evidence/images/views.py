"""Image pages: annotating an image (Annotorious draws; the JSON API stores, with a
no-JS form for a rectangle by numbers) and comparing two images of one place."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors
from evidence.forms import RectangleAnnotationForm
from evidence.images import annotations
from evidence.images.annotation_shapes import OverlayShape, overlay_svg
from evidence.models import EvidenceItem, EvidenceKind


def _image(request: HttpRequest, pk: int) -> EvidenceItem:
    team = selectors.current_team(request)
    item = selectors.evidence_for_page(team=team, item_id=pk)
    image = getattr(item, "image", None)
    if item.kind != EvidenceKind.IMAGE or image is None or not image.display:
        raise Http404("No processed image to show.")
    return item


def _highlight(request: HttpRequest) -> int | None:
    value = request.GET.get("highlight", "")
    return int(value) if value.isdigit() else None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def annotate(request: HttpRequest, pk: int) -> HttpResponse:
    item = _image(request, pk)
    form = RectangleAnnotationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = annotations.annotation_create(
                    item_id=item.pk, actor=request.user, **form.service_fields()
                )
            except ValidationError as exc:
                # The service names its own fields (points, label): all shown above.
                form.add_error(None, exc.messages)
            else:
                messages.success(request, "Annotation saved.")
                return redirect(f"{request.path}?highlight={created.pk}#a{created.pk}")
        status = 400
    rows = selectors.annotations_for_item(item=item)
    highlight = _highlight(request)
    image = item.image
    overlay = overlay_svg(
        (OverlayShape(a.shape, a.points, a.label, a.pk == highlight) for a in rows),
        width=image.width or 1,
        height=image.height or 1,
    )
    return render(
        request,
        "evidence/annotate.html",
        {
            "item": item,
            "image": image,
            "annotations": rows,
            "highlight": highlight,
            "overlay": overlay,
            "form": form,
            "compare_with": selectors.images_to_compare(team=item.team, item=item),
        },
        status=status,
    )


@login_required
@require_POST
def annotation_end(request: HttpRequest, pk: int, annotation_id: int) -> HttpResponse:
    team = selectors.current_team(request)
    annotation = selectors.annotation_for_team(team=team, annotation_id=annotation_id)
    if annotation.item_id != pk:
        raise Http404
    try:
        annotations.annotation_end(annotation_id=annotation.pk, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, "Annotation removed from the image.")
    return redirect("evidence:annotate", pk=pk)


@login_required
@require_safe
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    item = _image(request, pk)
    choices = selectors.images_to_compare(team=item.team, item=item)
    other_id = request.GET.get("with", "")
    chosen = next((c for c in choices if str(c.item.pk) == other_id), None)
    if chosen is None and choices and not other_id:
        chosen = choices[0]
    if other_id and chosen is None:
        raise Http404("No such image to compare with.")
    return render(
        request,
        "evidence/compare.html",
        {
            "item": item,
            "other": chosen.item if chosen else None,
            "chosen": chosen,
            "same_place": [c for c in choices if c.is_same_place],
            "same_claim": [c for c in choices if not c.is_same_place],
        },
    )
