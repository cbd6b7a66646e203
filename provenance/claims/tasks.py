"""Background work for the claims domain: the embargo sweep (review notices go
through accounts.notifications). Tasks take ids and are safe to run twice; their
names are kept from the one tasks module they came from, so messages already queued
under those names still run."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import PermissionDenied
from django.utils import timezone

logger = logging.getLogger(__name__)


# --- Review workflow: embargo and notifications ---------------------------------------


@shared_task(name="provenance.tasks.publish_due_claims", ignore_result=True)
def publish_due_claims() -> int:
    """Publish every approved claim whose embargo (`publish_at`) has ended.

    Runs every 30 s from the beat schedule. Each claim goes through the same
    `services.claim_publish` as a person's click, on the authority of the editor
    who approved it under embargo (the latest approval), so every rule is checked
    again at publication: role (an approver who has since lost the editor role
    publishes nothing), four eyes (approval already needed someone other than the
    author and last editor, and any later edit sends the claim back to review and
    clears the embargo), the version (a link, assessment or estimate recorded since
    the approval is a version the approver has not seen: it waits for an editor to
    publish it by hand) and the embargo itself against the real clock. Idempotent:
    a claim published by an overlapping run is no longer `approved`, and the row
    lock in the service makes the second attempt a refused transition.
    """
    from provenance.claims import selectors, services
    from provenance.claims.rules import EditConflict, InvalidTransition

    published = 0
    for claim_id, approver, version in selectors.embargoes_due(timezone.now()):
        if approver is None:
            logger.warning("Embargoed claim %s has no approval on record", claim_id)
            continue
        try:
            services.claim_publish(
                claim_id=claim_id,
                actor=approver,
                expected_version=version,
                comment=(
                    "Embargo ended: published automatically on the authority of "
                    f"{approver.get_username()}, who approved it."
                ),
            )
        except (EditConflict, InvalidTransition, PermissionDenied) as exc:
            logger.warning("Embargoed claim %s not published: %s", claim_id, exc)
        else:
            published += 1
    return published
