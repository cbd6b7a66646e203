"""Two creations with the same name both succeed, with distinct slugs.

The slug is chosen by reading the team's taken slugs, then inserted: a second
request inserting in between made the first an IntegrityError (a 500)."""

import threading

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims import services
from provenance.claims.models import Claim, Tag
from provenance.common import writes
from provenance.entities import services as entity_services
from provenance.entities.models import Entity, EntityKind
from tests.factories import ClaimFactory, EntityFactory, MembershipFactory, TeamFactory


@pytest.fixture
def slug_taken_before_insert(monkeypatch):
    """Once: right after the service has chosen a free slug, `take(slug)` stores
    another row with it, as a concurrent request committing then would."""
    taken = []

    def arrange(take):
        choose = writes.unique_slug

        def chosen_then_taken(model, **kwargs):
            slug = choose(model, **kwargs)
            if not taken:
                taken.append(slug)
                take(slug)
            return slug

        # Each room's services import the helper by name: patch it where they look.
        monkeypatch.setattr(services, "unique_slug", chosen_then_taken)
        monkeypatch.setattr(entity_services, "unique_slug", chosen_then_taken)
        return taken

    return arrange


@pytest.mark.django_db
def test_a_claim_whose_slug_is_taken_just_before_its_insert_gets_the_next_one(
    team, reporter, slug_taken_before_insert
):
    taken = slug_taken_before_insert(
        lambda slug: ClaimFactory(team=team, text="Two ships met at sea", slug=slug)
    )
    claim = services.claim_create(
        team=team, actor=reporter, text="Two ships met at sea"
    )
    assert taken == ["two-ships-met-at-sea"]
    assert claim.slug == "two-ships-met-at-sea-2"
    assert sorted(Claim.objects.values_list("slug", flat=True)) == [
        "two-ships-met-at-sea",
        "two-ships-met-at-sea-2",
    ]
    assert AuditEvent.objects.filter(action="claim.create").count() == 1
    assert claim.history.count() == 1


@pytest.mark.django_db
def test_an_entity_whose_slug_is_taken_just_before_its_insert_gets_the_next_one(
    team, reporter, slug_taken_before_insert
):
    taken = slug_taken_before_insert(
        lambda slug: EntityFactory(team=team, name="MV Example", slug=slug)
    )
    entity = entity_services.entity_create(
        team=team, actor=reporter, kind=EntityKind.VESSEL, name="MV Example"
    )
    assert taken == ["mv-example"]
    assert entity.slug == "mv-example-2"
    assert Entity.objects.filter(team=team).count() == 2
    assert AuditEvent.objects.filter(action="entity.create").count() == 1


@pytest.mark.django_db
def test_the_api_answers_201_when_the_slug_is_taken_just_before_the_insert(
    reporter_client, team, slug_taken_before_insert
):
    slug_taken_before_insert(lambda slug: ClaimFactory(team=team, slug=slug))
    response = reporter_client.post(
        reverse("api:claim-list"),
        data={"text": "Two ships met at sea"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "two-ships-met-at-sea-2"


@pytest.mark.django_db
def test_a_slug_clash_in_another_team_is_no_clash(team, other_team, reporter):
    ClaimFactory(team=other_team, slug="two-ships-met-at-sea")
    claim = services.claim_create(
        team=team, actor=reporter, text="Two ships met at sea"
    )
    assert claim.slug == "two-ships-met-at-sea"


# --- Real concurrency: two threads, two connections, two transactions --------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="two writers at once need PostgreSQL (SQLite serialises whole writes)",
)


@pytest.fixture
def _audit_table_can_be_flushed(transactional_db):
    """The test database is emptied with TRUNCATE after each transactional test;
    the append-only trigger allows that only in a session that asks for it."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET provenance.allow_audit_truncate = 'on'")


def at_once(*calls):
    """Run the calls at the same moment in threads; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome is what is tested
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=c) for c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@postgresql_only
@pytest.mark.usefixtures("_audit_table_can_be_flushed")
@pytest.mark.django_db(transaction=True)
def test_two_posts_creating_the_same_claim_at_once_both_succeed():
    team = TeamFactory(slug="slug-race")
    users = [MembershipFactory(team=team, role="reporter").user for _ in range(2)]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        clients.append(client)

    def post(client):
        return client.post(
            reverse("api:claim-list"),
            data={"text": "Two ships met at sea", "tags": ["Shipping"]},
            content_type="application/json",
        )

    outcomes = at_once(*[lambda c=c: post(c) for c in clients])
    assert [getattr(o, "status_code", o) for o in outcomes] == [201, 201]
    assert sorted(Claim.objects.values_list("slug", flat=True)) == [
        "two-ships-met-at-sea",
        "two-ships-met-at-sea-2",
    ]
    # The new tag both asked for was created once and given to both.
    assert list(Tag.objects.values_list("slug", flat=True)) == ["shipping"]
    assert Claim.objects.filter(tags__slug="shipping").count() == 2


@postgresql_only
@pytest.mark.usefixtures("_audit_table_can_be_flushed")
@pytest.mark.django_db(transaction=True)
def test_two_entities_with_the_same_name_created_at_once_both_succeed():
    team = TeamFactory(slug="slug-race")
    users = [MembershipFactory(team=team, role="reporter").user for _ in range(2)]
    outcomes = at_once(
        *[
            lambda u=u: entity_services.entity_create(
                team=team, actor=u, kind=EntityKind.VESSEL, name="MV Example"
            )
            for u in users
        ]
    )
    assert all(isinstance(o, Entity) for o in outcomes), outcomes
    assert sorted(e.slug for e in outcomes) == ["mv-example", "mv-example-2"]
