"""Issue 20 in a real browser: the Maria's page draws its owner; the drawing's node
and the Owners list lead to Azia Shipping Holdings, whose page draws its fleet and
its Moscow link; the claims about each are one click away; the date control shows
the graph as the team knew it before it was recorded. Screenshots at 1280 and
390 px."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from evidence import relationship_links
from provenance.claims import services as claim_services
from provenance.entities.models import EntityKind
from tests.factories import (
    EntityFactory,
    EvidenceItemFactory,
    MembershipFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
RECORDED = datetime(2023, 10, 16, 10, tzinfo=UTC)


@pytest.fixture
def graph(db):
    team = TeamFactory(name="Desk", slug="desk")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    maria = EntityFactory(team=team, name="Maria", slug="maria", kind=EntityKind.VESSEL)
    azia = EntityFactory(team=team, name="Azia Shipping Holdings", slug="azia")
    firm = EntityFactory(team=team, name="Moscow logistics firm", slug="moscow-firm")
    doc = EvidenceItemFactory(team=team, kind="document", title="RUSI analysis")
    owns = relationship_links.relationship_record(
        team=team,
        actor=reporter,
        kind="registered_owner",
        source_id=azia.pk,
        target_id=maria.pk,
        confidence="likely",
        confidence_rationale="RUSI's analysis",
        evidence=[relationship_links.EvidenceCitation(doc.pk, "supports", "")],
        at=RECORDED,
    )
    relationship_links.relationship_record(
        team=team,
        actor=reporter,
        kind="linked_to",
        source_id=azia.pk,
        target_id=firm.pk,
        description="Oversees MoD logistics, RUSI says",
        evidence=[relationship_links.EvidenceCitation(doc.pk, "supports", "")],
        at=RECORDED,
    )
    claim_services.claim_create(
        team=team, actor=reporter, text="The Maria carried containers", subjects=[maria]
    )
    claim_services.claim_create(
        team=team, actor=reporter, text="Azia is linked to Moscow", subjects=[azia]
    )
    return {"maria": maria, "azia": azia, "owns": owns}


def test_maria_page_leads_to_its_owner_and_the_claims_about_both(
    new_page, log_in, screenshots, console, graph
):
    shots = screenshots("graph-")
    page = new_page()
    log_in(page, "rita")
    page.goto("/entities/maria/")
    expect(page.get_by_role("heading", name="Maria", exact=True)).to_be_visible()
    drawing = page.locator("svg.entity-graph")
    expect(drawing).to_be_visible()
    expect(drawing.locator(f'a[data-node="{graph["azia"].pk}"]')).to_have_count(1)
    owners = page.locator('[data-section="owners"]')
    expect(owners).to_contain_text("Azia Shipping Holdings")
    expect(owners).to_contain_text("RUSI analysis")
    shots(page, "maria 1280")
    page.set_viewport_size(PHONE)
    shots(page, "maria 390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The drawing's node is a link to the owner's page.
    drawing.locator(f'a[data-node="{graph["azia"].pk}"]').click()
    expect(
        page.get_by_role("heading", name="Azia Shipping Holdings", exact=True)
    ).to_be_visible()
    expect(page.locator('[data-section="fleet"]')).to_contain_text("Maria")
    expect(page.locator('[data-section="linked"]')).to_contain_text(
        "Moscow logistics firm"
    )
    shots(page, "azia 1280")
    page.set_viewport_size(PHONE)
    shots(page, "azia 390")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Claims about each entity in view, one click away.
    in_view = page.locator("ul.in-view")
    in_view.locator("li", has_text="Azia Shipping Holdings").get_by_role(
        "link", name="1 claim about it"
    ).click()
    expect(page.get_by_role("link", name="Azia is linked to Moscow")).to_be_visible()
    expect(page.get_by_role("link", name="The Maria carried containers")).to_have_count(
        0
    )
    page.go_back()
    page.locator("ul.in-view li", has_text="Maria").get_by_role(
        "link", name="1 claim about it"
    ).click()
    expect(
        page.get_by_role("link", name="The Maria carried containers")
    ).to_be_visible()

    # As the team knew it the day before the edges were recorded: nothing.
    page.goto("/entities/maria/")
    form = page.get_by_role("form", name="Show the relationships as of a date")
    form.get_by_role("textbox", name="As of").fill("2023-10-15")
    form.get_by_role("combobox", name="Show").select_option("recorded")
    form.get_by_role("button", name="Show").click()
    expect(page.locator("#relationships")).to_contain_text(
        "No relationships recorded for this date."
    )
    shots(page, "maria as of 15 october")
    assert console.errors == []
