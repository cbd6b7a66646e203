"""Single sign-on against a real OpenID Connect provider on loopback
(django-oauth-toolkit in a second process, tests/oidc_provider/): the site's side
runs in Django's test client, the provider's login and consent over HTTP, and the
site exchanges the code with the provider itself."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse

from provenance.accounts.models import OIDCIdentity
from provenance.audit.models import AuditEvent
from tests.access_matrix.harness import METHODS, ROLES, clients, discover_routes, send
from tests.access_matrix.table import OIDC_TABLE
from tests.access_matrix.world import build_world
from tests.factories import MembershipFactory, UserFactory
from tests.oidc_provider.server import CLIENT_ID, sign_in_at_provider

LOGGER = "provenance.accounts.oidc"


def _start(client: Client) -> str:
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    return response["Location"]


def _callback(client: Client, back: str):
    parts = urlsplit(back)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://testserver/oidc/callback/"
    )
    return client.get(f"{parts.path}?{parts.query}")


def _sign_on(client: Client, provider_user: str):
    return _callback(client, sign_in_at_provider(_start(client), provider_user))


def _message(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def _refused(client: Client, response) -> str:
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session
    # Not counted by axes: a failed sign-on must not lock a password login.
    assert AccessAttempt.objects.count() == 0
    return _message(response)


# --- Off unless configured ----------------------------------------------------------


def test_without_configuration_nothing_is_routed_shown_or_listed(client, db, settings):
    assert settings.OIDC_ENABLED is False
    with pytest.raises(NoReverseMatch):
        reverse("oidc_authentication_init")
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    page = client.get(reverse("login"))
    assert b"Sign in with" not in page.content
    assert not [b for b in settings.AUTHENTICATION_BACKENDS if "oidc" in b]
    assert not [r.name for r in discover_routes() if "oidc" in r.name]


def test_the_login_page_offers_the_provider(client, db, oidc_site):
    page = client.get(reverse("login") + "?next=/claims/")
    assert page.status_code == 200
    assert (
        b'<a class="button" href="/oidc/authenticate/?next=%2Fclaims%2F">'
        b"Sign in with Test ID</a>" in page.content
    )


# --- Matching ------------------------------------------------------------------------


def test_a_verified_email_lands_on_its_account_and_binds_the_subject(
    client, team, oidc_site, settings
):
    user = MembershipFactory(team=team, role="reporter", user__username="a.smith").user
    user.email = "Alice@Example.ORG"  # the match ignores case
    user.save(update_fields=["email"])
    users_before = get_user_model().objects.count()

    response = _sign_on(client, "alice")

    assert response.status_code == 302
    assert response["Location"] == reverse("provenance:claim-list")
    # The session a password login leaves: same user key, same backend.
    assert client.session[SESSION_KEY] == str(user.pk)
    password_backend = (
        "provenance.accounts.identity.TeamModelBackend"
        if settings.FAST_IDENTITY
        else "django.contrib.auth.backends.ModelBackend"
    )
    assert client.session["_auth_user_backend"] == password_backend
    assert client.get(reverse("provenance:claim-list")).status_code == 200
    identity = OIDCIdentity.objects.get()
    assert (identity.user_id, identity.issuer, identity.subject) == (
        user.pk,
        oidc_site.issuer,
        oidc_site.subjects["alice"],
    )
    event = AuditEvent.objects.get(action="oidc.bind")
    assert (event.team_id, event.actor_id, event.payload) == (
        team.pk,
        user.pk,
        {
            "user": user.pk,
            "issuer": oidc_site.issuer,
            "subject": oidc_site.subjects["alice"],
        },
    )
    # The same access-log row a password login writes (axes, on user_logged_in).
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["a.smith"]
    assert get_user_model().objects.count() == users_before

    # Next time the bound subject decides; nothing is bound or audited again.
    again = Client()
    assert _sign_on(again, "alice")["Location"] == reverse("provenance:claim-list")
    assert again.session[SESSION_KEY] == str(user.pk)
    assert OIDCIdentity.objects.count() == 1
    assert AuditEvent.objects.filter(action="oidc.bind").count() == 1


def test_the_bound_subject_wins_over_a_changed_email(client, team, oidc_site):
    user = UserFactory(username="a.smith", email="alice@example.org")
    _sign_on(client, "alice")
    user.email = "alice.smith@example.net"
    user.save(update_fields=["email"])
    UserFactory(username="someone", email="alice@example.org")

    again = Client()
    _sign_on(again, "alice")

    assert again.session[SESSION_KEY] == str(user.pk)


def test_an_unverified_email_is_refused(client, db, oidc_site, caplog):
    UserFactory(username="bob", email="bob@example.org")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = _sign_on(client, "mallory")

    message = _refused(client, response)
    assert message == (
        "Test ID did not confirm a verified email address for you, so no account "
        "can be matched. Verify your address there, or sign in with your password."
    )
    assert OIDCIdentity.objects.count() == 0
    assert [r.getMessage().split(" ip=")[0] for r in caplog.records] == [
        "oidc sign-on refused: email-not-verified"
    ]


def test_an_unknown_email_is_refused_and_no_user_is_created(client, db, oidc_site):
    users_before = get_user_model().objects.count()

    message = _refused(client, _sign_on(client, "stranger"))

    assert message == (
        "No account here matches your Test ID identity. Ask a team admin to add "
        "your verified email address to your account."
    )
    assert get_user_model().objects.count() == users_before
    assert not get_user_model().objects.filter(email__iexact="stranger@example.org")
    assert OIDCIdentity.objects.count() == 0


def test_another_subject_with_the_bound_email_is_refused(client, team, oidc_site):
    user = MembershipFactory(team=team, user__email="alice@example.org").user
    _sign_on(client, "alice")
    assert client.session[SESSION_KEY] == str(user.pk)

    twin = Client()
    message = _refused(twin, _sign_on(twin, "alice-twin"))

    assert message == (
        "This account is already linked to another identity at Test ID. Sign in "
        "with that identity, or with your password."
    )
    assert list(OIDCIdentity.objects.values_list("subject", flat=True)) == [
        oidc_site.subjects["alice"]
    ]


def test_an_inactive_user_is_refused(client, db, oidc_site):
    UserFactory(username="carol", email="carol@example.org", is_active=False)

    assert _refused(client, _sign_on(client, "carol")) == (
        "This account is deactivated."
    )
    assert OIDCIdentity.objects.count() == 0


def test_declining_consent_is_refused(client, db, oidc_site):
    UserFactory(username="a.smith", email="alice@example.org")
    back = sign_in_at_provider(_start(client), "alice", consent=False)
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]

    assert _refused(client, _callback(client, back)) == (
        "Signing in with Test ID did not complete."
    )


# --- The library's state and nonce checks -------------------------------------------


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def test_a_tampered_state_is_refused(client, db, oidc_site, caplog):
    UserFactory(username="a.smith", email="alice@example.org")
    back = sign_in_at_provider(_start(client), "alice")

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = _callback(client, _with_query(back, state="forged-state"))

    assert _refused(client, response) == (
        "Signing in was refused: the answer from Test ID did not check out. "
        "Please start again."
    )
    assert "callback-rejected" in caplog.text
    assert "state not found" in caplog.text
    assert OIDCIdentity.objects.count() == 0


def test_a_callback_is_used_once(client, db, oidc_site):
    UserFactory(username="a.smith", email="alice@example.org")
    back = sign_in_at_provider(_start(client), "alice")
    assert _callback(client, back)["Location"] == reverse("provenance:claim-list")
    client.logout()

    # The same state again (a replay): the library dropped it at first use.
    assert SESSION_KEY not in client.session
    replay = _callback(client, back)
    assert replay["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


def test_a_callback_in_another_browser_is_refused(client, db, oidc_site):
    """The code and state were issued to the browser that started the sign-on."""
    UserFactory(username="a.smith", email="alice@example.org")
    back = sign_in_at_provider(_start(client), "alice")
    elsewhere = Client()

    assert _refused(elsewhere, _callback(elsewhere, back)) == (
        "Signing in with Test ID did not complete."
    )


def test_a_nonce_not_issued_to_this_sign_on_is_refused(client, db, oidc_site, caplog):
    """The provider signs the nonce it was sent into the ID token; the library
    compares it with the one kept in the session for that state."""
    UserFactory(username="a.smith", email="alice@example.org")
    authorize = _start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    session = client.session
    session["oidc_states"][state]["nonce"] = "not-the-nonce-sent"
    session.save()

    back = sign_in_at_provider(authorize, "alice")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = _callback(client, back)

    assert "did not check out" in _refused(client, response)
    assert "error=JWT Nonce verification failed." in caplog.text
    assert OIDCIdentity.objects.count() == 0


# --- Throttling --------------------------------------------------------------------


def test_failed_sign_ons_do_not_lock_password_logins(client, db, oidc_site, settings):
    settings.AXES_FAILURE_LIMIT = 2
    user = UserFactory(username="stranger", email="someone.else@example.org")
    for _ in range(3):
        _refused(client, _sign_on(client, "stranger"))
    assert AccessAttempt.objects.count() == 0

    response = client.post(
        reverse("login"), {"username": "stranger", "password": "correct-horse-42"}
    )

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


# --- Access matrix rows for the routes sign-on adds ---------------------------------


def test_configured_sign_on_adds_exactly_the_matrix_rows(db, oidc_site):
    names = {route.name for route in discover_routes() if "oidc" in route.name}
    assert names == set(OIDC_TABLE)


@pytest.mark.parametrize("name", sorted(OIDC_TABLE))
def test_oidc_route(name, db, oidc_site):
    world = build_world()
    by_role = clients(world)
    _, expect = OIDC_TABLE[name]
    url = reverse(name)
    found = [
        f"{method} {url} as {role}: {got}, want {expect[method][role]}"
        for method in METHODS
        for role in ROLES
        if (got := send(by_role[role], method, url).outcome) != expect[method][role]
    ]
    assert not found, "\n".join(found)


def test_the_next_page_asked_for_is_where_sign_on_lands(client, db, oidc_site):
    UserFactory(username="a.smith", email="alice@example.org")
    start = client.get(reverse("oidc_authentication_init") + "?next=/entities/")
    back = sign_in_at_provider(start["Location"], "alice")

    assert _callback(client, back)["Location"] == "/entities/"


# --- Configuration by endpoints, and the checks the library leaves out ----------------


@pytest.fixture
def by_endpoints(settings, oidc_site):
    """The endpoints set one by one, no discovery document."""
    issuer = oidc_site.issuer
    settings.OIDC_OP_DISCOVERY_URL = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{issuer}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{issuer}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{issuer}/.well-known/jwks.json"
    return oidc_site


def test_endpoints_set_one_by_one_work_without_discovery(client, db, by_endpoints):
    from provenance.accounts import oidc

    user = UserFactory(username="a.smith", email="alice@example.org")
    _sign_on(client, "alice")

    assert client.session[SESSION_KEY] == str(user.pk)
    assert oidc._discovery == {}


def test_an_id_token_from_another_issuer_is_refused(
    client, db, by_endpoints, settings, caplog
):
    settings.OIDC_OP_ISSUER = "https://id.example.org"
    UserFactory(username="a.smith", email="alice@example.org")

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        response = _sign_on(client, "alice")

    assert "did not check out" in _refused(client, response)
    assert "refused: id-token-issuer" in caplog.text
    assert OIDCIdentity.objects.count() == 0
    assert AccessAttempt.objects.count() == 0


@pytest.mark.parametrize(
    ("aud", "azp"),
    [("another-client", None), (["another-client", CLIENT_ID], "another-client")],
)
def test_an_id_token_for_another_client_is_refused(aud, azp, db, oidc_site):
    from provenance.accounts.oidc import OIDCRefused, ProvenanceOIDCBackend

    payload = {"iss": oidc_site.issuer, "sub": "1", "aud": aud, "azp": azp}
    with pytest.raises(OIDCRefused) as refused:
        ProvenanceOIDCBackend()._claims_of(payload)
    assert refused.value.reason == "id-token-audience"


def test_an_id_token_for_this_client_gives_issuer_and_subject(db, oidc_site):
    from provenance.accounts.oidc import ProvenanceOIDCBackend

    payload = {"iss": oidc_site.issuer, "sub": "7", "aud": [CLIENT_ID, "api"]}
    payload["azp"] = CLIENT_ID
    assert ProvenanceOIDCBackend()._claims_of(payload) == (oidc_site.issuer, "7")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parents[3],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


SHOW_CONFIGURATION = (
    "from django.conf import settings; from django.urls import reverse; "
    "print(settings.OIDC_ENABLED, settings.AUTHENTICATION_BACKENDS[1], "
    "reverse('oidc_authentication_callback'))"
)


def test_the_environment_alone_turns_sign_on_on():
    result = _manage(
        "shell",
        "-c",
        SHOW_CONFIGURATION,
        OIDC_RP_CLIENT_ID="provenance",
        OIDC_RP_CLIENT_SECRET="s3cret",
        OIDC_OP_DISCOVERY_URL="https://id.example.org/.well-known/openid-configuration",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "True",
        "provenance.accounts.oidc.ProvenanceOIDCBackend",
        "/oidc/callback/",
    ]


def test_a_client_id_without_a_provider_refuses_to_start():
    result = _manage("check", OIDC_RP_CLIENT_ID="provenance")
    assert result.returncode != 0
    assert "OIDC_RP_CLIENT_ID needs OIDC_OP_DISCOVERY_URL or the endpoint URLs" in (
        result.stderr
    )


def test_an_unreachable_provider_is_said_plainly(client, db, oidc_site, settings):
    from provenance.accounts import oidc

    oidc._discovery.clear()
    # A port nobody listens on: the connection is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.OIDC_OP_DISCOVERY_URL = f"http://127.0.0.1:{closed}/.well-known/x"

    response = client.get(reverse("oidc_authentication_init"))

    assert _refused(client, response) == (
        "Test ID could not be reached. Please try again later."
    )


# --- Unlinking -----------------------------------------------------------------------


def test_unlinking_lets_the_next_sign_on_match_by_email_again(client, team, oidc_site):
    user = MembershipFactory(team=team, user__email="alice@example.org").user
    _sign_on(client, "alice")
    out = StringIO()

    call_command("oidc_unbind", user.username, stdout=out)

    assert out.getvalue() == f"Unlinked {user.username} from {oidc_site.issuer}.\n"
    assert OIDCIdentity.objects.count() == 0
    event = AuditEvent.objects.get(action="oidc.unbind")
    assert (event.team_id, event.actor_id, event.payload["user"]) == (
        team.pk,
        None,
        user.pk,
    )
    # The provider's other identity with that email may now take the account.
    twin = Client()
    _sign_on(twin, "alice-twin")
    assert twin.session[SESSION_KEY] == str(user.pk)
    assert OIDCIdentity.objects.get().subject == oidc_site.subjects["alice-twin"]


def test_unlinking_is_for_superusers(db, team):
    from django.core.exceptions import PermissionDenied

    from provenance.accounts.oidc_services import (
        oidc_identity_bind,
        oidc_identity_unbind,
    )

    admin = MembershipFactory(team=team, role="admin").user
    identity = oidc_identity_bind(user=admin, issuer="https://id.example", subject="1")
    with pytest.raises(PermissionDenied):
        oidc_identity_unbind(identity_id=identity.pk, actor=admin)
    root = UserFactory(is_superuser=True, is_staff=True)
    oidc_identity_unbind(identity_id=identity.pk, actor=root)
    assert OIDCIdentity.objects.count() == 0


def test_unlinking_nobody_is_an_error(db):
    UserFactory(username="nolink")
    with pytest.raises(CommandError, match="nolink has no sign-on identity"):
        call_command("oidc_unbind", "nolink")
