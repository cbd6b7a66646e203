"""Which new links and statements are captured (issue 18): asked for on the
form, or every new source when the team says so; a statement's source page;
capturing a link added without a capture; the team's setting itself."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from evidence.captures import services
from evidence.documents import services as document_services
from evidence.models import EvidenceItem, WebCapture
from provenance.accounts import services as team_services
from provenance.audit.models import AuditEvent
from provenance.teams.models import Team
from tests.factories import ClaimFactory, EntityFactory, MembershipFactory

GRADE = {"source_reliability": "B", "information_credibility": "3"}


@pytest.fixture
def capturing_team(team):
    Team.objects.filter(pk=team.pk).update(captures_new_sources=True)
    return team


@pytest.fixture
def speaker(team):
    return EntityFactory(team=team, kind="person", name="A. Spokes")


def _statement(client, speaker, **extra):
    return client.post(
        reverse("evidence:add-statement"),
        {
            "speaker": speaker.pk,
            "stated_at": "2026-03-04T09:00",
            "quote": "The vessel left at dawn.",
            "url": "https://example.org/statement",
            **GRADE,
            **extra,
        },
    )


def test_a_new_link_is_captured_after_commit_when_the_team_captures_sources(
    capturing_team, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = document_services.evidence_add_link(
            team=capturing_team, actor=editor, url="https://example.org/notice"
        )

    capture = WebCapture.objects.get(item=item)
    assert (item.processing_state, capture.requested_by, capture.captured_at) == (
        "pending",
        editor,
        None,
    )
    assert [c.__qualname__ for c in callbacks] == ["enqueue_on_commit.<locals>.enqueue"]
    added = AuditEvent.objects.get(action="evidence.add")
    assert added.payload["capture"] == capture.pk


def test_a_new_link_is_not_captured_when_the_team_setting_is_off(
    team, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = document_services.evidence_add_link(
            team=team, actor=editor, url="https://example.org/notice"
        )

    assert item.processing_state == "not_needed"
    assert not WebCapture.objects.exists()
    assert callbacks == []
    assert "capture" not in AuditEvent.objects.get(action="evidence.add").payload


def test_a_new_statement_source_is_captured_when_the_team_captures_sources(
    capturing_team, editor_client, speaker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _statement(editor_client, speaker)

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert (item.kind, item.processing_state) == ("statement", "pending")
    assert item.captures.get().requested_url == "https://example.org/statement"
    assert len(callbacks) == 1


def test_a_statement_without_a_url_is_not_captured_even_when_the_team_captures(
    capturing_team, editor, speaker
):
    item = document_services.evidence_add_statement(
        team=capturing_team,
        actor=editor,
        speaker=speaker,
        quote="No comment.",
        stated_at=speaker.created_at,
    )

    assert item.processing_state == "not_needed"
    assert not WebCapture.objects.exists()


def test_the_statement_form_captures_its_source_page_when_asked(
    team, editor_client, editor, speaker, settings, django_capture_on_commit_callbacks
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _statement(
            editor_client, speaker, capture="on", url="http://127.0.0.1:9/statement"
        )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert item.processing_state == "pending"
    assert item.captures.get().requested_by == editor
    assert len(callbacks) == 1


def test_the_statement_form_shows_the_capture_choice_under_the_url(editor_client):
    body = editor_client.get(reverse("evidence:add-statement")).content.decode()

    assert "Capture the source page now" in body
    assert body.index('name="url"') < body.index('name="capture"')
    assert (
        body.index('name="capture"') < body.index('name="archived_url"')
        if ('name="archived_url"' in body)
        else True
    )


def test_the_statement_form_needs_a_url_to_capture(editor_client, speaker):
    response = _statement(editor_client, speaker, capture="on", url="")

    assert response.status_code == 400
    assert "Give the URL of the page to capture." in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_the_statement_form_refuses_to_capture_a_loopback_source(
    editor_client, speaker, settings
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    response = _statement(
        editor_client, speaker, capture="on", url="http://127.0.0.1/statement"
    )

    assert response.status_code == 400
    assert (
        "This page cannot be captured: 127.0.0.1 resolves to a private, loopback "
        "or reserved address (127.0.0.1)."
    ) in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_a_statement_captured_from_a_claim_is_linked_and_captured(
    team, editor_client, editor, speaker, settings, django_capture_on_commit_callbacks
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    claim = ClaimFactory(team=team, author=editor)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(
            reverse("provenance:claim-evidence-add-statement", args=[claim.pk]),
            {
                "relation": "contradicts",
                "stance": "denies",
                "speaker": speaker.pk,
                "stated_at": "2026-03-04T09:00",
                "quote": "We deny it.",
                "url": "http://127.0.0.1:9/denial",
                "capture": "on",
                **GRADE,
            },
        )

    assert response.status_code == 302
    item = claim.evidence_links.get().item
    assert item.captures.get().requested_url == "http://127.0.0.1:9/denial"
    assert len(callbacks) == 1


def test_automatic_capture_of_a_loopback_url_keeps_the_link_and_records_the_refusal(
    capturing_team, editor, settings, django_capture_on_commit_callbacks
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    with django_capture_on_commit_callbacks(execute=True):
        item = document_services.evidence_add_link(
            team=capturing_team, actor=editor, url="http://127.0.0.1/"
        )

    item.refresh_from_db()
    capture = item.captures.get()
    reason = "127.0.0.1 resolves to a private, loopback or reserved address (127.0.0.1)"
    assert item.processing_state == "failed"
    assert item.processing_error == f"Capture failed: The page is refused: {reason}"
    assert capture.captured_at is None
    assert capture.summary["blocked"] == [
        {"url": "http://127.0.0.1/", "resource_type": "document", "reason": reason}
    ]
    assert capture.blocked_count == 1


def test_a_link_added_without_a_capture_can_be_captured_later(
    team, editor, reporter, django_capture_on_commit_callbacks
):
    item = document_services.evidence_add_link(
        team=team, actor=editor, url="https://example.org/notice"
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        capture = services.capture_again(item_id=item.pk, actor=reporter)

    item.refresh_from_db()
    assert item.processing_state == "pending"
    assert (capture.requested_by, capture.requested_url) == (
        reporter,
        "https://example.org/notice",
    )
    assert len(callbacks) == 1


def test_capture_again_is_refused_while_a_capture_runs(team, editor):
    item = document_services.evidence_add_link(
        team=team, actor=editor, url="https://example.org/notice"
    )
    EvidenceItem.objects.filter(pk=item.pk).update(processing_state="running")

    with pytest.raises(ValueError, match="It is being processed now"):
        services.capture_again(item_id=item.pk, actor=editor)
    assert not WebCapture.objects.exists()


def test_capture_again_is_refused_for_an_item_without_a_page(team, editor, outsider):
    image = EvidenceItem.objects.create(
        team=team, kind="image", title="Photo", url="https://example.org/photo.jpg"
    )
    with pytest.raises(ValueError, match="Only links and statements"):
        services.capture_again(item_id=image.pk, actor=editor)
    with pytest.raises(PermissionDenied):
        services.capture_again(item_id=image.pk, actor=outsider)


def test_capture_again_from_the_page_queues_a_new_version(
    editor_client, team, editor, django_capture_on_commit_callbacks
):
    item = document_services.evidence_add_link(
        team=team, actor=editor, url="https://example.org/notice"
    )
    page = editor_client.get(item.get_absolute_url()).content.decode()
    assert "Capture the page now" in page

    with django_capture_on_commit_callbacks(execute=False):
        response = editor_client.post(
            reverse("evidence:item-reprocess", args=[item.pk]), follow=True
        )

    body = response.content.decode()
    assert "Capture requested: every earlier capture is kept." in body
    assert 'data-pending="1"' in body
    assert 'data-capture-number="1"' in body


# --- the team's setting ---------------------------------------------------------------


@pytest.fixture
def team_admin(team):
    return MembershipFactory(team=team, role="admin", user__username="chief").user


def test_a_team_admin_turns_automatic_capture_on_from_the_settings_page(
    client, team, team_admin
):
    client.force_login(team_admin)

    response = client.post(
        reverse("provenance:team-settings"), {"captures_new_sources": "on"}
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.captures_new_sources is True
    event = AuditEvent.objects.get(action="team.update")
    assert (event.actor, event.payload) == (team_admin, {"captures_new_sources": True})
    page = client.get(reverse("provenance:team-settings")).content.decode()
    assert 'id="id_captures_new_sources" checked>' in page


def test_an_editor_sees_the_setting_but_cannot_change_it(editor_client, team):
    page = editor_client.get(reverse("provenance:team-settings"))

    assert page.status_code == 200
    assert "Only the team's admins change these settings." in page.content.decode()
    assert "disabled" in page.content.decode()
    response = editor_client.post(
        reverse("provenance:team-settings"), {"captures_new_sources": "on"}
    )
    assert response.status_code == 403
    team.refresh_from_db()
    assert team.captures_new_sources is False


def test_the_service_refuses_a_non_admin(team, editor):
    with pytest.raises(PermissionDenied):
        team_services.team_update(
            team_id=team.pk, actor=editor, captures_new_sources=True
        )


def test_the_admin_site_sets_the_team_setting_through_the_service(
    client, team, django_user_model
):
    root = django_user_model.objects.create_superuser("root", "r@example.org", "pw")
    client.force_login(root)
    change = reverse("admin:provenance_team_change", args=[team.pk])
    form = client.get(change).context["adminform"].form
    data = {
        "name": team.name,
        "slug": team.slug,
        "captures_new_sources": "on",
        **{
            key: value
            for key, value in form.initial.items()
            if key not in ("name", "slug", "captures_new_sources", "created_at")
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        },
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }

    response = client.post(change, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    team.refresh_from_db()
    assert team.captures_new_sources is True
    assert AuditEvent.objects.get(action="team.update").payload == {
        "captures_new_sources": True
    }


def test_capture_wanted_refuses_before_writing(team, settings):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    with pytest.raises(ValidationError) as refused:
        services.capture_wanted(team=team, url="http://10.0.0.1/", asked=True)

    assert list(refused.value.message_dict) == ["url"]
