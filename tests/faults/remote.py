"""Arrange and inspect state on the private stack from a fresh process.

The fault tests never point the test process's own Django at the private
PostgreSQL (its databases are set up once per session, for the other tests).
Instead each step runs here, in a new process configured by environment variables
(DATABASE_URL, CELERY_BROKER_URL, MEDIA_ROOT ...), exactly like the web and worker
processes under test::

    python -m tests.faults.remote NAME '{"keyword": "arguments"}'

The result is printed as one JSON line after ``RESULT_MARK`` (logging goes to
stderr). ``FAULTS_TASK_QUEUE`` sends tasks to the test worker's queue.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

RESULT_MARK = "FAULTS-RESULT "
COMMANDS: dict[str, Callable[..., Any]] = {}


def command(function: Callable[..., Any]) -> Callable[..., Any]:
    COMMANDS[function.__name__] = function
    return function


@command
def make_team(*, slug: str) -> dict[str, Any]:
    """A team with an author, two editors and the two demo ports."""
    from evidence.ais.demo import DUNAI, RAJIN
    from tests.factories import EntityFactory, MembershipFactory, TeamFactory

    team = TeamFactory(name=slug, slug=slug)
    people = {
        role: MembershipFactory(
            team=team, role=kind, user__username=f"{slug}-{role}"
        ).user.pk
        for role, kind in (
            ("author", "reporter"),
            ("editor", "editor"),
            ("second_editor", "editor"),
        )
    }
    for port in (RAJIN, DUNAI):
        EntityFactory(
            team=team,
            kind="port",
            name=port.name,
            slug=f"{slug}-{port.key}",
            latitude=port.lat,
            longitude=port.lon,
        )
    return {"team": team.pk, **people}


def _user(user_id: int) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user_id)


def _team(team_id: int) -> Any:
    from provenance.teams.models import Team

    return Team.objects.get(pk=team_id)


@command
def add_image(*, team: int, actor: int, path: str) -> int:
    """Upload through the service; processing is enqueued on commit."""
    from evidence.images import services

    with open(path, "rb") as upload:
        item = services.evidence_add_image(
            team=_team(team),
            actor=_user(actor),
            upload=upload,
            filename=os.path.basename(path),
        )
    return item.pk


@command
def add_ais(*, team: int, actor: int, path: str) -> int:
    from evidence.ais import services as ais_services

    with open(path, "rb") as upload:
        item = ais_services.evidence_add_ais(
            team=_team(team),
            actor=_user(actor),
            upload=upload,
            filename=os.path.basename(path),
            is_synthetic=True,
        )
    return item.pk


@command
def reprocess(*, item: int, actor: int) -> str:
    """What the item page's "process again" button does."""
    from evidence.ais import services as ais_services
    from evidence.images import services
    from evidence.models import EvidenceItem

    kind = EvidenceItem.objects.get(pk=item).kind
    service = ais_services.ais_reprocess if kind == "ais" else services.image_reprocess
    return service(item_id=item, actor=_user(actor)).processing_state


@command
def item_state(*, item: int) -> dict[str, Any]:
    from evidence.models import AISPosition, EvidenceItem

    row = EvidenceItem.objects.get(pk=item)
    return {
        "state": row.processing_state,
        "error": row.processing_error,
        "progress": [row.progress_done, row.progress_total],
        # Committed positions only: an interrupted COPY must leave none.
        "positions": AISPosition.objects.filter(extract__item_id=item).count(),
    }


def _custody_steps(item_id: int) -> dict[str, int]:
    from collections import Counter

    from evidence.models import CustodyEvent

    steps = CustodyEvent.objects.filter(
        item_id=item_id, action=CustodyEvent.Action.PROCESSED
    ).values_list("detail__step", flat=True)
    return dict(sorted(Counter(steps).items()))


def _audit_actions(item_id: int) -> dict[str, int]:
    from collections import Counter

    from provenance.audit.models import AuditEvent

    actions = AuditEvent.objects.filter(
        object_type="evidence.evidenceitem", object_id=str(item_id)
    ).values_list("action", flat=True)
    return dict(sorted(Counter(actions).items()))


def _chain_problems(team_id: int) -> list[str]:
    from provenance.audit.chain import verify_chain

    return [p.reason for p in verify_chain(_team(team_id))]


@command
def image_facts(*, item: int) -> dict[str, Any]:
    from evidence.models import EvidenceItem, ImageDetail, NearDuplicate

    row = EvidenceItem.objects.get(pk=item)
    details = ImageDetail.objects.filter(item_id=item)
    return {
        "state": row.processing_state,
        "error": row.processing_error,
        "details": details.count(),
        "size": [[d.width, d.height] for d in details],
        "near": sorted(
            [a, b]
            for a, b in NearDuplicate.objects.filter(item_id=item).values_list(
                "item_id", "other_id"
            )
        )
        + sorted(
            [a, b]
            for a, b in NearDuplicate.objects.filter(other_id=item).values_list(
                "item_id", "other_id"
            )
        ),
        "custody_steps": _custody_steps(item),
        "audit": _audit_actions(item),
        "chain_problems": _chain_problems(row.team_id),
    }


@command
def ais_facts(*, item: int) -> dict[str, Any]:
    from django.db.models import Count

    from evidence.models import AISGap, AISPosition, EvidenceItem, PortCall
    from provenance.entities.models import Entity

    row = EvidenceItem.objects.select_related("ais").get(pk=item)
    extract = row.ais
    positions = AISPosition.objects.filter(extract=extract)
    gaps = AISGap.objects.filter(extract=extract)
    calls = PortCall.objects.filter(extract=extract)

    def repeated(queryset: Any, *fields: str) -> int:
        return queryset.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).count()

    return {
        "state": row.processing_state,
        "error": row.processing_error,
        "rows_read": extract.rows_read,
        "rows_kept": extract.rows_kept,
        "positions": positions.count(),
        "repeated_positions": repeated(positions, "mmsi", "timestamp"),
        "gaps": gaps.count(),
        "repeated_gaps": repeated(gaps, "mmsi", "start_at"),
        "port_calls": calls.count(),
        "repeated_port_calls": repeated(calls, "mmsi", "port_id", "arrival_at"),
        "vessels": Entity.objects.filter(team_id=row.team_id, kind="vessel").count(),
        "custody_steps": _custody_steps(item),
        "audit": _audit_actions(item),
        "chain_problems": _chain_problems(row.team_id),
    }


@command
def ready_claim(*, team: int, author: int) -> int:
    """A claim approved by an editor, with evidence and an assessment."""
    from tests.factories import AssessmentFactory, ClaimEvidenceFactory, ClaimFactory

    claim = ClaimFactory(team=_team(team), author=_user(author), status="approved")
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim.pk


@command
def make_publisher(*, team: int, url: str) -> dict[str, Any]:
    from provenance.publishing.keys import publisher_create

    issued = publisher_create(name=f"Fault receiver {url}", teams=[_team(team)])
    issued.publisher.webhook_url = url
    issued.publisher.save(update_fields=["webhook_url"])
    return {"publisher": issued.publisher.pk, "secret": issued.webhook_secret}


@command
def publish(*, claim: int, actor: int) -> dict[str, Any]:
    """The publish service, and what the broker hand-off after its commit logged
    (it must swallow a broker failure: the outbox sweep retries)."""
    import logging

    from provenance.claims import services

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.seen: list[dict[str, Any]] = []

        def emit(self, record: logging.LogRecord) -> None:
            raised = record.exc_info[1] if record.exc_info else None
            cause = raised.__cause__ if raised is not None else None
            self.seen.append(
                {
                    "message": record.getMessage(),
                    "raised": _qualified(raised),
                    "cause": _qualified(cause),
                }
            )

    handler = Collect()
    logger = logging.getLogger("provenance.publishing.webhooks")
    logger.addHandler(handler)
    try:
        published = services.claim_publish(claim_id=claim, actor=_user(actor))
    finally:
        logger.removeHandler(handler)
    return {"status": published.status, "broker_warnings": handler.seen}


def _qualified(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    return f"{type(exc).__module__}.{type(exc).__qualname__}"


@command
def publication_facts(*, claim: int) -> dict[str, Any]:
    from provenance.claims.models import Claim
    from provenance.publishing.models import OutboxEvent, WebhookDelivery

    row = Claim.objects.get(pk=claim)
    events = OutboxEvent.objects.filter(claim_id=claim).order_by("pk")
    deliveries = WebhookDelivery.objects.filter(event__claim_id=claim).order_by("pk")
    return {
        "status": row.status,
        "events": [
            {
                "key": str(e.idempotency_key),
                "type": e.event_type,
                "dispatched": e.dispatched_at is not None,
            }
            for e in events
        ],
        "deliveries": [
            {"state": d.state, "attempts": d.attempts, "error": d.last_error}
            for d in deliveries
        ],
        "chain_problems": _chain_problems(row.team_id),
    }


@command
def send_task(*, name: str) -> bool:
    from provenance.celery import app

    app.send_task(name)
    return True


@command
def api_token(*, user: int) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=_user(user))[0].key


@command
def team_facts(*, team: int) -> dict[str, Any]:
    from provenance.claims.models import Claim

    return {
        "claims": sorted(
            Claim.objects.filter(team_id=team).values_list("text", flat=True)
        ),
        "chain_problems": _chain_problems(team),
    }


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "provenance.settings")
    django.setup()
    queue = os.environ.get("FAULTS_TASK_QUEUE")
    if queue:
        from provenance.celery import app

        app.conf.task_default_queue = queue
    name, raw = argv[1], argv[2] if len(argv) > 2 else "{}"
    result = COMMANDS[name](**json.loads(raw))
    sys.stdout.write(RESULT_MARK + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main(sys.argv)
