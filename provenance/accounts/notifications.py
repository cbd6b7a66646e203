"""Notifications: the one service that records them, and the reads and writes of a
user's own notices and preferences.

`notify` runs inside the transaction of the change it reports, so a notice exists
exactly when its change committed; email leaves only after commit, through the task
queue (accounts/tasks.py). Notices and preferences are personal delivery records, not
team state: they write no audit row, which would also bump the team's audit-chain
head and so expire every member's cached pages for a change none of them can see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from provenance.accounts.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from provenance.teams.models import Membership, Team

DEFAULT_CHANNELS: dict[str, str] = {
    NotificationKind.CLAIM_SUBMITTED: Channel.EMAIL,
    NotificationKind.REVIEW_DECISION: Channel.EMAIL,
    NotificationKind.MENTION: Channel.EMAIL,
    NotificationKind.ASSIGNMENT: Channel.EMAIL,
    NotificationKind.NEW_EVIDENCE: Channel.IN_APP,
    NotificationKind.NEW_DENIAL: Channel.EMAIL,
    NotificationKind.UPLOAD_FINISHED: Channel.IN_APP,
    NotificationKind.UPLOAD_FAILED: Channel.EMAIL,
    NotificationKind.WATCH_MATCH: Channel.IN_APP,
}


def channels_of(user: Any) -> dict[str, str]:
    """Every kind's delivery for the user: their choice, else the default."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user).values_list("kind", "channel")
    )
    return {kind: chosen.get(kind, DEFAULT_CHANNELS[kind]) for kind in DEFAULT_CHANNELS}


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    team: Team,
    actor: Any | None,
    title: str,
    url: str,
    body: str = "",
    is_sensitive: bool = False,
    at: datetime | None = None,
) -> list[Notification]:
    """Record one notice per recipient and send the emails after commit.

    Skipped: the actor themself (nobody is told of their own act), inactive users,
    users who are not members of `team` (a notice never crosses teams, whatever the
    caller passes) and users whose delivery for `kind` is off. Runs in the caller's
    transaction; the email task is queued on commit for the recipients whose channel
    is email (digest notices wait for `send_digests`)."""
    if kind not in DEFAULT_CHANNELS:
        raise ValueError(f"Unknown notification kind {kind!r}")
    wanted = {user.pk: user for user in recipients if user is not None}
    if actor is not None:
        wanted.pop(actor.pk, None)
    if not wanted:
        return []
    members = set(
        Membership.objects.filter(
            team=team, user_id__in=wanted, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    chosen = dict(
        NotificationPreference.objects.filter(
            user_id__in=members, kind=kind
        ).values_list("user_id", "channel")
    )
    when = at or timezone.now()
    rows = []
    for user_id in sorted(members):
        channel = chosen.get(user_id, DEFAULT_CHANNELS[kind])
        if channel == Channel.OFF:
            continue
        rows.append(
            Notification(
                recipient_id=user_id,
                team=team,
                kind=kind,
                channel=channel,
                actor=actor,
                title=title[:300],
                url=url[:500],
                body=body,
                is_sensitive=is_sensitive,
                created_at=when,
            )
        )
    created = Notification.objects.bulk_create(rows)
    to_email = [n.pk for n in created if n.channel == Channel.EMAIL]
    if to_email:
        # Robust: a broker outage must not turn the committed change into an error
        # (Django logs the failure; the notices stay in the app, unsent).
        # (A named function, not a partial: Django logs it by its __qualname__.)
        def queue_emails() -> None:
            from provenance.accounts import tasks

            tasks.send_notification_emails.delay(to_email)

        transaction.on_commit(queue_emails, robust=True)
    return created


def notifications_mark_read(
    *, user: Any, notification_ids: Iterable[int] | None = None
) -> int:
    """Mark the user's own unread notices read (all of them without ids); another
    user's ids are ignored. Returns how many changed."""
    unread = Notification.objects.for_user(user).unread()
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, user: Any, channels: dict[str, str]) -> None:
    """Save the user's delivery per kind; a kind left out keeps its setting."""
    for kind, channel in channels.items():
        if kind not in DEFAULT_CHANNELS or channel not in Channel.values:
            raise ValueError(f"Bad preference {kind!r}: {channel!r}")
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"channel": channel}
        )
