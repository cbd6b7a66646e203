"""Issue 12, finding 7: dates are bounded at input (1900-01-01 up to now, with a
day's grace for clocks and time zones), out-of-range `?as_of=` is a 400, stored bad
dates do not break the page or the chart, and page, API and exports agree on the
confidence in force."""

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from provenance.claims import selectors, services
from provenance.claims.models import Claim, QuantityEstimate
from provenance.publishing.exports import builders, queries
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceItemFactory,
)
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

OUT_OF_RANGE = "Enter a date between 1900-01-01 and now (UTC)."
AS_OF_OUT_OF_RANGE = "Enter a date between 1900-01-01 and tomorrow (UTC)."
FAR = "9999-12-31T00:00"
FAR_UTC = datetime(9999, 12, 31, tzinfo=UTC)


@pytest.fixture
def claim(team, reporter):
    return services.claim_create(team=team, actor=reporter, text="Dated claim")


# --- Input bounds ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [FAR, "1899-12-31T23:00"])
def test_assessment_form_refuses_an_effective_date_out_of_range(
    reporter_client, claim, value
):
    response = reporter_client.post(
        reverse("provenance:claim-assess", args=[claim.pk]),
        {"level": "likely", "rationale": "Sources", "effective_at": value},
    )
    assert response.status_code == 400
    assert response.context["assessment_form"].errors == {
        "effective_at": [OUT_OF_RANGE]
    }
    assert claim.assessments.count() == 0


def test_assessment_form_takes_a_date_a_few_hours_ahead(reporter_client, claim):
    """A day's grace: a reporter east of UTC types their local time."""
    soon = (timezone.now() + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    response = reporter_client.post(
        reverse("provenance:claim-assess", args=[claim.pk]),
        {"level": "likely", "rationale": "Sources", "effective_at": soon},
    )
    assert response.status_code == 302


def test_estimate_form_refuses_a_stated_date_in_the_far_future(reporter_client, claim):
    response = reporter_client.post(
        reverse("provenance:claim-quantity-estimate", args=[claim.pk]),
        {
            "bound": "about",
            "amount": "10",
            "unit": "ships",
            "source_label": "Agent",
            "stated_at": FAR,
        },
    )
    assert response.status_code == 400
    assert response.context["estimate_form"].errors == {"stated_at": [OUT_OF_RANGE]}
    assert QuantityEstimate.objects.count() == 0


def test_claim_form_refuses_a_first_appearance_in_the_future(reporter_client):
    response = reporter_client.post(
        reverse("provenance:claim-create"),
        {"text": "A claim", "first_appearance_at": FAR},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"first_appearance_at": [OUT_OF_RANGE]}
    assert Claim.objects.count() == 0


@pytest.mark.parametrize("field", ["observed_at", "obtained_at", "stated_at"])
def test_statement_form_refuses_dates_out_of_range(reporter_client, claim, field):
    data = {
        "title": "Spokesman",
        "quote": "We deny it.",
        "stated_at": "2024-01-01T10:00",
        "relation": "contradicts",
        "stance": "denies",
        "source_reliability": "F",
        "information_credibility": "6",
        field: FAR,
    }
    response = reporter_client.post(
        reverse("provenance:claim-evidence-add-statement", args=[claim.pk]), data
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [OUT_OF_RANGE]
    assert claim.evidence_links.count() == 0


def test_link_form_refuses_an_archive_date_in_the_future(reporter_client, claim):
    response = reporter_client.post(
        reverse("provenance:claim-evidence-add-link", args=[claim.pk]),
        {
            "url": "https://example.org/a",
            "relation": "supports",
            "source_reliability": "F",
            "information_credibility": "6",
            "archived_at": FAR,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["archived_at"] == [OUT_OF_RANGE]


def test_service_refuses_a_far_future_effective_date(claim, reporter):
    with pytest.raises(ValidationError) as info:
        services.confidence_assess(
            claim_id=claim.pk,
            actor=reporter,
            level="likely",
            rationale="Sources",
            effective_at=FAR_UTC,
        )
    assert info.value.message_dict == {"effective_at": [OUT_OF_RANGE]}


def test_api_assessment_with_a_far_future_date_is_400(reporter_client, claim):
    response = reporter_client.post(
        reverse("api:claim-assessments", args=[claim.pk]),
        {
            "level": "likely",
            "rationale": "Sources",
            "effective_at": "9999-12-31T00:00Z",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"effective_at": [OUT_OF_RANGE]}


def test_api_claim_with_a_future_first_appearance_is_400(reporter_client, team):
    response = reporter_client.post(
        reverse("api:claim-list"),
        {"text": "A claim", "first_appearance_at": "9999-12-31T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"first_appearance_at": [OUT_OF_RANGE]}


# --- ?as_of= ----------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-30", "1899-12-31"])
def test_page_as_of_out_of_range_is_400_with_the_reason(reporter_client, claim, as_of):
    response = reporter_client.get(claim.get_absolute_url(), {"as_of": as_of})
    assert response.status_code == 400
    assert response.context["as_of_form"].errors == {"as_of": [AS_OF_OUT_OF_RANGE]}


@pytest.mark.parametrize("as_of", ["9999-12-30", "9999-12-30T00:00:00Z", "1899-12-31"])
def test_api_as_of_out_of_range_is_400(reporter_client, claim, as_of):
    response = reporter_client.get(
        reverse("api:claim-detail", args=[claim.pk]), {"as_of": as_of}
    )
    assert response.status_code == 400
    assert response.json() == {"as_of": [AS_OF_OUT_OF_RANGE]}


# --- Rows already stored with bad dates -----------------------------------------------


def test_stored_far_future_dates_do_not_break_the_page_or_the_chart(
    reporter_client, team, claim, reporter
):
    AssessmentFactory(claim=claim, level="likely", effective_at=FAR_UTC)
    QuantityEstimate.objects.create(
        claim=claim,
        amount=3,
        unit="ships",
        bound="about",
        source_label="Agent",
        stated_at=FAR_UTC,
    )
    item = EvidenceItemFactory(team=team, observed_at=FAR_UTC)
    ClaimEvidenceFactory(claim=claim, item=item)
    page = reporter_client.get(claim.get_absolute_url())
    assert page.status_code == 200
    chart = reporter_client.get(
        reverse("provenance:claim-timeline-svg", args=[claim.pk])
    )
    assert chart.status_code == 200
    assert chart.content.startswith(b"<svg")
    as_of = reporter_client.get(claim.get_absolute_url(), {"as_of": "2024-01-01"})
    assert as_of.status_code == 200


# --- One meaning of "current" ---------------------------------------------------------


def test_page_api_and_exports_agree_on_the_confidence_in_force(
    team, reporter, reporter_client
):
    now = timezone.now()
    claim = ClaimFactory(
        team=team,
        author=reporter,
        status="published",
        published_at=now - timedelta(days=3),
        public_content_at=now,
    )
    AssessmentFactory(
        claim=claim,
        level="unlikely",
        effective_at=now - timedelta(days=2),
        recorded_at=now - timedelta(days=2),
    )
    # Same effective time, recorded later: the later record wins the tie.
    AssessmentFactory(
        claim=claim,
        level="likely",
        effective_at=now - timedelta(days=1),
        recorded_at=now - timedelta(hours=20),
    )
    AssessmentFactory(
        claim=claim,
        level="very_unlikely",
        effective_at=now - timedelta(days=1),
        recorded_at=now - timedelta(hours=22),
    )
    # Stored before input was bounded: speaks for a time that has not come.
    AssessmentFactory(
        claim=claim, level="almost_certain", effective_at=FAR_UTC, recorded_at=now
    )
    Claim.objects.filter(pk=claim.pk).update(public_content_at=timezone.now())

    page = reporter_client.get(claim.get_absolute_url())
    assert page.context["shown"].confidence.level == "likely"
    assert b'class="conf-level" data-confidence="likely"' in page.content
    member = reporter_client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert member["confidence"]["level"] == "likely"
    publisher = publisher_client(make_publisher(team).key)
    public = publisher.get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert public["confidence"]["level"] == "likely"
    line = b"".join(publisher.get(reverse("api:export-claims")).streaming_content)
    assert orjson.loads(line)["confidence"]["level"] == "likely"
    listed = reporter_client.get(reverse("provenance:claim-list"))
    assert [c.current_confidence for c in listed.context["page"]] == ["likely"]
    assert selectors.current_assessment(claim).level == "likely"
    loaded = queries.with_export_relations(
        Claim.objects.filter(pk=claim.pk), public=True
    ).get()
    export = builders.claim_export(loaded, public=True, urls=builders.ExportUrls())
    assert export.confidence.level == "likely"
