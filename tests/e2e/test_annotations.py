"""Issue 21 in the browser: a rectangle drawn with Annotorious on an image's display
copy, with a count, becomes a quantity estimate of the claim (traced back to the
annotation) and appears in the claim's export; a drawn annotation is changed on the
page (its shape dragged in Annotorious, its count retyped) while the estimate keeps
the count it was made from; a point and a polygon drawn with Annotorious' tools are
stored as SvgSelector shapes; the compare view shows two images with their capture
times. Screenshots at 1280 and 390 px."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from evidence.images.demo import synthetic_site_image
from evidence.images.services import evidence_add_image
from evidence.models import ImageAnnotation
from evidence.services import tasks_run_here
from provenance.claims import services
from provenance.claims.models import QuantityEstimate
from tests.e2e.conftest import PASSWORD
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUG = datetime(2023, 8, 24, 2, tzinfo=UTC)
OCT = datetime(2023, 10, 14, 2, tzinfo=UTC)


@pytest.fixture
def desk(db):
    team = TeamFactory(name="Desk", slug="desk")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    reporter.set_password(PASSWORD)
    reporter.save()
    claim = services.claim_create(
        team=team, actor=reporter, text="Hundreds of containers left Rajin."
    )
    images = []
    with tasks_run_here():
        for variant, when in ((1, AUG), (2, OCT)):
            item = evidence_add_image(
                team=team,
                actor=reporter,
                upload=io.BytesIO(
                    synthetic_site_image("rajin", captured_at=when, variant=variant)
                ),
                filename=f"rajin-{variant}.jpg",
                title=f"Rajin {when:%B} (synthetic)",
                observed_at=when,
                source="Synthetic imagery",
                is_synthetic=True,
            )
            services.evidence_attach(
                claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
            )
            images.append(item)
    return {"claim": claim, "images": images}


def test_a_drawn_count_becomes_the_claims_estimate_and_is_exported(
    desk, new_page, log_in, console, screenshots
):
    shots = screenshots("annotate-")
    page = new_page()
    log_in(page, "rita")
    image = desk["images"][1]
    page.goto(f"/evidence/{image.pk}/annotate/")
    stage = page.locator(".a9s-annotationlayer")
    stage.wait_for()
    box = page.locator("#annotate-image").bounding_box()
    # The display copy may be scaled in the page; drag over its top-left quarter.
    page.mouse.move(box["x"] + box["width"] * 0.05, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(
        box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.3, steps=8
    )
    page.mouse.up()
    form = page.locator("#annotate-form")
    expect(form).to_be_visible()
    form.get_by_label("Label").fill("containers")
    form.get_by_label("Count (optional)").fill("84")
    form.get_by_role("button", name="Save annotation").click()
    page.wait_for_url("**highlight=*")
    annotation = ImageAnnotation.objects.get(item=image)
    assert (annotation.shape, annotation.label, annotation.count) == (
        "rectangle",
        "containers",
        84,
    )
    # Stored in the ORIGINAL's pixels (1200 × 800), whatever size it was drawn at.
    (x0, y0), (x1, y1) = annotation.points
    assert (round(x0, -1), round(y0, -1)) == (60, 80), annotation.points
    assert (round(x1, -1), round(y1, -1)) == (300, 240), annotation.points
    expect(page.locator(f"#a{annotation.pk}")).to_have_class("highlighted")
    shots(page, "drawn")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "drawn-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    claim = desk["claim"]
    page.goto(claim.get_absolute_url())
    page.locator(f"[data-propose='{annotation.pk}']").click()
    counted = page.locator("[data-counted]")
    expect(counted).to_have_text(
        f"84 containers — counted on {image.title} (annotation by rita)"
    )
    estimate = QuantityEstimate.objects.get(claim=claim)
    assert (estimate.annotation_id, estimate.amount, estimate.unit) == (
        annotation.pk,
        84,
        "containers",
    )
    shots(page, "claim")
    counted.get_by_role("link").click()
    expect(page.locator(f"#a{annotation.pk}")).to_have_class("highlighted")

    response = page.request.get(f"/api/v1/claims/{claim.pk}/")
    assert response.status == 200
    exported = json.loads(response.body())
    assert exported["quantity_estimates"][0]["annotation"]["count"] == 84
    assert exported["annotations"][0]["target"]["selector"]["value"].startswith(
        "xywh=pixel:"
    )
    assert console.errors == []


def test_the_compare_view_shows_two_images_with_their_times(
    desk, new_page, log_in, console, screenshots
):
    shots = screenshots("compare-")
    page = new_page()
    log_in(page, "rita")
    first = desk["images"][0]
    page.goto(f"/evidence/{first.pk}/")
    page.get_by_role("link", name="Compare with…").click()
    figures = page.locator(".compare-figure")
    expect(figures).to_have_count(2)
    expect(figures.nth(0).locator("[data-captured]")).to_have_text(
        "Captured 24 Aug 2023 02:00 UTC"
    )
    expect(figures.nth(1).locator("[data-captured]")).to_have_text(
        "Captured 14 Oct 2023 02:00 UTC"
    )
    expect(figures.nth(0).locator("[data-source]")).to_have_text("Synthetic imagery")
    page.locator("#swipe-range").fill("20")
    clip = page.locator("[data-swipe-over]").evaluate("e => e.style.clipPath")
    assert clip == "inset(0px 80% 0px 0px)"
    shots(page, "wide")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "phone")
    assert console.errors == []


def _drag(page, box, start, end):
    page.mouse.move(
        box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    )
    page.mouse.down()
    page.mouse.move(
        box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=8
    )
    page.mouse.up()


def test_a_drawn_annotation_is_changed_on_the_page_and_its_estimate_keeps_its_count(
    desk, new_page, log_in, console, screenshots
):
    from evidence.images.annotations import annotation_create

    shots = screenshots("annotate-change-")
    image = desk["images"][1]
    reporter = desk["claim"].author
    annotation = annotation_create(
        item_id=image.pk,
        actor=reporter,
        shape="rectangle",
        points=[[60, 80], [300, 240]],
        label="containers",
        count=84,
    )
    estimate = services.quantity_estimate_from_annotation(
        claim_id=desk["claim"].pk, annotation_id=annotation.pk, actor=reporter
    )
    page = new_page()
    log_in(page, "rita")
    page.goto(f"/evidence/{image.pk}/annotate/")
    page.locator(".a9s-annotation").first.wait_for()
    # Selecting the shape on the image (Annotorious' selectAnnotation) opens the
    # form on it; its "Change" button would change the text only.
    box = page.locator("#annotate-image").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.2)
    form = page.locator("#annotate-form")
    expect(form).to_be_visible()
    page.locator(".a9s-annotation.selected .a9s-handle").first.wait_for()
    expect(form.get_by_label("Label")).to_have_value("containers")
    expect(form.get_by_label("Count (optional)")).to_have_value("84")
    # Drag the selected rectangle by its middle, 10 % of the image to the right.
    box = page.locator("#annotate-image").bounding_box()
    _drag(page, box, (0.15, 0.2), (0.25, 0.2))
    form.get_by_label("Count (optional)").fill("90")
    form.get_by_label("Note").fill("recounted")
    shots(page, "editing")
    form.get_by_role("button", name="Save annotation").click()
    page.wait_for_url("**highlight=*")
    annotation.refresh_from_db()
    assert (annotation.version, annotation.count, annotation.note) == (
        2,
        90,
        "recounted",
    )
    (x0, _), (x1, _) = annotation.points
    assert (round(x0, -1), round(x1, -1)) == (180, 420), annotation.points
    expect(page.locator(f"#a{annotation.pk} [data-count]")).to_have_text("90")
    estimate.refresh_from_db()
    assert estimate.annotation_revision.count == 84
    exported = json.loads(
        page.request.get(f"/api/v1/claims/{desk['claim'].pk}/").body()
    )
    assert exported["quantity_estimates"][0]["annotation"]["count"] == 84
    assert exported["annotations"][0]["count"] == 90
    shots(page, "changed")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "changed-phone")
    # Annotorious 2.7.14 now and then sizes a selected shape's corner handles
    # before the image has its on-screen size (an SVG "r: Infinity" message,
    # nothing drawn wrong); any other console error fails the test.
    assert [
        e for e in console.errors if 'attribute r: Expected length, "Infinity"' not in e
    ] == []


def test_a_point_and_a_polygon_drawn_in_the_browser_are_stored_as_svg(
    desk, new_page, log_in, console, screenshots
):
    shots = screenshots("annotate-shapes-")
    image = desk["images"][0]
    page = new_page()
    log_in(page, "rita")
    page.goto(f"/evidence/{image.pk}/annotate/")
    page.locator(".a9s-annotationlayer").wait_for()
    box = page.locator("#annotate-image").bounding_box()
    form = page.locator("#annotate-form")

    page.get_by_role("button", name="Point").click()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(form).to_be_visible()
    form.get_by_label("Label").fill("crane")
    form.get_by_role("button", name="Save annotation").click()
    page.wait_for_url("**highlight=*")

    page.locator(".a9s-annotationlayer").wait_for()
    page.get_by_role("button", name="Polygon").click()
    # Measured after the click: the reload scrolled to the point, the click back.
    box = page.locator("#annotate-image").bounding_box()

    # Annotorious' rubber-band polygon: drag the first edge, click each further
    # corner, double-click to close.
    def at(x, y):
        return box["x"] + box["width"] * x, box["y"] + box["height"] * y

    page.mouse.move(*at(0.6, 0.6))
    page.mouse.down()
    page.mouse.move(*at(0.9, 0.6), steps=8)
    page.mouse.up()
    for corner in ((0.9, 0.9), (0.6, 0.9)):
        page.mouse.move(*at(*corner), steps=8)
        page.mouse.down()
        page.mouse.up()
    page.mouse.dblclick(*at(0.6, 0.9))
    expect(form).to_be_visible()
    form.get_by_label("Label").fill("pits")
    form.get_by_label("Count (optional)").fill("3")
    form.get_by_role("button", name="Save annotation").click()
    # The URL had a highlight already (the point's): wait for the second item.
    expect(page.locator(".annotation-list > li")).to_have_count(2)

    point, polygon = ImageAnnotation.objects.filter(item=image).order_by("pk")
    assert (point.shape, point.label) == ("point", "crane")
    ((px, py),) = point.points
    assert (round(px, -1), round(py, -1)) == (600, 400), point.points
    assert (polygon.shape, polygon.label, polygon.count) == ("polygon", "pits", 3)
    assert len(polygon.points) >= 3, polygon.points
    # Its corners in the ORIGINAL's pixels (1200 × 800): 60-90 % across and down
    # (the rubber band may drop the last corner the double-click lands on).
    xs, ys = [p[0] for p in polygon.points], [p[1] for p in polygon.points]
    assert (round(min(xs), -1), round(max(xs), -1), round(min(ys), -1)) == (
        720,
        1080,
        480,
    ), polygon.points
    assert all(480 <= y <= 730 for y in ys), polygon.points
    listed = json.loads(
        page.request.get(f"/api/v1/evidence/{image.pk}/annotations/").body()
    )
    selectors = {
        a["body"][0]["value"]: a["target"]["selector"] for a in listed["items"]
    }
    assert selectors["crane"]["type"] == "SvgSelector"
    assert "<circle" in selectors["crane"]["value"]
    assert selectors["pits"]["type"] == "SvgSelector"
    assert "<polygon" in selectors["pits"]["value"]
    shots(page, "drawn")
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "drawn-phone")
    assert console.errors == []
