"""Review in the Django admin: the actions go through the same services, so the
workflow's rules hold there too; staff see only their own teams' rows."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim, ClaimStatus, Review
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
    UserFactory,
)

CHANGELIST = reverse("admin:provenance_claim_changelist")


def staff(team, role, login_as, *, superuser=False):
    user = UserFactory(is_staff=True, is_superuser=superuser)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="provenance",
            codename__in=["view_claim", "view_auditevent"],
        )
    )
    if team is not None:
        MembershipFactory(team=team, user=user, role=role)
    return user, login_as(user)


def ready_claim(team, author, status, **fields):
    claim = ClaimFactory(team=team, author=author, status=status, **fields)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def act(client, action, claims, *, seen=None, **extra):
    """POST a changelist action as the page does: each listed row carries the
    version it showed (`seen` overrides it: {pk: version or None to omit})."""
    versions = {c.pk: c.version for c in claims}
    versions.update(seen or {})
    return client.post(
        CHANGELIST,
        {
            "action": action,
            "_selected_action": [c.pk for c in claims],
            "index": 0,
            **{
                f"seen_version_{pk}": version
                for pk, version in versions.items()
                if version is not None
            },
            **extra,
        },
        follow=True,
    )


def message_texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def refused(claim, reason: str) -> str:
    return f"\u201c{claim.text}\u201d: refused \u2014 {reason}"


FOUR_EYES = (
    "Four eyes: you wrote or last edited this claim, so another editor must "
    "approve, publish or correct it."
)
# The message an applied action reports, per action.
APPLIED = {
    "review_submit": "Submitted: 1 claim(s).",
    "review_approve": "Approved: 1 claim(s).",
    "review_request_changes": "Sent back for changes: 1 claim(s).",
    "review_publish": "Published: 1 claim(s).",
    "review_correct": "Corrected: 1 claim(s).",
    "review_retract": "Retracted: 1 claim(s).",
}


ADMIN_ALLOWED = [
    ("draft", "review_submit", "", "in_review"),
    ("in_review", "review_approve", "", "approved"),
    ("in_review", "review_request_changes", "Add a source", "draft"),
    ("approved", "review_request_changes", "Hold it", "draft"),
    ("approved", "review_publish", "", "published"),
    ("published", "review_correct", "Date was wrong", "published"),
    ("published", "review_retract", "Source recanted", "retracted"),
]


@pytest.mark.parametrize(
    ("from_status", "action", "comment", "to_status"), ADMIN_ALLOWED
)
def test_editor_applies_each_transition_through_the_admin(
    team, reporter, login_as, from_status, action, comment, to_status
):
    user, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, from_status)
    response = act(client, action, [claim], comment=comment)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == to_status
    review = Review.objects.get(claim=claim)
    assert (review.by, review.comment) == (user, comment)
    assert AuditEvent.objects.filter(object_id=str(claim.pk)).count() == 1
    assert message_texts(response) == [APPLIED[action]]


@pytest.mark.parametrize(
    ("from_status", "action", "which", "decision"),
    [
        ("in_review", "review_submit", "An in review claim", "submit for review"),
        ("draft", "review_approve", "A draft claim", "approve"),
        ("in_review", "review_publish", "An in review claim", "publish"),
        ("draft", "review_correct", "A draft claim", "correct"),
        ("retracted", "review_retract", "A retracted claim", "retract"),
    ],
)
def test_transition_not_in_the_table_is_refused_in_the_admin(
    team, reporter, login_as, from_status, action, which, decision
):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, from_status)
    response = act(client, action, [claim], comment="Because")
    claim.refresh_from_db()
    assert claim.status == from_status
    assert message_texts(response) == [
        refused(claim, f"{which} cannot be given the decision '{decision}'.")
    ]
    assert Review.objects.count() == 0


def test_author_editor_cannot_approve_own_claim_in_the_admin(team, login_as):
    user, client = staff(team, "editor", login_as)
    claim = ready_claim(team, user, ClaimStatus.IN_REVIEW)
    response = act(client, "review_approve", [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert message_texts(response) == [refused(claim, FOUR_EYES)]


def test_author_editor_cannot_publish_own_claim_in_the_admin(team, login_as):
    user, client = staff(team, "editor", login_as)
    claim = ready_claim(team, user, ClaimStatus.APPROVED)
    response = act(client, "review_publish", [claim])
    claim.refresh_from_db()
    assert response.status_code == 200
    assert claim.status == ClaimStatus.APPROVED
    assert message_texts(response) == [refused(claim, FOUR_EYES)]


def test_reporter_staff_cannot_approve_in_the_admin(team, reporter, login_as):
    _, client = staff(team, "reporter", login_as)
    claim = ready_claim(team, reporter, ClaimStatus.IN_REVIEW)
    response = act(client, "review_approve", [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert message_texts(response) == [refused(claim, "Only editors may do this.")]


def test_superuser_outside_the_team_is_refused_by_the_service(team, reporter, login_as):
    _, client = staff(None, "", login_as, superuser=True)
    claim = ready_claim(team, reporter, ClaimStatus.IN_REVIEW)
    response = act(client, "review_approve", [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert message_texts(response) == [
        refused(claim, "You are not a member of this team.")
    ]


def test_retract_without_a_reason_is_refused_in_the_admin(team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, ClaimStatus.PUBLISHED)
    response = act(client, "review_retract", [claim], comment="")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert message_texts(response) == [refused(claim, "A retraction needs its reason.")]


def test_approve_without_evidence_is_refused_in_the_admin(team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.IN_REVIEW)
    response = act(client, "review_approve", [claim])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert message_texts(response) == [
        refused(
            claim,
            "This claim cannot be approved yet: it needs at least one supporting "
            "evidence link; it needs a confidence assessment.",
        )
    ]


def test_mixed_selection_applies_the_allowed_and_reports_the_refused(
    team, reporter, login_as
):
    user, client = staff(team, "editor", login_as)
    theirs = ready_claim(team, reporter, ClaimStatus.IN_REVIEW)
    mine = ready_claim(team, user, ClaimStatus.IN_REVIEW)
    response = act(client, "review_approve", [theirs, mine])
    assert dict(Claim.objects.values_list("pk", "status")) == {
        theirs.pk: "approved",
        mine.pk: "in_review",
    }
    assert message_texts(response) == [
        refused(mine, FOUR_EYES),
        "Approved: 1 claim(s).",
    ]


def test_approve_with_an_embargo_in_the_admin(team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, ClaimStatus.IN_REVIEW)
    act(client, "review_approve", [claim], publish_at="2999-05-01T12:00")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.publish_at.isoformat() == "2999-05-01T12:00:00+00:00"


def test_staff_see_only_their_own_teams_claims(team, other_team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    ClaimFactory(team=team, author=reporter, text="Ours in admin")
    theirs = ClaimFactory(team=other_team, text="Theirs in admin")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"Ours in admin" in response.content
    assert b"Theirs in admin" not in response.content
    page = client.get(
        reverse("admin:provenance_claim_change", args=[theirs.pk]), follow=True
    )
    assert page.redirect_chain == [(reverse("admin:index"), 302)]
    assert page.status_code == 200
    missing = f"Claim with ID \u201c{theirs.pk}\u201d doesn\u2019t exist."
    assert f"{missing} Perhaps it was deleted?" in page.content.decode()
    assert b"Theirs in admin" not in page.content


def test_staff_cannot_act_on_another_teams_claim(team, other_team, login_as):
    _, client = staff(team, "editor", login_as)
    theirs = ready_claim(
        other_team,
        MembershipFactory(team=other_team).user,
        ClaimStatus.IN_REVIEW,
    )
    act(client, "review_approve", [theirs])
    theirs.refresh_from_db()
    assert theirs.status == ClaimStatus.IN_REVIEW


def test_superuser_sees_every_team(team, other_team, login_as):
    _, client = staff(None, "", login_as, superuser=True)
    ClaimFactory(team=team, text="Team A claim")
    ClaimFactory(team=other_team, text="Team B claim")
    response = client.get(CHANGELIST)
    assert b"Team A claim" in response.content
    assert b"Team B claim" in response.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status__exact": "in_review"}, ["In review one"]),
        ({"confidence": "likely"}, ["In review one"]),
        ({"confidence": "none"}, ["Draft one"]),
    ],
)
def test_changelist_filters(team, reporter, login_as, query, expected):
    _, client = staff(team, "editor", login_as)
    ready_claim(team, reporter, ClaimStatus.IN_REVIEW, text="In review one")
    ClaimFactory(team=team, author=reporter, text="Draft one")
    response = client.get(CHANGELIST, query)
    shown = [c.text for c in response.context["cl"].result_list]
    assert shown == expected


def test_filters_by_team_author_and_confidence_offer_only_visible_rows(
    team, other_team, reporter, outsider, login_as, db
):
    user, client = staff(team, "editor", login_as)
    MembershipFactory(team=other_team, user=user, role="editor")
    ClaimFactory(team=team, author=reporter)
    ClaimFactory(team=other_team, author=outsider)
    hidden_team = MembershipFactory(role="editor").team
    ClaimFactory(team=hidden_team, author=UserFactory(username="hidden-author"))
    response = client.get(CHANGELIST)
    specs = {spec.title: spec for spec in response.context["cl"].filter_specs}
    assert {"status", "team", "author", "current confidence"} <= set(specs)
    assert {label for _, label in specs["team"].lookup_choices} == {
        "Team A",
        "Team B",
    }
    authors = {label for _, label in specs["author"].lookup_choices}
    assert authors == {reporter.username, outsider.username}


def test_claim_page_in_admin_is_read_only_with_history_and_trail(
    team, reporter, login_as
):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, ClaimStatus.IN_REVIEW, text="Admin view")
    act(client, "review_request_changes", [claim], comment="Needs the berth")
    response = client.get(reverse("admin:provenance_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert b"Needs the berth" in response.content  # review trail and audit trail
    assert b"claim.request_changes" in response.content
    assert b'name="_save"' not in response.content
    assert not response.context["has_change_permission"]


def test_claims_cannot_be_added_or_deleted_in_the_admin(team, login_as):
    _, client = staff(None, "", login_as, superuser=True)
    assert client.get(reverse("admin:provenance_claim_add")).status_code == 403
    response = client.get(CHANGELIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert "review_approve" in actions


def test_audit_events_are_scoped_to_the_staff_members_teams(
    team, other_team, reporter, outsider, login_as
):
    from provenance.claims import services

    services.claim_create(team=team, actor=reporter, text="Ours")
    services.claim_create(team=other_team, actor=outsider, text="Theirs")
    _, client = staff(team, "editor", login_as)
    response = client.get(reverse("admin:provenance_auditevent_changelist"))
    assert [e.team_id for e in response.context["cl"].result_list] == [team.pk]


def test_changelist_rows_carry_the_version_they_show(team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, "in_review")
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert (
        f'<input type="hidden" name="seen_version_{claim.pk}" '
        f'value="{claim.version}">' in response.content.decode()
    )


def test_admin_decision_without_the_listed_version_is_refused(team, reporter, login_as):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, "in_review")
    response = act(client, "review_approve", [claim], seen={claim.pk: None})
    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert message_texts(response) == [
        f"“{claim}”: refused — the version you saw is unknown; "
        "reload the list and decide again."
    ]


def test_admin_decision_on_a_version_changed_since_listing_is_refused(
    team, reporter, login_as
):
    _, client = staff(team, "editor", login_as)
    claim = ready_claim(team, reporter, "in_review")
    listed = claim.version
    Claim.objects.filter(pk=claim.pk).update(version=listed + 1, text="Changed")
    response = act(client, "review_approve", [claim], seen={claim.pk: listed})
    claim.refresh_from_db()
    assert claim.status == "in_review"
    assert claim.reviews.count() == 0
    [text] = message_texts(response)
    assert text.startswith(f"“{claim}”: refused — This claim changed since you opened")
