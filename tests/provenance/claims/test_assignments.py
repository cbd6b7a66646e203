import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims import assignments, notices, services
from provenance.claims.models import Assignment
from tests.factories import (
    ClaimFactory,
    EvidenceItemFactory,
    MembershipFactory,
)


@pytest.fixture
def claim(team, reporter):
    return ClaimFactory(team=team, author=reporter)


def test_assign_with_a_due_date_is_audited(claim, editor, reporter):
    assignment = assignments.claim_assign(
        claim_id=claim.pk, actor=editor, assignee=reporter, due_on=dt.date(2030, 1, 2)
    )
    assert (assignment.assignee, assignment.due_on) == (reporter, dt.date(2030, 1, 2))
    event = AuditEvent.objects.get(action="claim.assign")
    assert event.payload == {
        "assignee": reporter.username,
        "due_on": "2030-01-02",
        "previous": None,
    }


def test_reassigning_replaces_the_assignee(claim, editor, reporter, second_editor):
    assignments.claim_assign(claim_id=claim.pk, actor=editor, assignee=reporter)
    assignments.claim_assign(claim_id=claim.pk, actor=editor, assignee=second_editor)
    assert Assignment.objects.get().assignee == second_editor


def test_a_claim_cannot_be_assigned_to_another_teams_user(claim, editor, outsider):
    with pytest.raises(ValidationError):
        assignments.claim_assign(claim_id=claim.pk, actor=editor, assignee=outsider)


def test_another_teams_member_cannot_assign_or_watch(claim, reporter, outsider):
    with pytest.raises(PermissionDenied):
        assignments.claim_assign(claim_id=claim.pk, actor=outsider, assignee=reporter)
    with pytest.raises(PermissionDenied):
        assignments.claim_watch(claim_id=claim.pk, actor=outsider)


def test_unassign_is_audited(claim, editor, reporter):
    assignments.claim_assign(claim_id=claim.pk, actor=editor, assignee=reporter)
    assignments.claim_unassign(claim_id=claim.pk, actor=editor)
    assert Assignment.objects.count() == 0
    assert AuditEvent.objects.get(action="claim.unassign").payload == {
        "assignee": reporter.username
    }


def test_author_and_assignee_follow_until_they_unwatch(claim, reporter, editor, team):
    watcher = MembershipFactory(team=team).user
    assignments.claim_assign(claim_id=claim.pk, actor=reporter, assignee=editor)
    assignments.claim_watch(claim_id=claim.pk, actor=watcher)
    assert notices.followers(claim) == sorted(
        [reporter, editor, watcher], key=lambda u: u.pk
    )
    assignments.claim_watch(claim_id=claim.pk, actor=reporter, watching=False)
    assert reporter not in notices.followers(claim)
    assert AuditEvent.objects.filter(action="claim.unwatch").count() == 1


def test_a_former_member_follows_no_more(claim, reporter, team):
    watcher = MembershipFactory(team=team).user
    assignments.claim_watch(claim_id=claim.pk, actor=watcher)
    watcher.memberships.all().delete()
    assert notices.followers(claim) == [reporter]


def test_the_watch_button_toggles(client, claim, editor):
    client.force_login(editor)
    url = reverse("provenance:claim-watch", args=[claim.pk])
    client.post(url, {"watching": "1"})
    assert editor in notices.followers(claim)
    client.post(url, {"watching": "0"})
    assert editor not in notices.followers(claim)


def test_the_assign_form_assigns_and_unassigns(client, claim, editor, reporter):
    client.force_login(editor)
    url = reverse("provenance:claim-assign", args=[claim.pk])
    client.post(url, {"assignee": reporter.pk, "due_on": "2030-02-03"})
    assert Assignment.objects.get().due_on == dt.date(2030, 2, 3)
    client.post(url, {"assignee": ""})
    assert Assignment.objects.count() == 0


def test_the_assign_form_refuses_another_teams_user(client, claim, editor, outsider):
    client.force_login(editor)
    url = reverse("provenance:claim-assign", args=[claim.pk])
    response = client.post(url, {"assignee": outsider.pk})
    assert response.status_code == 302
    assert Assignment.objects.count() == 0


# --- My work ---------------------------------------------------------------------


def test_my_work_lists_overdue_first_and_changes_requested(
    client, team, reporter, editor, django_assert_max_num_queries
):
    later = ClaimFactory(team=team, author=editor, text="Later claim")
    overdue = ClaimFactory(team=team, author=editor, text="Overdue claim")
    undated = ClaimFactory(team=team, author=editor, text="Undated claim")
    for c, due in (
        (later, dt.date(2999, 1, 1)),
        (overdue, dt.date(2000, 1, 1)),
        (undated, None),
    ):
        assignments.claim_assign(
            claim_id=c.pk, actor=editor, assignee=reporter, due_on=due
        )
    draft = services.claim_create(team=team, actor=reporter, text="My sent back draft")
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=draft.pk, item_id=item.pk, actor=reporter, relation="supports"
    )
    services.confidence_assess(
        claim_id=draft.pk, actor=reporter, level="likely", rationale="r"
    )
    draft.refresh_from_db()
    services.claim_submit(
        claim_id=draft.pk, actor=reporter, expected_version=draft.version
    )
    draft.refresh_from_db()
    services.claim_request_changes(
        claim_id=draft.pk,
        actor=editor,
        comment="Name the second source.",
        expected_version=draft.version,
    )
    client.force_login(reporter)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("provenance:my-work"))
    html = response.content.decode()
    assert (
        html.index("Overdue claim")
        < html.index("Later claim")
        < html.index("Undated claim")
    )
    assert "overdue</span>" in html
    assert "Name the second source." in html
    assert "Review queue</h2>" not in html
    assert "My sent back draft" in html.split('id="watched-h"')[1]


def test_my_work_shows_editors_the_review_queue(client, team, editor):
    client.force_login(editor)
    html = client.get(reverse("provenance:my-work")).content.decode()
    assert "Review queue</h2>" in html


def test_my_work_is_in_the_nav(client, reporter):
    client.force_login(reporter)
    html = client.get(reverse("provenance:claim-list")).content.decode()
    assert '<a href="/my-work/">My work</a>' in html
