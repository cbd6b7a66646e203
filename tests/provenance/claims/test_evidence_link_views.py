"""Issue 15, items 1 and 4 on the pages: changing and unlinking evidence links from
the claim page, and the review that explains itself (the author's banner, the
queue's submission comment and age, each role's controls and help)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from provenance.claims import services
from provenance.claims.models import Claim, ClaimEvidence, ClaimStatus, Review
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    UserFactory,
)

QUEUE = reverse("provenance:review-queue")


@pytest.fixture
def claim(team, reporter):
    return services.claim_create(team=team, actor=reporter, text="The ship was there")


@pytest.fixture
def link(claim, team, reporter):
    denial = StatementFactory(item__team=team, item__title="Owner's denial").item
    return services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="contradicts",
        stance="denies",
    )


def change_url(link):
    return reverse("provenance:claim-link-change", args=[link.claim_id, link.pk])


def unlink_url(link):
    return reverse("provenance:claim-link-unlink", args=[link.claim_id, link.pk])


# --- Change and unlink -------------------------------------------------------------


def test_claim_page_offers_change_for_each_link(link, reporter_client):
    page = reporter_client.get(link.claim.get_absolute_url()).content.decode()
    assert f'href="{change_url(link)}"' in page


def test_change_form_is_prefilled_with_the_link(link, reporter_client):
    response = reporter_client.get(change_url(link))
    assert response.status_code == 200
    form = response.context["change_form"]
    assert (form["relation"].value(), form["stance"].value()) == (
        "contradicts",
        "denies",
    )


def test_reporter_changes_a_stance_with_a_reason(link, reporter_client, reporter):
    response = reporter_client.post(
        change_url(link),
        {
            "change-relation": "contradicts",
            "change-stance": "declines_to_comment",
            "change-note": "",
            "change-reason": "They declined to comment; no denial",
        },
    )
    assert response.status_code == 302
    current = ClaimEvidence.objects.current().get(claim_id=link.claim_id)
    assert (current.stance, current.reason, current.replaces_id) == (
        "declines_to_comment",
        "They declined to comment; no denial",
        link.pk,
    )
    page = reporter_client.get(link.claim.get_absolute_url()).content.decode()
    assert "Changed and unlinked links (1)" in page
    assert "They declined to comment; no denial" in page


def test_change_without_a_reason_is_refused_on_the_page(link, reporter_client):
    response = reporter_client.post(
        change_url(link),
        {"change-relation": "supports", "change-stance": "denies"},
    )
    assert response.status_code == 400
    assert response.context["change_form"].errors == {
        "reason": ["This field is required."]
    }
    assert ClaimEvidence.objects.current().get(pk=link.pk)


def test_contradictory_change_is_refused_until_confirmed(link, reporter_client):
    data = {
        "change-relation": "supports",
        "change-stance": "denies",
        "change-reason": "Trying",
    }
    response = reporter_client.post(change_url(link), data)
    assert response.status_code == 400
    assert response.context["change_form"].errors["stance"] == [
        services.CONTRADICTION_REFUSED
    ]
    response = reporter_client.post(
        change_url(link), {**data, "change-confirm_contradiction": "on"}
    )
    assert response.status_code == 302
    current = ClaimEvidence.objects.current().get(claim_id=link.claim_id)
    assert current.is_contradictory is True
    page = reporter_client.get(link.claim.get_absolute_url()).content.decode()
    assert "contradictory, confirmed" in page


def test_editor_unlinks_a_wrong_link(link, editor_client, editor):
    response = editor_client.post(
        unlink_url(link), {"unlink-reason": "About another ship"}
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.unlinked_by, link.unlink_reason) == (editor, "About another ship")
    page = editor_client.get(link.claim.get_absolute_url()).content.decode()
    assert "No evidence linked yet." in page
    assert "About another ship" in page
    assert editor_client.get(change_url(link)).status_code == 404


def test_unlink_without_a_reason_is_refused(link, editor_client):
    response = editor_client.post(unlink_url(link), {"unlink-reason": ""})
    assert response.status_code == 400
    link.refresh_from_db()
    assert link.unlinked_at is None


def test_as_of_page_shows_the_old_link_without_controls(
    link, reporter_client, reporter
):
    changed_at = timezone.now() + timedelta(days=2)
    services.evidence_link_change(
        link_id=link.pk,
        actor=reporter,
        stance="declines_to_comment",
        reason="No denial",
        at=changed_at,
    )
    day = (changed_at - timedelta(days=1)).date().isoformat()
    response = reporter_client.get(link.claim.get_absolute_url(), {"as_of": day})
    assert [(ln.pk, ln.stance) for ln in response.context["links"]] == [
        (link.pk, "denies")
    ]
    page = response.content.decode()
    assert "Change…" not in page
    assert "Changed and unlinked links" not in page


def test_published_claim_change_says_it_waits_for_a_correction(
    team, reporter, editor, editor_client
):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.PUBLISHED)
    link = ClaimEvidenceFactory(claim=claim)
    response = editor_client.get(change_url(link))
    assert "until an editor other than you publishes the next correction" in (
        response.content.decode()
    )
    response = editor_client.post(
        unlink_url(link), {"unlink-reason": "Wrong photo"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Link removed. Publishers see it with the next correction."
    ]


@pytest.mark.parametrize("ended", [2, 20])
def test_claim_page_query_count_does_not_grow_with_ended_links(
    team, reporter, reporter_client, django_assert_max_num_queries, ended
):
    claim = services.claim_create(team=team, actor=reporter, text="Many changes")
    for n in range(ended):
        item = EvidenceItemFactory(team=team, title=f"Photo {n}")
        link = services.evidence_attach(
            claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
        )
        link = services.evidence_link_change(
            link_id=link.pk, actor=reporter, relation="context", reason=f"r{n}"
        )
        if n % 2:
            services.evidence_unlink(link_id=link.pk, actor=reporter, reason="off")
    url = claim.get_absolute_url()
    reporter_client.get(url)  # warm the session and membership caches
    # 15, and 3 for the comment thread, the watch state and the assignable members,
    # 1 for the relationships the claim cites (issue 20), 1 for the map's places
    # and linked geography and 1 for the counts on linked images (issue 21).
    with django_assert_max_num_queries(21):
        response = reporter_client.get(f"{url}?as_of=2099-01-01")
    assert len(response.context["links"]) == ended // 2


# --- Review that explains itself ---------------------------------------------------


@pytest.fixture
def ready(team, reporter):
    """A draft by the reporter, ready for review (support and an assessment)."""
    claim = services.claim_create(team=team, actor=reporter, text="Ready claim")
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
    )
    AssessmentFactory(claim=claim, level="likely")
    return Claim.objects.get(pk=claim.pk)


def test_author_sees_a_banner_with_the_editors_comment(
    ready, reporter, editor, reporter_client
):
    services.claim_submit(claim_id=ready.pk, actor=reporter, comment="Please check")
    services.claim_request_changes(
        claim_id=ready.pk,
        actor=editor,
        comment="Name the port authority source.",
    )
    response = reporter_client.get(ready.get_absolute_url())
    page = response.content.decode()
    assert 'class="changes-requested"' in page
    assert "Name the port authority source." in page
    assert "edit the claim, then submit it for review again" in page


def test_banner_goes_once_the_author_resubmits(
    ready, reporter, editor, reporter_client
):
    services.claim_submit(claim_id=ready.pk, actor=reporter)
    services.claim_request_changes(claim_id=ready.pk, actor=editor, comment="Fix it.")
    services.claim_submit(claim_id=ready.pk, actor=reporter, comment="Fixed.")
    page = reporter_client.get(ready.get_absolute_url()).content.decode()
    assert 'class="changes-requested"' not in page


def test_reporters_list_marks_changes_requested(
    ready, reporter, editor, reporter_client
):
    services.claim_submit(claim_id=ready.pk, actor=reporter)
    services.claim_request_changes(claim_id=ready.pk, actor=editor, comment="Fix it.")
    page = reporter_client.get(QUEUE).content.decode()
    assert "<strong>Changes requested</strong> by" in page


def test_queue_shows_the_submission_comment_and_age(ready, reporter, editor_client):
    services.claim_submit(
        claim_id=ready.pk, actor=reporter, comment="The AIS file is the key part."
    )
    Review.objects.filter(claim=ready).update(at=timezone.now() - timedelta(days=3))
    response = editor_client.get(QUEUE)
    [row] = response.context["queue"]
    assert row.submission_comment == "The AIS file is the key part."
    assert row.submitted_by == reporter.username
    page = response.content.decode()
    assert f"{reporter.username} wrote:</span> The AIS file is the key part." in page
    assert "3\xa0days" in page


def test_reporter_is_not_shown_the_editors_comment_rules(ready, reporter_client):
    page = reporter_client.get(ready.get_absolute_url()).content.decode()
    assert "(optional: the editors see it in the queue)" in page
    assert "retract" not in page.lower()


def test_editor_is_shown_the_rules_of_their_decisions(ready, reporter, editor_client):
    services.claim_submit(claim_id=ready.pk, actor=reporter)
    page = editor_client.get(ready.get_absolute_url()).content.decode()
    assert "(required to request changes)" in page


def test_correct_button_only_for_those_who_may_correct(
    team, reporter, editor_client, reporter_client
):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.PUBLISHED)
    correct = reverse("provenance:claim-correct", args=[claim.pk])
    assert correct not in reporter_client.get(claim.get_absolute_url()).content.decode()
    assert correct in editor_client.get(claim.get_absolute_url()).content.decode()


# --- Admin: read-only, with the way to the page ------------------------------------


def test_admin_shows_every_link_version_read_only_with_the_page_link(
    link, team, reporter, login_as
):
    new = services.evidence_link_change(
        link_id=link.pk,
        actor=reporter,
        stance="declines_to_comment",
        reason="No denial",
    )
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="provenance",
            codename__in=["view_claim", "view_claimevidence"],
        )
    )
    MembershipFactory(team=team, user=user, role="editor")
    client = login_as(user)
    page = client.get(
        reverse("admin:provenance_claim_change", args=[link.claim_id])
    ).content.decode()
    assert page.count(f'href="{change_url(new)}"') == 1
    assert change_url(link) not in page
    assert "No denial" in page
    assert 'name="evidence_links-0-relation"' not in page
