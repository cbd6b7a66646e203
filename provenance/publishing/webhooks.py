"""Webhooks through an outbox: events are rows written in the publishing transaction,
then delivered by Celery tasks, with HMAC signatures, retries and back-off.

Nothing here can fail a publish. The on-commit hand-off to the broker swallows broker
errors; the periodic `deliver_outbox` sweep sends whatever is still pending. Each
delivery is claimed with a compare-and-swap on `next_attempt_at` (a lease), so two
workers never send the same attempt, and a delivered event is never sent again: a
receiver sees one event per idempotency key, whatever the retries.

Signature: ``X-Provenance-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`` over
``"<t>.<body>"`` with the publisher's webhook secret. Receivers should check it in
constant time and reject timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
import rfc8785
import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from provenance.claims.models import Claim
from provenance.claims.signals import claim_event
from provenance.common.addresses import is_public_address as _is_public
from provenance.publishing.models import OutboxEvent, Publisher, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT_TYPES = frozenset({"claim.published", "claim.corrected", "claim.retracted"})
EVENT_SCHEMA_VERSION = "1.0"
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)
SIGNATURE_HEADER = "X-Provenance-Signature"
USER_AGENT = "Provenance-Webhooks/1.0"


# --- URL policy -----------------------------------------------------------------------


def allowed_schemes() -> frozenset[str]:
    # Plain http only where private targets are allowed too (development, tests).
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return frozenset({"https", "http"})
    return frozenset({"https"})


def check_webhook_url(url: str, *, resolve: bool = True) -> list[str]:
    """Raise ValidationError unless `url` is an allowed webhook target.

    Every address the host resolves to must be public (not private, loopback,
    link-local, reserved, multicast or another special-use range, also when
    wrapped in IPv6: IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo), unless
    settings.WEBHOOK_ALLOW_PRIVATE.
    Returns the addresses vetted (none when private targets are allowed or the
    host was not resolved): a delivery connects to one of these, not to whatever
    the name resolves to a moment later (DNS rebinding).
    """
    parts = urlsplit(url)
    if parts.scheme not in allowed_schemes():
        raise ValidationError(
            f"Webhook URLs must use {' or '.join(sorted(allowed_schemes()))}."
        )
    if not parts.hostname:
        raise ValidationError("Webhook URL has no host.")
    if parts.username or parts.password:
        raise ValidationError("Webhook URLs may not carry credentials.")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return []
    host = parts.hostname
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    elif host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise ValidationError("Webhook URL points at a private host.")
    elif not resolve:
        return []
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise ValidationError(f"Webhook host does not resolve: {exc}") from exc
        addresses = [info[4][0] for info in infos]
    if not addresses or not all(_is_public(a) for a in addresses):
        raise ValidationError(
            "Webhook URL resolves to a private, loopback or reserved address."
        )
    return addresses


def post(url: str, *, address: str | None, body: bytes, headers: dict[str, str]) -> int:
    """POST to `url` over a connection to `address` (the vetted one; None: resolve
    the host) while TLS still checks the certificate for the URL's host. No
    redirects: one could point anywhere, including inside the network."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    options: dict[str, Any] = {
        "timeout": urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS),
        "retries": False,
    }
    if https:
        pool = urllib3.HTTPSConnectionPool(
            address or host,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address or host, port, **options)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rpartition("@")[2]  # credentials are refused anyway
    with pool:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": netloc},
            redirect=False,
            preload_content=False,
        )
        response.drain_conn()
        return response.status


# --- Signing --------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """What a receiver does (used by our tests and shown in docs/api.md)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    now = now or timezone.now()
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), fields.get("v1", ""))


# --- The outbox -----------------------------------------------------------------------


def event_payload(*, event: OutboxEvent, claim: Claim) -> dict[str, Any]:
    """Small on purpose: receivers fetch the claim itself from the API."""
    return {
        "schema_version": EVENT_SCHEMA_VERSION,
        "id": str(event.idempotency_key),
        "type": event.event_type,
        "occurred_at": event.created_at.astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "claim": {
            "id": claim.pk,
            "team": claim.team.slug,
            "status": claim.status,
            "path": reverse("api:claim-detail", args=[claim.pk]),
        },
    }


def _subscribers(claim: Claim) -> Iterable[Publisher]:
    now = timezone.now()
    publishers = (
        Publisher.objects.filter(teams=claim.team_id, is_webhook_enabled=True)
        .exclude(webhook_url="")
        .distinct()
    )
    return [publisher for publisher in publishers if publisher.is_usable(now)]


def outbox_enqueue(*, claim: Claim, event_type: str) -> OutboxEvent:
    """Write an event and one delivery per subscribed publisher, in the caller's
    (publishing) transaction; hand the deliveries to the broker after commit.

    If the transaction rolls back, no event exists. If the broker is down at commit,
    the deliveries stay pending and the `deliver_outbox` sweep sends them.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must run inside the publishing transaction")
    now = timezone.now()
    event = OutboxEvent(
        team_id=claim.team_id, claim=claim, event_type=event_type, created_at=now
    )
    event.payload = event_payload(event=event, claim=claim)
    event.save()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(event=event, publisher=publisher, next_attempt_at=now)
            for publisher in _subscribers(claim)
        ]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: dispatch(event_id=event.pk, delivery_ids=ids))
    return event


@receiver(claim_event, dispatch_uid="publishing.webhooks.outbox")
def _enqueue_claim_event(*, claim: Claim, event_type: str, **_: Any) -> None:
    outbox_enqueue(claim=claim, event_type=event_type)


def dispatch(*, event_id: int | None, delivery_ids: list[int]) -> int:
    """Hand deliveries to the broker; never raises. Returns how many were handed."""
    from provenance.publishing.tasks import deliver_webhook

    handed = 0
    for delivery_id in delivery_ids:
        try:
            # retry=False: with the short broker timeouts, fail fast; the sweep retries.
            deliver_webhook.apply_async((delivery_id,), retry=False)
        except Exception:
            logger.warning(
                "Broker unavailable; webhook delivery %s left for the outbox sweep",
                delivery_id,
                exc_info=True,
            )
        else:
            handed += 1
    if event_id is not None and handed == len(delivery_ids):
        OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
            dispatched_at=timezone.now()
        )
    return handed


def due_deliveries(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:1000]
    )


# --- Delivery -------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min … capped at 2 h, after the n-th failed attempt."""
    delay = BACKOFF_BASE * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_MAX)


@dataclass(frozen=True)
class Outcome:
    state: str
    attempts: int
    status_code: int | None
    error: str
    retry_in: timedelta | None


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 30)


def deliver(delivery_id: int, *, now: datetime | None = None) -> Outcome | None:
    """One attempt at one delivery, if it is due. Safe to call twice, concurrently.

    Returns None when there was nothing to do (delivered, given up, not yet due, or
    another worker holds the lease).
    """
    now = now or timezone.now()
    # Claim the attempt: only one caller wins this UPDATE.
    claimed = WebhookDelivery.objects.filter(
        Q(pk=delivery_id),
        Q(state=WebhookDelivery.State.PENDING),
        Q(next_attempt_at__lte=now),
    ).update(next_attempt_at=now + lease_duration())
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "publisher").get(
        pk=delivery_id
    )
    publisher = delivery.publisher
    attempts = delivery.attempts + 1
    status_code: int | None = None
    error = ""
    if not publisher.is_webhook_enabled or not publisher.webhook_url:
        return _finish(
            delivery, attempts - 1, None, "webhook disabled", now, give_up=True
        )
    if publisher.revoked_at is not None:
        return _finish(
            delivery, attempts - 1, None, "publisher revoked", now, give_up=True
        )
    body = rfc8785.dumps(delivery.event.payload)
    try:
        addresses = check_webhook_url(publisher.webhook_url)
        timestamp = int(now.timestamp())
        status_code = post(
            publisher.webhook_url,
            address=addresses[0] if addresses else None,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "Idempotency-Key": str(delivery.event.idempotency_key),
                "X-Provenance-Event": delivery.event.event_type,
                "X-Provenance-Timestamp": str(timestamp),
                SIGNATURE_HEADER: signature_header(
                    publisher.webhook_secret, timestamp, body
                ),
            },
        )
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    except urllib3.exceptions.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    if status_code is not None and 200 <= status_code < 300:
        return _finish(delivery, attempts, status_code, "", now, delivered=True)
    if status_code is not None:
        error = f"HTTP {status_code}"
    return _finish(delivery, attempts, status_code, error, now)


def _finish(
    delivery: WebhookDelivery,
    attempts: int,
    status_code: int | None,
    error: str,
    now: datetime,
    *,
    delivered: bool = False,
    give_up: bool = False,
) -> Outcome:
    retry_in = None
    if delivered:
        state = WebhookDelivery.State.DELIVERED
    elif give_up or attempts >= MAX_ATTEMPTS:
        state = WebhookDelivery.State.FAILED
    else:
        state = WebhookDelivery.State.PENDING
        retry_in = backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state,
        attempts=attempts,
        last_status_code=status_code,
        last_error=error,
        next_attempt_at=now + retry_in if retry_in else now,
        delivered_at=now if delivered else None,
    )
    return Outcome(state, attempts, status_code, error, retry_in)
