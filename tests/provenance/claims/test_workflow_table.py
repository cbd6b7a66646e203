"""The workflow table (`rules.WORKFLOW`) walked against the service: every decision
× every source status × every role, with the outcome the table's row predicts, and
the row as the thing that enforces it (change a row, the service follows)."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from provenance.audit.chain import chain_head
from provenance.claims import rules, services
from provenance.claims.models import Review
from provenance.claims.rules import WORKFLOW, InvalidTransition, Value, Who
from provenance.claims.views import ReviewDecisionForm
from provenance.publishing.models import OutboxEvent
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
)

STATUSES = ["draft", "in_review", "approved", "published", "retracted"]
ROLES = [
    "author",
    "other_reporter",
    "editor",
    "admin",
    "author_editor",
    "last_editor",
    "outsider",
]
# Roles whose claim under test is their own work (four eyes).
OWN_WORK = {"author", "author_editor", "last_editor"}
REPORTERS = {"author", "other_reporter"}
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# The table, written out: decision -> (sources, target, who, four eyes, comment
# required, outbox event, fields set, carries content, chosen by people).
EXPECTED_TABLE = {
    "submit": (
        {"draft"},
        "in_review",
        "author or editor",
        False,
        False,
        "",
        (),
        False,
        True,
    ),
    "approve": (
        {"in_review"},
        "approved",
        "editor",
        True,
        False,
        "",
        (("publish_at", "embargo"),),
        False,
        True,
    ),
    "request_changes": (
        {"in_review", "approved"},
        "draft",
        "editor",
        False,
        True,
        "",
        (("publish_at", "cleared"),),
        False,
        True,
    ),
    "publish": (
        {"approved"},
        "published",
        "editor",
        True,
        False,
        "claim.published",
        (("published_at", "at"), ("public_content_at", "at")),
        False,
        True,
    ),
    "correct": (
        {"published"},
        "published",
        "editor",
        True,
        True,
        "claim.corrected",
        (("correction_note", "comment"), ("public_content_at", "at")),
        True,
        True,
    ),
    "retract": (
        {"published"},
        "retracted",
        "editor",
        False,
        True,
        "claim.retracted",
        (("retraction_reason", "comment"),),
        False,
        True,
    ),
    "edit": (
        {"approved"},
        "in_review",
        "member",
        False,
        False,
        "",
        (("publish_at", "cleared"),),
        False,
        False,
    ),
}


def test_the_table_is_the_workflow():
    assert {
        decision: (
            set(t.sources),
            t.target,
            str(t.who),
            t.four_eyes,
            bool(t.comment_required),
            t.outbox_event,
            tuple((field, str(source)) for field, source in t.sets),
            t.changes_content,
            t.chosen,
        )
        for decision, t in WORKFLOW.items()
    } == EXPECTED_TABLE


def test_the_review_form_offers_the_chosen_rows_in_table_order():
    assert [value for value, _ in ReviewDecisionForm().fields["decision"].choices] == [
        "submit",
        "approve",
        "request_changes",
        "publish",
        "correct",
        "retract",
    ]


@pytest.fixture
def people(team, reporter, editor):
    return {
        "author": reporter,
        "other_reporter": MembershipFactory(team=team, role="reporter").user,
        "editor": editor,
        "admin": MembershipFactory(team=team, role="admin").user,
        "author_editor": MembershipFactory(team=team, role="editor").user,
        "last_editor": MembershipFactory(team=team, role="editor").user,
        "outsider": MembershipFactory(role="editor").user,
    }


def claim_for(team, people, role, status):
    """A claim ready for approval, in `status`, that is `role`'s own work when the
    role says so."""
    author = people["author_editor"] if role == "author_editor" else people["author"]
    last = people["last_editor"] if role == "last_editor" else author
    claim = ClaimFactory(team=team, author=author, last_edited_by=last, status=status)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def predicted(transition, status, role):
    """What the row says taking the decision leads to: the target status, or the
    exception the service raises."""
    if not transition.chosen or status not in transition.sources:
        return InvalidTransition
    if role == "outsider":
        return PermissionDenied
    if transition.who == Who.EDITOR and role in REPORTERS:
        return PermissionDenied
    if transition.who == Who.AUTHOR_OR_EDITOR and role == "other_reporter":
        return PermissionDenied
    if transition.four_eyes and role in OWN_WORK:
        return PermissionDenied
    return transition.target


WALK = [(d, s, r) for d in WORKFLOW for s in STATUSES for r in ROLES]


@pytest.mark.parametrize(("decision", "status", "role"), WALK)
def test_every_decision_from_every_state_by_every_role(
    team, people, decision, status, role
):
    transition = WORKFLOW[decision]
    claim = claim_for(team, people, role, status)
    actor = people[role]
    head = chain_head(team)
    outcome = predicted(transition, status, role)
    if not isinstance(outcome, str):
        with pytest.raises(outcome):
            services.claim_transition(
                claim_id=claim.pk,
                decision=decision,
                actor=actor,
                expected_version=1,
                comment="Checked.",
                at=AT,
            )
        claim.refresh_from_db()
        assert (claim.status, claim.version) == (status, 1)
        assert Review.objects.count() == 0
        assert OutboxEvent.objects.count() == 0
        assert chain_head(team) == head
        return
    services.claim_transition(
        claim_id=claim.pk,
        decision=decision,
        actor=actor,
        expected_version=1,
        comment="Checked.",
        at=AT,
    )
    claim.refresh_from_db()
    assert (claim.status, claim.version) == (outcome, 2)
    assert list(
        Review.objects.values_list("decision", "from_status", "to_status", "by")
    ) == [(decision, status, outcome, actor.pk)]
    expected_values = {
        Value.AT: AT,
        Value.COMMENT: "Checked.",
        Value.EMBARGO: None,
        Value.CLEARED: None,
    }
    for field, source in transition.sets:
        assert getattr(claim, field) == expected_values[source], field
    events = list(OutboxEvent.objects.values_list("claim_id", "event_type"))
    assert events == (
        [(claim.pk, transition.outbox_event)] if transition.outbox_event else []
    )
    assert chain_head(team)[0] == head[0] + 1


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
def test_the_buttons_are_the_decisions_the_walk_allows(team, people, status, role):
    claim = claim_for(team, people, role, status)
    assert rules.allowed_decisions(user=people[role], claim=claim) == [
        decision
        for decision, transition in WORKFLOW.items()
        if isinstance(predicted(transition, status, role), str)
    ]


CHOSEN = [d for d, t in WORKFLOW.items() if t.chosen]


def source_of(decision):
    return sorted(WORKFLOW[decision].sources)[0]


@pytest.mark.parametrize("decision", CHOSEN)
def test_a_blank_comment_is_refused_exactly_where_the_row_requires_one(
    team, people, decision
):
    transition = WORKFLOW[decision]
    claim = claim_for(team, people, "editor", source_of(decision))
    take = {"claim_id": claim.pk, "decision": decision, "actor": people["editor"]}
    if transition.comment_required:
        with pytest.raises(ValidationError) as info:
            services.claim_transition(**take, comment="  ")
        assert info.value.message_dict == {"comment": [transition.comment_required]}
        assert Review.objects.count() == 0
    else:
        services.claim_transition(**take, comment="  ")
        assert Review.objects.get().comment == ""


@pytest.mark.parametrize("decision", CHOSEN)
def test_an_embargo_is_taken_exactly_where_the_row_sets_one(team, people, decision):
    transition = WORKFLOW[decision]
    claim = claim_for(team, people, "editor", source_of(decision))
    later = timezone.now() + timedelta(days=3)
    take = {
        "claim_id": claim.pk,
        "decision": decision,
        "actor": people["editor"],
        "comment": "Checked.",
        "publish_at": later,
    }
    if transition.takes_embargo:
        services.claim_transition(**take)
        claim.refresh_from_db()
        assert claim.publish_at == later
    else:
        with pytest.raises(ValidationError) as info:
            services.claim_transition(**take)
        assert info.value.message_dict == {
            "publish_at": ["Only an approval sets an embargo."]
        }


@pytest.mark.parametrize("decision", CHOSEN)
def test_new_content_comes_only_with_the_row_that_carries_it(team, people, decision):
    transition = WORKFLOW[decision]
    claim = claim_for(team, people, "editor", source_of(decision))
    take = {
        "claim_id": claim.pk,
        "decision": decision,
        "actor": people["editor"],
        "comment": "Checked.",
        "changes": {"summary": "New summary."},
    }
    if transition.changes_content:
        services.claim_transition(**take)
        claim.refresh_from_db()
        assert (claim.summary, claim.last_edited_by) == (
            "New summary.",
            people["editor"],
        )
    else:
        with pytest.raises(
            ValueError, match=r"Only a correction changes the content\."
        ):
            services.claim_transition(**take)


def test_edit_is_a_row_nobody_chooses(team, people):
    claim = claim_for(team, people, "editor", "approved")
    with pytest.raises(InvalidTransition, match="Unknown decision 'edit'"):
        services.claim_transition(
            claim_id=claim.pk, decision="edit", actor=people["editor"]
        )


def test_editing_an_approved_claim_takes_the_edit_row(team, people):
    claim = claim_for(team, people, "editor", "approved")
    claim.publish_at = AT + timedelta(days=400)
    claim.save(update_fields=["publish_at"])
    services.claim_update(
        claim_id=claim.pk, actor=people["author"], expected_version=1, text="Edited"
    )
    claim.refresh_from_db()
    assert (claim.status, claim.publish_at) == ("in_review", None)
    assert list(
        Review.objects.values_list("decision", "from_status", "to_status", "comment")
    ) == [("edit", "approved", "in_review", WORKFLOW["edit"].default_comment)]


# The service reads the row: change the row and the service's rules change with it.


def test_a_row_given_four_eyes_refuses_the_author(team, people, monkeypatch):
    monkeypatch.setitem(
        WORKFLOW, "submit", dataclasses.replace(WORKFLOW["submit"], four_eyes=True)
    )
    claim = claim_for(team, people, "author", "draft")
    with pytest.raises(PermissionDenied, match="Four eyes"):
        services.claim_submit(claim_id=claim.pk, actor=people["author"])
    assert rules.allowed_decisions(user=people["author"], claim=claim) == []


def test_a_row_given_other_sources_moves_from_them(team, people, monkeypatch):
    monkeypatch.setitem(
        WORKFLOW,
        "retract",
        dataclasses.replace(WORKFLOW["retract"], sources=frozenset({"approved"})),
    )
    approved = claim_for(team, people, "editor", "approved")
    services.claim_retract(claim_id=approved.pk, actor=people["editor"], reason="Gone")
    approved.refresh_from_db()
    assert approved.status == "retracted"
    published = claim_for(team, people, "editor", "published")
    with pytest.raises(InvalidTransition):
        services.claim_retract(
            claim_id=published.pk, actor=people["editor"], reason="Gone"
        )


def test_a_row_open_to_members_lets_a_reporter_decide(team, people, monkeypatch):
    monkeypatch.setitem(
        WORKFLOW,
        "request_changes",
        dataclasses.replace(WORKFLOW["request_changes"], who=Who.MEMBER),
    )
    claim = claim_for(team, people, "other_reporter", "in_review")
    services.claim_request_changes(
        claim_id=claim.pk, actor=people["other_reporter"], comment="A date, please."
    )
    claim.refresh_from_db()
    assert claim.status == "draft"


def test_a_row_without_its_outbox_event_tells_publishers_nothing(
    team, people, monkeypatch
):
    monkeypatch.setitem(
        WORKFLOW, "retract", dataclasses.replace(WORKFLOW["retract"], outbox_event="")
    )
    claim = claim_for(team, people, "editor", "published")
    services.claim_retract(claim_id=claim.pk, actor=people["editor"], reason="Gone")
    assert OutboxEvent.objects.count() == 0
