"""The admin matrix's world: the access-matrix world (tests/access_matrix/world.py),
staff of both teams with the demo editors' admin permissions, a superuser, and an
object of team A and one of team B for every model the admin shows.

Team A's objects carry MARK; team B's do not, so a team-B page showing MARK shows
something of team A's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.db.models import Model
from rest_framework.authtoken.models import Token, TokenProxy

from evidence.models import AISExtract, EvidenceKind
from provenance.audit.models import AuditEvent
from provenance.claims.models import ConfidenceAssessment, Tag
from provenance.demo.loader import editor_admin_permissions
from provenance.publishing.models import OutboxEvent, WebhookDelivery
from provenance.teams.models import Membership
from tests.access_matrix.world import World, build_world, member
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    EntityFactory,
    EvidenceItemFactory,
    RelationshipFactory,
    StatementFactory,
    UserFactory,
)


@dataclass
class AdminWorld:
    world: World
    staff_reporter_b: Any
    staff_editor_b: Any
    superuser: Any
    # Model label ("provenance.claim") -> variant ("a": team A's, "b": team B's,
    # "": a row of no team) -> the object the admin URLs point at.
    objects: dict[str, dict[str, Model]] = field(default_factory=dict)


def _outbox(world: World, team: Any, claim: Any, publisher: Any) -> WebhookDelivery:
    event = OutboxEvent.objects.create(
        team=team, claim=claim, event_type="claim.published", payload={}
    )
    return WebhookDelivery.objects.create(event=event, publisher=publisher)


def _login_rows(username: str) -> dict[str, Model]:
    common = {
        "username": username,
        "ip_address": "127.0.0.1",
        "user_agent": "matrix",
        "http_accept": "*/*",
        "path_info": "/login/",
    }
    return {
        "axes.accessattempt": AccessAttempt.objects.create(
            **common, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**common),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**common),
    }


def build_admin_world() -> AdminWorld:
    w = build_world()
    permissions = editor_admin_permissions()
    w.staff_a.user_permissions.set(permissions)
    staff_reporter_b = member(
        w.team_b, "reporter", "bravo-staff-reporter", is_staff=True
    )
    staff_editor_b = member(w.team_b, "editor", "bravo-staff-editor", is_staff=True)
    for staff in (staff_reporter_b, staff_editor_b):
        staff.user_permissions.set(permissions)
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)

    # Team B's side of every kind of object.
    entity_b = EntityFactory(team=w.team_b, name="Bravo Harbour", slug="bravo-harbour")
    tag_b = Tag.objects.create(team=w.team_b, name="bravo-tag", slug="bravo-tag")
    w.published_b.subjects.add(entity_b)
    relationship_b = RelationshipFactory(
        team=w.team_b, source=entity_b, target__name="Bravo Hull"
    )
    w.published_b.tags.add(tag_b)
    statement_b = StatementFactory(
        item__team=w.team_b, item__title="Bravo statement", quote="Bravo said so."
    )
    ClaimEvidenceFactory(claim=w.published_b, item=statement_b.item)
    assessment_b = AssessmentFactory(claim=w.published_b)
    extract_b = AISExtract.objects.create(
        item=EvidenceItemFactory(team=w.team_b, kind=EvidenceKind.AIS, title="B AIS"),
        source_format="nmea",
        rows_read=1,
        rows_kept=1,
        summary={},
    )
    delivery_a = _outbox(w, w.team_a, w.published, w.publisher_a)
    delivery_b = _outbox(w, w.team_b, w.published_b, w.publisher_b)
    Token.objects.create(user=w.reporter_a)
    Token.objects.create(user=w.reporter_b)

    def pair(a: Model, b: Model) -> dict[str, Model]:
        return {"a": a, "b": b}

    objects = {
        "provenance.team": pair(w.team_a, w.team_b),
        "provenance.membership": pair(
            Membership.objects.get(user=w.reporter_a),
            Membership.objects.get(user=w.reporter_b),
        ),
        "provenance.entity": pair(w.entity, entity_b),
        "provenance.relationship": pair(
            RelationshipFactory(
                team=w.team_a, source=w.entity, target__name="Qx7wv Hull"
            ),
            relationship_b,
        ),
        "provenance.tag": pair(w.tag, tag_b),
        "provenance.claim": pair(w.draft, w.published_b),
        "provenance.auditevent": pair(
            AuditEvent.objects.filter(team=w.team_a).earliest("seq"),
            AuditEvent.objects.filter(team=w.team_b).earliest("seq"),
        ),
        "provenance.confidenceassessment": pair(
            ConfidenceAssessment.objects.filter(claim=w.published).earliest("pk"),
            assessment_b,
        ),
        "provenance.publisher": pair(w.publisher_a, w.publisher_b),
        "provenance.outboxevent": pair(delivery_a.event, delivery_b.event),
        "provenance.webhookdelivery": pair(delivery_a, delivery_b),
        "evidence.evidenceitem": pair(w.statement.item, statement_b.item),
        "evidence.statement": pair(w.statement, statement_b),
        "evidence.aisextract": pair(w.ais_item.ais, extract_b),
        "auth.user": pair(w.reporter_a, w.reporter_b),
        "auth.group": {"": Group.objects.create(name="Matrix group")},
        "authtoken.tokenproxy": pair(
            TokenProxy.objects.get(user=w.reporter_a),
            TokenProxy.objects.get(user=w.reporter_b),
        ),
        **{label: {"": row} for label, row in _login_rows("qx7wv-reporter").items()},
    }
    return AdminWorld(
        world=w,
        staff_reporter_b=staff_reporter_b,
        staff_editor_b=staff_editor_b,
        superuser=superuser,
        objects=objects,
    )
