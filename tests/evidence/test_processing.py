"""The processing state machine: every legal move made exactly, every other move
refused with nothing written, and the reprocess and failure paths through it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from evidence import processing, services
from evidence.models import EvidenceItem, EvidenceKind, ProcessingState
from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.teams.models import Membership
from provenance.teams.rules import ensure_editor, ensure_member
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.django_db

STATES = [s.value for s in ProcessingState]
LEGAL = {
    ("pending", "running"),
    ("running", "running"),
    ("done", "running"),
    ("failed", "running"),
    ("running", "done"),
    ("pending", "failed"),
    ("running", "failed"),
    ("failed", "failed"),
    ("pending", "pending"),
    ("done", "pending"),
    ("failed", "pending"),
    # finished with a warning (an AIS import that kept no position): may be run
    # or queued again, like a finished item
    ("running", "warning"),
    ("warning", "running"),
    ("warning", "pending"),
}
ILLEGAL = sorted({(source, target) for source in STATES for target in STATES} - LEGAL)


def image_in(team, state: str, error: str = "") -> EvidenceItem:
    return EvidenceItemFactory(
        team=team,
        kind=EvidenceKind.IMAGE,
        processing_state=state,
        processing_error=error,
    )


def test_the_table_holds_exactly_the_legal_moves():
    table = {
        (source, target)
        for target, sources in processing.SOURCES.items()
        for source in sources
    }
    assert table == LEGAL
    assert {(s, t) for s in STATES for t in STATES if processing.can_move(s, t)} == (
        LEGAL
    )


@pytest.mark.parametrize(("source", "target"), sorted(LEGAL))
def test_every_legal_move_sets_the_state_and_the_error(team, source, target):
    item = image_in(team, source, error="earlier reason")
    error = "the reason" if target == "failed" else ""

    processing.move(item, target, error=error)

    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.processing_state, stored.processing_error) == (target, error)
    assert (item.processing_state, item.processing_error) == (target, error)


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
def test_every_other_move_is_refused_and_writes_nothing(team, source, target):
    item = image_in(team, source, error="kept")
    before = EvidenceItem.objects.filter(pk=item.pk).values().get()

    with pytest.raises(processing.IllegalMove) as refused:
        processing.move(item, target, error="x", audit="evidence.x")

    assert (refused.value.source, refused.value.target) == (source, target)
    assert EvidenceItem.objects.filter(pk=item.pk).values().get() == before
    assert AuditEvent.objects.count() == 0


def test_the_database_state_decides_not_the_instance(team):
    item = image_in(team, "pending")
    EvidenceItem.objects.filter(pk=item.pk).update(processing_state="running")

    with pytest.raises(processing.IllegalMove) as refused:
        processing.move(item, "pending")  # the instance still says pending

    assert refused.value.source == "running"
    assert str(refused.value) == "It is being processed now; wait for the result."
    assert EvidenceItem.objects.get(pk=item.pk).processing_state == "running"


def test_a_move_of_an_item_needing_no_processing_says_so(team):
    item = image_in(team, "not_needed")

    with pytest.raises(processing.IllegalMove) as refused:
        processing.move(item, "running")

    assert str(refused.value) == "This item needs no processing."


def test_a_move_writes_its_audit_event_and_other_fields(team, editor):
    item = image_in(team, "running")

    processing.move(
        item,
        "done",
        fields={"progress_done": 7, "progress_total": 7},
        audit="evidence.processed",
        payload={"rows": 7},
        actor=editor,
    )

    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.processing_state, stored.progress_done, stored.progress_total) == (
        "done",
        7,
        7,
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.payload, event.actor) == (
        "evidence.processed",
        {"rows": 7},
        editor,
    )
    assert list(verify_chain(team)) == []


def test_an_arriving_item_is_pending():
    item = EvidenceItem(kind=EvidenceKind.IMAGE)

    processing.arrive(item)

    assert (item.processing_state, item.processing_error) == ("pending", "")


@pytest.mark.parametrize("source", ["pending", "done", "failed"])
def test_reprocessing_queues_again_and_is_audited(team, editor, source):
    item = image_in(team, source, error="old")

    services.mark_for_reprocessing(
        item_id=item.pk, actor=editor, kind=EvidenceKind.IMAGE
    )

    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.processing_state, stored.processing_error) == ("pending", "")
    assert AuditEvent.objects.get().action == "evidence.reprocess"


def test_reprocessing_a_running_item_is_refused(team, editor):
    item = image_in(team, "running")

    with pytest.raises(processing.IllegalMove):
        services.mark_for_reprocessing(
            item_id=item.pk, actor=editor, kind=EvidenceKind.IMAGE
        )

    assert EvidenceItem.objects.get(pk=item.pk).processing_state == "running"
    assert AuditEvent.objects.count() == 0


def test_a_failure_is_recorded_with_its_reason_and_audited(team):
    item = image_in(team, "running")

    services.processing_failed(item, "Broken")

    stored = EvidenceItem.objects.get(pk=item.pk)
    assert (stored.processing_state, stored.processing_error) == ("failed", "Broken")
    event = AuditEvent.objects.get()
    assert (event.action, event.payload) == (
        "evidence.process_failed",
        {"error": "Broken"},
    )


# --- the one membership rule (provenance.teams.rules), as evidence uses it ------------


def test_signed_out_users_are_refused_as_such(team):
    for user in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied) as refused:
            ensure_member(user=user, team=team)
        assert str(refused.value) == "You must be signed in."


def test_members_of_another_team_are_refused(team, outsider):
    with pytest.raises(PermissionDenied) as refused:
        ensure_member(user=outsider, team=team)

    assert str(refused.value) == "You are not a member of this team."


def test_members_get_their_membership_and_only_editors_pass_the_editor_rule(
    team, reporter, editor
):
    assert ensure_member(user=reporter, team=team) == Membership.objects.get(
        user=reporter
    )
    assert ensure_editor(user=editor, team=team).role == "editor"
    with pytest.raises(PermissionDenied) as refused:
        ensure_editor(user=reporter, team=team)
    assert str(refused.value) == "Only editors may do this."


def test_a_reporter_cannot_lift_a_restriction_through_the_evidence_service(
    team, reporter
):
    item = EvidenceItemFactory(team=team, is_restricted=True)

    with pytest.raises(PermissionDenied) as refused:
        services.evidence_set_restricted(
            item_id=item.pk, actor=reporter, is_restricted=False
        )

    assert str(refused.value) == "Only an editor may lift a restriction."

    assert EvidenceItem.objects.get(pk=item.pk).is_restricted is True
