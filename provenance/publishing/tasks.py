"""Background work for publishing: webhook deliveries from the outbox. Tasks take ids
and are safe to run twice; their names are kept from the one tasks module they came
from, so messages already queued under those names still run."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


# --- Webhooks: delivery from the outbox ---------------------------------------------


@shared_task(name="provenance.tasks.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> str | None:
    """One attempt at one webhook delivery, if due (see webhooks.deliver).

    On failure the delivery's `next_attempt_at` moves out with exponential back-off;
    with a broker the retry is scheduled with a countdown, and the `deliver_outbox`
    sweep catches anything the broker lost. Eagerly (no broker) retries are left to
    the sweep, so a failing endpoint never loops inside a request.
    """
    from django.conf import settings

    from provenance.publishing import webhooks

    outcome = webhooks.deliver(delivery_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None and not settings.CELERY_TASK_ALWAYS_EAGER:
        try:
            deliver_webhook.apply_async(
                (delivery_id,),
                countdown=outcome.retry_in.total_seconds(),
                retry=False,
            )
        except Exception:
            logger.warning("Could not schedule retry of delivery %s", delivery_id)
    return outcome.state


@shared_task(name="provenance.tasks.deliver_outbox", ignore_result=True)
def deliver_outbox() -> int:
    """The periodic sweep (beat, every 30 s): hand every due pending delivery to a
    worker. Covers broker outages at publish time and lost retries."""
    from provenance.publishing import webhooks

    return webhooks.dispatch(event_id=None, delivery_ids=webhooks.due_deliveries())
