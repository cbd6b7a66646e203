"""The Celery entry module autodiscovery imports: each room keeps its own tasks."""

from provenance.claims.tasks import notify_review_decision, publish_due_claims
from provenance.publishing.tasks import deliver_outbox, deliver_webhook

__all__ = [
    "deliver_outbox",
    "deliver_webhook",
    "notify_review_decision",
    "publish_due_claims",
]
