"""Notifications: recorded by one service in the change's transaction, shown in the
app, emailed after commit to a real SMTP server on loopback (tests/mail.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from provenance.accounts import notifications
from provenance.accounts.models import Channel, Notification, NotificationKind
from provenance.accounts.tasks import (
    send_digests,
    send_notification_emails,
    send_unsent_emails,
)
from provenance.claims import services
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
)
from tests.mail import Inbox

pytestmark = pytest.mark.django_db


def in_review(team, author, **fields):
    claim = ClaimFactory(
        team=team, author=author, last_edited_by=author, status="in_review", **fields
    )
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def test_request_changes_notifies_the_author_in_app_and_by_email(
    team, reporter, editor, smtp_inbox, django_capture_on_commit_callbacks
):
    claim = in_review(team, reporter, text="Angara called at Rajin in August 2023")
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_request_changes(
            claim_id=claim.pk, actor=editor, comment="Add the port call of 12 August."
        )
    [notice] = Notification.objects.all()
    assert (notice.recipient, notice.kind, notice.channel) == (
        reporter,
        NotificationKind.REVIEW_DECISION,
        Channel.EMAIL,
    )
    assert notice.title == "Changes requested: Angara called at Rajin in August 2023"
    assert notice.body == f"{editor.username}: Add the port call of 12 August."
    assert notice.emailed_at is not None
    [message] = smtp_inbox.messages
    assert message["To"] == reporter.email
    assert message["Subject"] == (
        "[Provenance] Changes requested: Angara called at Rajin in August 2023"
    )
    text = Inbox.text(message)
    assert "Add the port call of 12 August." in text
    assert f"http://127.0.0.1:8000/claims/{claim.pk}/" in text


def test_embargoed_claim_email_carries_none_of_its_text(
    team, reporter, editor, smtp_inbox, django_capture_on_commit_callbacks
):
    claim = in_review(team, reporter, text="Secret shipment of shells via Rajin")
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(
            claim_id=claim.pk,
            actor=editor,
            comment="Shells confirmed by the wagon count.",
            publish_at=timezone.now() + timedelta(days=2),
        )
    [notice] = Notification.objects.all()
    assert notice.is_sensitive is True
    [message] = smtp_inbox.messages
    whole = message.as_string()
    for secret in ("Secret", "shipment", "Rajin", "Shells", "wagon"):
        assert secret not in whole
    assert message["Subject"] == "[Provenance] Update in Team A"
    assert Inbox.text(message) == (
        "There is an update for you in Provenance (Team A).\n"
        f"http://127.0.0.1:8000/claims/{claim.pk}/\n"
    )


def test_submission_notifies_the_teams_editors_only(
    team, reporter, editor, second_editor, outsider, django_capture_on_commit_callbacks
):
    MembershipFactory(role="editor")  # another team's editor
    claim = ClaimFactory(team=team, author=reporter, last_edited_by=reporter)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    services.claim_submit(claim_id=claim.pk, actor=reporter, comment="Ready.")
    recipients = set(Notification.objects.values_list("recipient", "kind"))
    assert recipients == {
        (editor.pk, NotificationKind.CLAIM_SUBMITTED),
        (second_editor.pk, NotificationKind.CLAIM_SUBMITTED),
    }


def test_notify_never_crosses_teams_nor_tells_the_actor(team, reporter, outsider):
    made = notifications.notify(
        recipients=[reporter, outsider],
        kind=NotificationKind.MENTION,
        team=team,
        actor=reporter,
        title="x",
        url="/",
    )
    assert made == []


def test_preference_off_records_nothing_and_digest_waits(
    team, reporter, editor, smtp_inbox, django_capture_on_commit_callbacks
):
    notifications.notification_preferences_set(
        user=reporter,
        channels={
            NotificationKind.MENTION: Channel.OFF,
            NotificationKind.ASSIGNMENT: Channel.DAILY_DIGEST,
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        for kind in (NotificationKind.MENTION, NotificationKind.ASSIGNMENT):
            for n in range(2):
                notifications.notify(
                    recipients=[reporter],
                    kind=kind,
                    team=team,
                    actor=editor,
                    title=f"{kind} {n}",
                    url=f"/claims/{n}/",
                )
    assert list(Notification.objects.values_list("title", "channel")) == [
        ("assignment 1", Channel.DAILY_DIGEST),
        ("assignment 0", Channel.DAILY_DIGEST),
    ]
    assert smtp_inbox.messages == []
    assert send_digests() == 1
    assert send_digests() == 0  # each notice goes out once
    [digest] = smtp_inbox.messages
    assert digest["Subject"] == "[Provenance] Your daily digest: 2 updates"
    assert Inbox.text(digest) == (
        "assignment 0\nhttp://127.0.0.1:8000/claims/0/\n\n"
        "assignment 1\nhttp://127.0.0.1:8000/claims/1/\n"
    )


def test_failed_upload_tells_the_uploader(team, reporter):
    from evidence.processing import FAILED, RUNNING, move
    from tests.factories import EvidenceItemFactory

    item = EvidenceItemFactory(team=team, added_by=reporter, title="Rajin scene")
    item.processing_state = RUNNING
    item.save(update_fields=["processing_state"])
    move(item, FAILED, error="Not an image: the file is a ZIP archive.")
    [notice] = Notification.objects.all()
    assert (notice.recipient, notice.kind) == (reporter, NotificationKind.UPLOAD_FAILED)
    assert notice.title == "Processing failed: Rajin scene"
    assert notice.body == "Not an image: the file is a ZIP archive."


def _notices(user, team, count):
    for n in range(count):
        Notification.objects.create(
            recipient=user,
            team=team,
            kind=NotificationKind.MENTION,
            channel=Channel.IN_APP,
            title=f"Mention {n}",
            url="/",
            created_at=timezone.now() - timedelta(minutes=n),
        )


def test_list_shows_only_my_notices_in_bounded_queries(
    team, reporter, editor, reporter_client, django_assert_max_num_queries
):
    _notices(reporter, team, 12)
    _notices(editor, team, 3)
    with django_assert_max_num_queries(6):
        response = reporter_client.get(reverse("provenance:notification-list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert [n.title for n in page] == [f"Mention {n}" for n in range(12)]
    assert response.context["unread"] == 12


def test_mark_read_one_then_all_and_the_badge_count(
    team, reporter, editor, reporter_client
):
    _notices(reporter, team, 3)
    _notices(editor, team, 1)
    theirs = Notification.objects.get(recipient=editor)
    unread_url = reverse("provenance:notification-unread")
    assert reporter_client.get(unread_url).json() == {"unread": 3}
    first = Notification.objects.filter(recipient=reporter).first()
    mark = reverse("provenance:notification-mark-read")
    reporter_client.post(mark, {"notification": first.pk})
    assert reporter_client.get(unread_url).json() == {"unread": 2}
    reporter_client.post(mark, {"notification": theirs.pk})  # not mine: ignored
    theirs.refresh_from_db()
    assert theirs.read_at is None
    reporter_client.post(mark)
    assert reporter_client.get(unread_url).json() == {"unread": 0}


def test_a_team_left_hides_its_notices(team, other_team, reporter, reporter_client):
    _notices(reporter, other_team, 2)  # from a team the reporter is not in
    assert reporter_client.get(reverse("provenance:notification-unread")).json() == {
        "unread": 0
    }


def test_settings_page_saves_a_channel_per_kind(reporter, reporter_client):
    url = reverse("provenance:notification-settings")
    data = {kind.value: Channel.IN_APP for kind in NotificationKind}
    data[NotificationKind.NEW_EVIDENCE] = Channel.OFF
    response = reporter_client.post(url, data)
    assert response.status_code == 302
    channels = notifications.channels_of(reporter)
    assert channels[NotificationKind.NEW_EVIDENCE] == Channel.OFF
    assert channels[NotificationKind.REVIEW_DECISION] == Channel.IN_APP
    bad = reporter_client.post(url, {**data, "mention": "carrier-pigeon"})
    assert bad.status_code == 200
    assert "mention" in bad.context["form"].errors


# --- a mail server that is down or refuses --------------------------------------------


def _email_notice(recipient, team, title: str) -> Notification:
    return Notification.objects.create(
        recipient=recipient,
        team=team,
        kind=NotificationKind.REVIEW_DECISION,
        created_at=timezone.now(),
        channel=Channel.EMAIL,
        title=title,
        url="/claims/1/",
    )


def test_an_email_the_server_refuses_stays_unsent_and_is_retried(
    team, reporter, editor, smtp_inbox
):
    refused = {"addresses": {reporter.email}}
    original = smtp_inbox.handle_DATA

    async def refuse_some(server, session, envelope):
        if set(envelope.rcpt_tos) & refused["addresses"]:
            return "550 Mailbox unavailable"
        return await original(server, session, envelope)

    smtp_inbox.handle_DATA = refuse_some
    to_reporter = _email_notice(reporter, team, "For the reporter")
    to_editor = _email_notice(editor, team, "For the editor")

    assert send_notification_emails([to_reporter.pk, to_editor.pk]) == 1

    to_reporter.refresh_from_db()
    to_editor.refresh_from_db()
    assert to_reporter.emailed_at is None  # released, not marked sent
    assert to_editor.emailed_at is not None
    assert [m["Subject"] for m in smtp_inbox.messages] == [
        "[Provenance] For the editor"
    ]

    # The beat's retry takes it once the server takes it (and only after the
    # immediate send had its chance).
    refused["addresses"] = set()
    assert send_unsent_emails() == 0
    Notification.objects.filter(pk=to_reporter.pk).update(
        created_at=timezone.now() - timedelta(minutes=3)
    )
    assert send_unsent_emails() == 1
    to_reporter.refresh_from_db()
    assert to_reporter.emailed_at is not None
    assert [m["Subject"] for m in smtp_inbox.to(reporter.email)] == [
        "[Provenance] For the reporter"
    ]
    assert send_unsent_emails() == 0  # sent once


def test_with_the_mail_server_down_nothing_is_marked_sent(team, reporter, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2
    notice = _email_notice(reporter, team, "Waiting")
    digest = Notification.objects.create(
        recipient=reporter,
        team=team,
        kind=NotificationKind.REVIEW_DECISION,
        created_at=timezone.now(),
        channel=Channel.DAILY_DIGEST,
        title="Digest line",
        url="/claims/1/",
    )

    assert send_notification_emails([notice.pk]) == 0
    assert send_digests() == 0

    assert (
        Notification.objects.filter(pk__in=[notice.pk, digest.pk])
        .filter(emailed_at__isnull=True)
        .count()
        == 2
    )


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
