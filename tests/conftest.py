import pytest
from django.conf import settings
from django.db.backends.signals import connection_created
from django.test import Client

from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.mail import smtp_inbox  # noqa: F401  (a real SMTP server, for any test)
from tests.s3 import s3_server, s3_storage  # noqa: F401  (a real S3 server)


def _allow_audit_flush(sender, connection, **kwargs) -> None:
    """The PostgreSQL trigger refuses TRUNCATE of the audit table unless the session
    asks; the test runner's flush after transactional tests is the one that may."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET provenance.allow_audit_truncate = 'on'")


connection_created.connect(_allow_audit_flush)


@pytest.fixture(autouse=True)
def _media_and_static(settings, tmp_path):
    """Uploads go to a temp dir; static files need no collectstatic in tests."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.SIGNING_KEY_PATH = tmp_path / "signing_key.pem"
    # Evidence tasks in the request, as before: tests assert what a step left.
    # tests/evidence/test_background.py runs them in the background thread.
    settings.EVIDENCE_TASKS_IN_THREAD = False
    # Fast hashing: the tests are about behaviour, not key stretching.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_off(settings):
    """Off for the suite (its many force_login editors would all be sent to
    enrolment); tests/provenance/accounts/test_second_factor*.py turn it on."""
    settings.SECOND_FACTOR_REQUIRED = False


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    from provenance.search import indexing

    cache.clear()
    # The process's known search words would outlive a rolled-back test's rows.
    indexing._KNOWN_WORDS.clear()
    indexing._ADDED_HERE.clear()


@pytest.fixture(autouse=True)
def _no_axes_lockouts_between_tests(settings):
    settings.AXES_ENABLED = True


@pytest.fixture
def team(db):
    return TeamFactory(name="Team A", slug="team-a")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Team B", slug="team-b")


@pytest.fixture
def reporter(team):
    return MembershipFactory(team=team, role="reporter").user


@pytest.fixture
def editor(team):
    return MembershipFactory(team=team, role="editor").user


@pytest.fixture
def second_editor(team):
    return MembershipFactory(team=team, role="editor").user


@pytest.fixture
def outsider(other_team):
    return MembershipFactory(team=other_team, role="reporter").user


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    return client


@pytest.fixture
def reporter_client(reporter):
    return _client_for(reporter)


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def login_as():
    return _client_for


@pytest.fixture
def user_factory(db):
    return UserFactory
