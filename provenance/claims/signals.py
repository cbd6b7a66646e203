"""What the claims domain announces to the rooms above it.

claim_event is sent inside the transaction of the decision that caused it, so a
receiver's writes (publishing writes the webhook outbox) commit or roll back with the
decision. Sent with send(), not send_robust(): a receiver's error undoes the decision.
Publishing connects its receiver when the app is ready (provenance.apps).
"""

from django.dispatch import Signal

# Keyword arguments: claim (the Claim, as saved), event_type ("claim.published", ...).
claim_event = Signal()
