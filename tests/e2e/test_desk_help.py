"""Issue 15 in a real browser, from the reporter's side: the version history
(problem 3), the AIS map with land and a broken track (problem 5) and the claim
form's help (problem 8: add a missing actor without leaving the form, filter the
subjects, the glossary). Screenshots at 1280 and 390 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from evidence.ais.services import ais_process, evidence_add_ais
from provenance.claims.models import Claim
from provenance.entities.models import Entity, EntityKind
from tests.factories import EntityFactory, MembershipFactory, TeamFactory
from tests.provenance.claims.test_back_dated import make_back_dated_claim

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AIS = Path(__file__).resolve().parent.parent / "data" / "ais" / "marinecadastre.csv"


@pytest.fixture
def desk(db):
    team = TeamFactory(name="Investigations", slug="investigations")
    people = {
        name: MembershipFactory(team=team, role=role, user__username=name).user
        for name, role in (("rita", "reporter"), ("ed", "editor"), ("eve", "editor"))
    }
    EntityFactory(team=team, kind=EntityKind.GOVERNMENT, name="Russian Federation")
    EntityFactory(team=team, kind=EntityKind.PORT, name="Rajin", slug="rajin")
    claim = make_back_dated_claim(team, people["rita"], people["ed"], people["eve"])
    return {"team": team, "claim": claim, **people}


@pytest.mark.parametrize("width", [1280, 390])
def test_reporter_adds_an_actor_from_the_claim_form(
    desk, new_page, log_in, screenshots, width
):
    shot = screenshots(f"claim-form-{width}-")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "rita")
    page.goto("/claims/new/")
    page.get_by_label("Text:").fill("The Angara carried containers from Rajin.")
    page.get_by_label("Filter subjects").fill("russ")
    shown = page.locator("#id_subjects option:not([hidden])").all_text_contents()
    assert shown == ["Russian Federation"]
    shot(page, "filtered")
    page.get_by_label("Kind:").select_option("vessel")
    page.get_by_label("Name:", exact=True).fill("Angara")
    page.get_by_role("button", name="Add actor").click()
    expect(page.get_by_text("Vessel “Angara” added.")).to_be_visible()
    # What was typed stayed; the new actor is selected among the subjects.
    expect(page.get_by_label("Text:")).to_have_value(
        "The Angara carried containers from Rajin."
    )
    angara = Entity.objects.get(team=desk["team"], name="Angara")
    assert page.locator(f"#id_subjects option[value='{angara.pk}']").evaluate(
        "o => o.selected"
    )
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "actor-added")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The Angara carried containers from Rajin."
    )
    claim = Claim.objects.get(text="The Angara carried containers from Rajin.")
    assert list(claim.subjects.values_list("name", flat=True)) == ["Angara"]
    page.get_by_role("link", name="ICD-203 scale").click()
    expect(
        page.get_by_role("heading", name="Confidence: the ICD-203 scale")
    ).to_be_visible()
    shot(page, "glossary")


def test_reporter_reads_the_version_history(desk, new_page, log_in, screenshots):
    shot = screenshots("versions-")
    page = new_page()
    log_in(page, "rita")
    page.goto(f"/claims/{desk['claim'].pk}/")
    page.get_by_role("link", name="Versions").click()
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()
    first = page.locator(".version").first
    expect(first).to_contain_text("Correct: Correction: the port is Rajin, not Najin.")
    expect(first.locator(".changes")).to_contain_text(
        "Correction note— → Correction: the port is Rajin, not Najin."
    )
    shot(page, "1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    shot(page, "390")


def test_ais_map_shows_land_and_the_dark_period_apart(
    desk, new_page, log_in, screenshots
):
    shot = screenshots("ais-map-")
    with AIS.open("rb") as upload:
        item = evidence_add_ais(
            team=desk["team"],
            actor=desk["rita"],
            upload=upload,
            filename=AIS.name,
            enqueue=False,
            is_synthetic=True,
        )
    ais_process(item_id=item.pk)
    page = new_page()
    log_in(page, "rita")
    page.goto(f"/evidence/{item.pk}/ais/")
    svg = page.locator("svg[aria-label^='AIS tracks']")
    expect(svg.locator("path.land")).to_have_count(1)
    expect(svg.locator("g.scale text")).to_contain_text(" nm (")
    shot(page, "1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    shot(page, "390")


def test_editor_reaches_the_review_buttons_on_a_phone(
    desk, new_page, log_in, screenshots
):
    from provenance.claims import services
    from tests.factories import EvidenceItemFactory

    shot = screenshots("review-queue-phone-")
    claim = services.claim_create(
        team=desk["team"], actor=desk["rita"], text="Ships left Rajin at night."
    )
    item = EvidenceItemFactory(team=desk["team"], title="Night photo")
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=desk["rita"], relation="supports"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=desk["rita"], level="likely", rationale="A photo."
    )
    services.claim_submit(claim_id=claim.pk, actor=desk["rita"], comment="Ready.")
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "ed")
    page.goto("/review/")
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    for name in ("Approve", "Request changes"):
        button = page.get_by_role("button", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390, name
    expect(page.locator(".review-queue")).to_contain_text("Ready.")
    shot(page, "390")


@pytest.mark.parametrize("width", [1280, 390])
def test_reporter_adds_the_speaker_from_the_statement_form(
    desk, new_page, log_in, screenshots, width
):
    """From the claim: Add evidence → Statement; the speaker is missing, so the
    reporter adds her on the form, then adds the denial, linked as it should be."""
    from evidence.models import EvidenceItem
    from provenance.claims.models import ClaimEvidence

    shot = screenshots(f"statement-form-{width}-")
    claim = desk["claim"]
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "rita")
    page.goto(f"/claims/{claim.pk}/evidence/add/statement/")
    page.get_by_label("Relation:").select_option("contradicts")
    page.get_by_label("Stance:").select_option("denies")
    page.get_by_label("Stated at (UTC):").fill("2023-10-16T09:30")
    page.get_by_label("Quote:").fill("No containers left Rajin for Russia.")
    page.get_by_label("Kind:").select_option("person")
    page.get_by_label("Name:", exact=True).fill("A. Spokesperson (synthetic)")
    shot(page, "typed")
    page.get_by_role("button", name="Add actor").click()
    expect(
        page.get_by_text("Person “A. Spokesperson (synthetic)” added.")
    ).to_be_visible()
    expect(page.get_by_label("Quote:")).to_have_value(
        "No containers left Rajin for Russia."
    )
    expect(page.get_by_label("Stance:")).to_have_value("denies")
    speaker = Entity.objects.get(team=desk["team"], name="A. Spokesperson (synthetic)")
    expect(page.get_by_label("Speaker:")).to_have_value(str(speaker.pk))
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "actor-added")
    page.get_by_role("button", name="Add Statement").click()
    expect(page.get_by_text("Statement added and linked.")).to_be_visible()
    item = EvidenceItem.objects.get(statement__speaker=speaker)
    link = ClaimEvidence.objects.get(claim=claim, item=item)
    assert (link.relation, link.stance) == ("contradicts", "denies")
    shot(page, "linked")
