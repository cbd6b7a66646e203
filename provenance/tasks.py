"""The Celery entry module autodiscovery imports: each room keeps its own tasks."""

from provenance.accounts.tasks import (
    send_digests,
    send_notification_emails,
    send_unsent_emails,
)
from provenance.claims.tasks import publish_due_claims
from provenance.publishing.tasks import deliver_outbox, deliver_webhook

__all__ = [
    "deliver_outbox",
    "deliver_webhook",
    "publish_due_claims",
    "send_digests",
    "send_notification_emails",
    "send_unsent_emails",
]
