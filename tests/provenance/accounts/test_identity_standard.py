"""Both positions of FAST_IDENTITY give the same identity behaviour.

Settings are read at import, so the cases below run in this process (whichever
position it has, normally the bespoke read) and, through the last test, once more in
a child pytest with FAST_IDENTITY=0 (Django's session store, AuthenticationMiddleware,
ModelBackend and PostgreSQL backend). Sign-in goes through the real login view, so
the session names whichever backend the position configures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClaimFactory, MembershipFactory
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    published,
    publisher_client,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # tests.factories.UserFactory's
ON_POSTGRESQL = connection.vendor == "postgresql"
# Cases that only mean something on PostgreSQL (skipped elsewhere, in both runs).
POSTGRESQL_ONLY = {"test_only_the_bespoke_position_prepares_statements"}
LAUNCHER = "test_the_same_cases_pass_with_fast_identity_off"


def _signed_in(user) -> Client:
    client = Client()
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    return client


def _session_store(key: str | None = None):
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def _session_model():
    return type(_session_store()).get_model_class()


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login")
    )


# What each position configures: FAST_IDENTITY on (the bespoke read), then off.
MECHANISMS = {
    True: {
        "middleware": "provenance.accounts.identity.TeamAuthenticationMiddleware",
        "backend": "provenance.accounts.identity.TeamModelBackend",
        "session_engine": "provenance.accounts.identity",
        "session_table": "provenance_websession",
        "postgresql_backend": "provenance.postgresql.base",
    },
    False: {
        "middleware": "django.contrib.auth.middleware.AuthenticationMiddleware",
        "backend": "django.contrib.auth.backends.ModelBackend",
        "session_engine": "django.contrib.sessions.backends.db",
        "session_table": "django_session",
        "postgresql_backend": "django.db.backends.postgresql.base",
    },
}


def test_the_position_configures_its_mechanisms():
    expected = dict(MECHANISMS[settings.FAST_IDENTITY])
    if not settings.FAST_IDENTITY and settings.CACHE_URL.startswith("redis"):
        # Sessions read through the cache only when every web process shares it.
        expected["session_engine"] = "django.contrib.sessions.backends.cached_db"
    if not ON_POSTGRESQL:
        del expected["postgresql_backend"]
    configured = {
        "middleware": next(
            m for m in settings.MIDDLEWARE if m.endswith("AuthenticationMiddleware")
        ),
        "backend": settings.AUTHENTICATION_BACKENDS[-1],
        "session_engine": settings.SESSION_ENGINE,
        "session_table": _session_model()._meta.db_table,
    }
    if ON_POSTGRESQL:
        configured["postgresql_backend"] = type(connections["default"]).__module__
    assert configured == expected
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_own_team_pages_open_and_other_teams_do_not(team, other_team):
    user = MembershipFactory(team=team, role="reporter").user
    own = ClaimFactory(team=team, text="Ships at Rajin")
    foreign = ClaimFactory(team=other_team, text="Trains at Tikhoretsk")
    client = _signed_in(user)

    page = client.get(reverse("provenance:claim-detail", args=[own.pk]))
    assert page.status_code == 200
    assert b"Ships at Rajin" in page.content
    listing = client.get(reverse("provenance:claim-list"))
    assert listing.status_code == 200
    assert b"Ships at Rajin" in listing.content
    assert b"Trains at Tikhoretsk" not in listing.content
    other = client.get(reverse("provenance:claim-detail", args=[foreign.pk]))
    assert other.status_code == 404
    # Reporters see no review queue; the same user as editor does, at once.
    assert b"Review queue" not in listing.content
    user.memberships.update(role="editor")
    assert b"Review queue" in client.get(reverse("provenance:claim-list")).content


def test_logout_ends_the_session(team):
    user = MembershipFactory(team=team, role="reporter").user
    claim = ClaimFactory(team=team)
    client = _signed_in(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _session_model().objects.filter(session_key=key).count() == 1

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGOUT_REDIRECT_URL)
    assert _session_model().objects.filter(session_key=key).count() == 0
    assert _sent_to_login(
        client.get(reverse("provenance:claim-detail", args=[claim.pk]))
    )
    # The old cookie signs nobody in either.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert _sent_to_login(replay.get(reverse("provenance:claim-list")))


def test_an_expired_session_is_anonymous(team):
    user = MembershipFactory(team=team, role="reporter").user
    client = _signed_in(user)
    url = reverse("provenance:claim-list")
    assert client.get(url).status_code == 200
    # Through the store, so a cache in front of the rows (cached_db) learns it too.
    store = _session_store(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store.set_expiry(-1)
    store.save()
    assert _session_model().objects.get().expire_date < timezone.now()
    assert _sent_to_login(client.get(url))


def test_deactivation_password_change_and_deletion_sign_out(team):
    url = reverse("provenance:claim-list")
    deactivated, changed, deleted = (
        MembershipFactory(team=team, role="reporter").user for _ in range(3)
    )
    clients = [_signed_in(user) for user in (deactivated, changed, deleted)]
    assert [client.get(url).status_code for client in clients] == [200, 200, 200]

    deactivated.is_active = False
    deactivated.save()
    changed.set_password("a-new-password-somewhere-else")
    changed.save()
    deleted.delete()

    assert [_sent_to_login(client.get(url)) for client in clients] == [True] * 3


def test_a_removed_membership_closes_the_team_at_once(team):
    user = MembershipFactory(team=team, role="reporter").user
    client = _signed_in(user)
    url = reverse("provenance:claim-list")
    assert client.get(url).status_code == 200
    user.memberships.all().delete()
    assert client.get(url).status_code == 404


def test_a_cached_page_costs_what_the_position_says(team):
    user = MembershipFactory(team=team, role="reporter").user
    client = _signed_in(user)
    url = reverse("provenance:claim-list")
    assert client.get(url).status_code == 200  # built and cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    tables = [q["sql"].rsplit(" FROM ", 1)[1].split()[0] for q in queries]
    if settings.FAST_IDENTITY:
        assert tables == ['"provenance_websession"'], tables
    else:
        # cached_db (CACHE_URL=redis://...) reads the session from the cache.
        cached = settings.SESSION_ENGINE.endswith("cached_db")
        expected = ['"django_session"'] if not cached else []
        assert tables == [*expected, '"auth_user"', '"provenance_membership"'], tables


def test_a_member_reads_the_api_through_the_session(team, other_team):
    user = MembershipFactory(team=team, role="reporter").user
    own = ClaimFactory(team=team)
    ClaimFactory(team=other_team)
    client = _signed_in(user)
    response = client.get(reverse("api:claim-list"))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


def test_a_publisher_key_reads_its_teams_published_claims(team, other_team):
    mine = published(team)
    ClaimFactory(team=team)  # a draft
    published(other_team)
    issued = make_publisher(team)
    client = publisher_client(issued.key)
    url = reverse("api:claim-list")

    response = client.get(url)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]

    issued.publisher.teams.add(other_team)
    assert len(client.get(url).json()["results"]) == 2
    type(issued.publisher).objects.filter(pk=issued.publisher.pk).update(
        revoked_at=timezone.now()
    )
    assert client.get(url).status_code == 401


@pytest.mark.skipif(not ON_POSTGRESQL, reason="prepared statements are PostgreSQL's")
def test_only_the_bespoke_position_prepares_statements(team):
    user = MembershipFactory(team=team, role="reporter").user
    client = _signed_in(user)
    for _ in range(2):
        assert client.get(reverse("provenance:claim-list")).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    if settings.FAST_IDENTITY:
        assert len([s for s in statements if "session_data" in s]) == 1
    else:
        assert statements == []


def _standard_database_url() -> str | None:
    """The child's database: its own test database beside this run's."""
    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        base, _, query = url.partition("?")
        return f"{base}_std" + (f"?{query}" if query else "")
    return url


@pytest.mark.skipif(not settings.FAST_IDENTITY, reason="this is the child run")
def test_the_same_cases_pass_with_fast_identity_off(tmp_path):
    env = {**os.environ, "FAST_IDENTITY": "0"}
    env.pop("PYTEST_ADDOPTS", None)
    url = _standard_database_url()
    if url:
        env["DATABASE_URL"] = url
    report = tmp_path / "standard.xml"
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "manage.py").exists())
    pytest_command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    child = subprocess.run(
        [*pytest_command, str(here.relative_to(root)), f"--junitxml={report}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]

    outcomes = {}
    for case in ET.parse(report).iter("testcase"):
        kinds = {element.tag for element in case}
        outcomes[case.get("name")] = (
            "skipped"
            if "skipped" in kinds
            else "failed"
            if kinds & {"failure", "error"}
            else "passed"
        )
    cases = [
        name
        for name, value in globals().items()
        if name.startswith("test_") and callable(value) and name != LAUNCHER
    ]
    expected = {
        name: "passed" if ON_POSTGRESQL or name not in POSTGRESQL_ONLY else "skipped"
        for name in cases
    }
    assert outcomes == {**expected, LAUNCHER: "skipped"}
