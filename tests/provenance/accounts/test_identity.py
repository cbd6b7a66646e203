"""Who is asking, in one query: the session row brings its user and their teams.

The bespoke read's own tests (FAST_IDENTITY on, the default); test_identity_standard
runs the behaviour both positions share in both.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from provenance.accounts import identity
from provenance.accounts.models import WebSession
from provenance.claims import services
from provenance.publishing.api import identity as publisher_identity
from provenance.teams.models import Membership
from tests.factories import ClaimFactory, MembershipFactory, TeamFactory
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not settings.FAST_IDENTITY, reason="the bespoke read's own"),
]


def test_a_cached_page_costs_one_query_for_session_user_and_teams(
    reporter_client, team
):
    ClaimFactory(team=team, text="Ships at Rajin")
    url = reverse("provenance:claim-list")
    reporter_client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = reporter_client.get(url)
    assert response["X-Page-Cache"] == "hit"
    assert b"Ships at Rajin" in response.content
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_the_session_row_names_its_user_and_logout_removes_it(client, reporter):
    reporter.set_password("pass-for-identity")
    reporter.save()
    client.post(
        reverse("login"),
        {"username": reporter.username, "password": "pass-for-identity"},
    )
    key = client.cookies["sessionid"].value
    assert WebSession.objects.get(session_key=key).user_id == reporter.pk
    client.post(reverse("logout"))
    assert not WebSession.objects.filter(session_key=key).exists()


def test_loaded_user_carries_memberships_by_team_name_with_audit_heads(reporter):
    later = TeamFactory(name="Zeta desk", slug="zeta")
    MembershipFactory(user=reporter, team=later, role="editor")
    services.claim_create(team=later, actor=reporter, text="Counted change")

    user = identity.load_user(reporter.pk)

    assert user == reporter
    # Converted as the ORM would (SQLite hands back strings and integers).
    assert user.date_joined.tzinfo is not None
    assert user.is_active is True
    names = [(m.team.name, m.role) for m in user.team_memberships]
    assert names == [("Team A", "reporter"), ("Zeta desk", "editor")]
    heads = {m.team.slug: m.audit_seq for m in user.team_memberships}
    assert heads["zeta"] == 1  # the claim_create audit row
    assert heads["team-a"] == 0


def test_the_orm_read_of_memberships_gives_the_same(reporter, settings):
    later = TeamFactory(name="Zeta desk", slug="zeta")
    MembershipFactory(user=reporter, team=later, role="editor")
    services.claim_create(team=later, actor=reporter, text="Counted change")

    def shown(memberships):
        return [
            (m.pk, m.team.name, m.team.slug, m.role, m.audit_seq) for m in memberships
        ]

    bespoke = shown(identity.memberships_of(identity.load_user(reporter.pk)))
    settings.FAST_IDENTITY = False  # the read only; the rest is fixed at import
    fresh = type(reporter).objects.get(pk=reporter.pk)
    with CaptureQueriesContext(connection) as queries:
        standard = shown(identity.memberships_of(fresh))
        assert identity.memberships_of(fresh) is fresh.team_memberships
    assert len(queries) == 1
    assert standard == bespoke
    assert [row[1:] for row in standard] == [
        ("Team A", "team-a", "reporter", 0),
        ("Zeta desk", "zeta", "editor", 1),
    ]


@pytest.mark.parametrize("user_id", ["not-a-number", 10**9, None])
def test_unknown_or_malformed_user_ids_load_nobody(user_id):
    assert identity.load_user(user_id) is None


def test_a_deactivated_user_is_signed_out_at_the_next_request(
    reporter_client, reporter
):
    url = reverse("provenance:claim-list")
    assert reporter_client.get(url).status_code == 200
    reporter.is_active = False
    reporter.save()
    response = reporter_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_password_change_elsewhere_ends_other_sessions(reporter_client, reporter):
    url = reverse("provenance:claim-list")
    assert reporter_client.get(url).status_code == 200
    reporter.set_password("a-new-password-somewhere-else")
    reporter.save()
    assert reporter_client.get(url).status_code == 302


def test_deleting_a_user_ends_their_sessions(reporter_client, reporter):
    assert WebSession.objects.filter(user=reporter).exists()
    reporter.delete()
    assert not WebSession.objects.exists()


def test_an_expired_session_is_anonymous(reporter_client, reporter):
    WebSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = reporter_client.get(reverse("provenance:claim-list"))
    assert response.status_code == 302


def test_a_role_change_shows_at_once_despite_the_page_cache(reporter_client, reporter):
    url = reverse("provenance:claim-list")
    before = reporter_client.get(url)
    assert before.status_code == 200
    assert b"Claims" in before.content
    assert b"Review queue" not in before.content
    Membership.objects.filter(user=reporter).update(role="editor")
    after = reporter_client.get(url)
    assert after.status_code == 200
    assert b"Review queue" in after.content


def test_removing_the_membership_closes_the_team_at_once(reporter_client, reporter):
    url = reverse("provenance:claim-list")
    assert reporter_client.get(url).status_code == 200
    Membership.objects.filter(user=reporter).delete()
    assert reporter_client.get(url).status_code == 404


def test_a_publisher_key_loads_with_the_heads_of_its_granted_teams(team):
    issued = make_publisher(team)
    publisher = publisher_identity.load_publisher(issued.key.split(".")[0])
    assert publisher.pk == issued.publisher.pk
    assert publisher.team_heads == {team.pk: 1}  # granting the key is recorded


def test_a_newly_granted_team_reaches_the_publisher_list_at_once(team, other_team):
    issued = make_publisher(team)
    ClaimFactory(team=other_team, status="published", published_at=timezone.now())
    client = publisher_client(issued.key)
    url = reverse("api:claim-list")
    assert client.get(url).json()["results"] == []
    issued.publisher.teams.add(other_team)
    assert len(client.get(url).json()["results"]) == 1


def test_the_orm_read_of_a_publisher_gives_the_same(
    team, other_team, outsider, settings
):
    issued = make_publisher(team, other_team)
    services.claim_create(team=other_team, actor=outsider, text="Counted change")
    prefix = issued.key.split(".")[0]
    bespoke = publisher_identity.load_publisher(prefix)
    settings.FAST_IDENTITY = False
    standard = publisher_identity.load_publisher(prefix)
    assert standard.pk == bespoke.pk == issued.publisher.pk
    assert standard.team_heads == bespoke.team_heads
    assert bespoke.team_heads == {team.pk: 1, other_team.pk: 2}
    assert publisher_identity.load_publisher("no-such-prefix") is None


@pytest.mark.parametrize("fast", [True, False])
def test_revoked_and_expired_keys_load_no_publisher(team, settings, fast):
    settings.FAST_IDENTITY = fast
    issued = make_publisher(team)
    prefix = issued.key.split(".")[0]
    now = timezone.now()
    assert publisher_identity.load_publisher(prefix, at=now) is not None
    type(issued.publisher).objects.filter(pk=issued.publisher.pk).update(expires_at=now)
    assert publisher_identity.load_publisher(prefix, at=now) is None
    type(issued.publisher).objects.filter(pk=issued.publisher.pk).update(
        expires_at=None, revoked_at=now
    )
    assert publisher_identity.load_publisher(prefix, at=now) is None
