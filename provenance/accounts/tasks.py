"""Notification email: each notice on its own, or a user's waiting notices as one
daily digest. Tasks take ids and are safe to run twice: a notice's `emailed_at` is
claimed in the same statement that selects it, so two runs never send it twice.

A notice whose email the mail server did not take is released (`emailed_at` back
to empty), never marked sent: the next digest carries a digest notice, and
`send_unsent_emails` (the worker's beat, every five minutes) retries the others
for RETRY_DAYS.

What an email may say: for an embargoed claim or restricted evidence
(`is_sensitive`), only that there is news, the team and the link, never the title
or body; the app shows the rest behind the team's permissions."""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from provenance.accounts.models import Channel, Notification

logger = logging.getLogger(__name__)

NEUTRAL_LINE = "There is an update for you in Provenance ({team})."
RETRY_DAYS = 3  # an unsent notice older than this is left to the app's list
RETRY_AFTER = timedelta(minutes=2)  # the immediate send has had its chance
RETRY_BATCH = 500


def absolute(url: str) -> str:
    """The notice's link as an address a mail client can open."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url


def notice_text(notification: Notification) -> str:
    """The lines one notice contributes to an email."""
    if notification.is_sensitive:
        return (
            NEUTRAL_LINE.format(team=notification.team.name)
            + f"\n{absolute(notification.url)}\n"
        )
    lines = [notification.title]
    if notification.body:
        lines.append(notification.body)
    lines.append(absolute(notification.url))
    return "\n".join(lines) + "\n"


def notice_subject(notification: Notification) -> str:
    if notification.is_sensitive:
        return f"[Provenance] Update in {notification.team.name}"
    return f"[Provenance] {notification.title}"[:150]


def _claim(ids: Iterable[int]) -> list[Notification]:
    """Take the unsent notices among `ids`, marking them sent in this transaction."""
    with transaction.atomic():
        notices = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("team", "recipient")
            .filter(pk__in=list(ids), emailed_at__isnull=True)
            .order_by("recipient_id", "created_at", "pk")
        )
        Notification.objects.filter(pk__in=[n.pk for n in notices]).update(
            emailed_at=timezone.now()
        )
    return notices


def _release(notices: Sequence[Notification]) -> None:
    """Unmark notices whose email was not taken, so a later run sends them."""
    Notification.objects.filter(pk__in=[n.pk for n in notices]).update(emailed_at=None)


def _deliver(batches: Sequence[tuple[EmailMessage, Sequence[Notification]]]) -> int:
    """Send each message on one connection; a message the server refuses (or a
    connection that fails) releases its notices and the rest still go. Returns
    the number sent."""
    if not batches:
        return 0
    sent = 0
    connection = get_connection()
    try:
        connection.open()
    except OSError:  # smtplib.SMTPException is an OSError
        logger.warning("Mail server unreachable: %d emails wait", len(batches))
        _release([n for _, notices in batches for n in notices])
        return 0
    try:
        for message, notices in batches:
            try:
                sent += connection.send_messages([message]) or 0
            except OSError:
                logger.warning("Notification email not sent", exc_info=True)
                _release(notices)
    finally:
        with contextlib.suppress(OSError):  # sent or released already
            connection.close()
    return sent


@shared_task(name="provenance.accounts.send_notification_emails", ignore_result=True)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send each notice whose channel is email to its recipient's verified address.
    Returns the number of emails sent."""
    notices = [
        n
        for n in _claim(notification_ids)
        if n.channel == Channel.EMAIL and n.recipient.email
    ]
    return _deliver(
        [
            (
                EmailMessage(
                    subject=notice_subject(n),
                    body=notice_text(n),
                    to=[n.recipient.email],
                ),
                [n],
            )
            for n in notices
        ]
    )


@shared_task(name="provenance.accounts.send_unsent_emails", ignore_result=True)
def send_unsent_emails() -> int:
    """Retry the email notices not sent (mail server down or refusing), made
    between RETRY_DAYS ago and RETRY_AFTER ago."""
    now = timezone.now()
    waiting = (
        Notification.objects.filter(
            channel=Channel.EMAIL,
            emailed_at__isnull=True,
            created_at__gte=now - timedelta(days=RETRY_DAYS),
            created_at__lte=now - RETRY_AFTER,
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )
    return send_notification_emails(list(waiting))


@shared_task(name="provenance.accounts.send_digests", ignore_result=True)
def send_digests() -> int:
    """One email per user gathering their notices that wait for the digest."""
    waiting = Notification.objects.awaiting_digest().values_list("pk", flat=True)
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notice in _claim(list(waiting)):
        by_user[notice.recipient_id].append(notice)
    users = get_user_model().objects.in_bulk(list(by_user))
    batches = []
    for user_id, notices in sorted(by_user.items()):
        address = users[user_id].email
        if not address:
            continue
        body = "\n".join(notice_text(n) for n in notices)
        message = EmailMessage(
            subject=f"[Provenance] Your daily digest: {len(notices)} updates",
            body=body,
            to=[address],
        )
        batches.append((message, notices))
    return _deliver(batches)
