"""Notification email: each notice on its own, or a user's waiting notices as one
daily digest. Tasks take ids and are safe to run twice: a notice's `emailed_at` is
claimed in the same statement that selects it, so two runs never send it twice.

What an email may say: for an embargoed claim or restricted evidence
(`is_sensitive`), only that there is news, the team and the link, never the title
or body; the app shows the rest behind the team's permissions."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from provenance.accounts.models import Channel, Notification

logger = logging.getLogger(__name__)

NEUTRAL_LINE = "There is an update for you in Provenance ({team})."


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


@shared_task(name="provenance.accounts.send_notification_emails", ignore_result=True)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send each notice whose channel is email to its recipient's verified address.
    Returns the number of emails sent."""
    notices = [
        n
        for n in _claim(notification_ids)
        if n.channel == Channel.EMAIL and n.recipient.email
    ]
    messages = [
        EmailMessage(
            subject=notice_subject(n), body=notice_text(n), to=[n.recipient.email]
        )
        for n in notices
    ]
    if not messages:
        return 0
    try:
        return get_connection().send_messages(messages) or 0
    except OSError:
        logger.warning("Notification email not sent", exc_info=True)
        return 0


@shared_task(name="provenance.accounts.send_digests", ignore_result=True)
def send_digests() -> int:
    """One email per user gathering their notices that wait for the digest."""
    waiting = Notification.objects.awaiting_digest().values_list("pk", flat=True)
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for notice in _claim(list(waiting)):
        by_user[notice.recipient_id].append(notice)
    users = get_user_model().objects.in_bulk(list(by_user))
    messages = []
    for user_id, notices in sorted(by_user.items()):
        address = users[user_id].email
        if not address:
            continue
        body = "\n".join(notice_text(n) for n in notices)
        messages.append(
            EmailMessage(
                subject=f"[Provenance] Your daily digest: {len(notices)} updates",
                body=body,
                to=[address],
            )
        )
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
