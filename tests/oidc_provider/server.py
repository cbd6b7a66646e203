"""Fixtures: the test OpenID Connect provider (django-oauth-toolkit, this folder's
project) as a real second process on a spare loopback port, and the relying-party
settings that point the site at it.

The provider gets its own SQLite file in a temp dir and an RS256 key generated for
the run; it is migrated and seeded with users and a registered confidential client,
then served by `runserver` until the session ends.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "provenance-test-client"
CLIENT_SECRET = "provenance-test-secret"
PROVIDER_PASSWORD = "provider-pass-42"
PROVIDER_NAME = "Test ID"
TEST_CLIENT_CALLBACK = "http://testserver/oidc/callback/"
# Who the provider knows. `verified` False: the provider never confirmed the email.
USERS = [
    {"username": "alice", "email": "alice@example.org"},
    {"username": "alice-twin", "email": "alice@example.org"},
    {"username": "mallory", "email": "bob@example.org", "verified": False},
    {"username": "stranger", "email": "stranger@example.org"},
    {"username": "carol", "email": "carol@example.org"},
    {"username": "dave", "email": "dave@example.org"},
]
# How long the provider may take to come up: a ceiling, not a duration.
READY_WITHIN_SECONDS = 60


def _spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass
class Provider:
    url: str
    env: dict[str, str]
    subjects: dict[str, str] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def manage(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            input=stdin,
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def seed(self, spec: dict) -> None:
        self.subjects.update(
            json.loads(self.manage("provider_seed", stdin=json.dumps(spec)))
        )

    def allow_redirect(self, uri: str) -> None:
        self.seed(
            {
                "client": {
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "redirect_uris": [uri],
                }
            }
        )


def _wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The OIDC provider exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or too slow to answer: not ready yet
        time.sleep(0.2)
    pytest.fail(f"The OIDC provider did not come up: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    folder = tmp_path_factory.mktemp("oidc_provider")
    key = folder / "rs256.pem"
    key.write_text(_rsa_pem())
    port = _spare_port()
    env = {
        key_: value
        for key_, value in os.environ.items()
        if not key_.startswith(("DJANGO_", "DATABASE_URL", "OIDC_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        OIDC_PROVIDER_DB=str(folder / "provider.sqlite3"),
        OIDC_PROVIDER_KEY=str(key),
        PYTHONPATH=str(REPO),
    )
    provider = Provider(url=f"http://127.0.0.1:{port}", env=env)
    provider.manage("migrate", "--noinput")
    provider.seed(
        {
            "users": [{**user, "password": PROVIDER_PASSWORD} for user in USERS],
            "client": {
                "client_id": CLIENT_ID,
                "secret": CLIENT_SECRET,
                "redirect_uris": [TEST_CLIENT_CALLBACK],
            },
        }
    )
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "django",
                "runserver",
                "--noreload",
                f"127.0.0.1:{port}",
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, provider.discovery_url, log)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def oidc_site(settings, oidc_provider) -> Provider:
    """The site as a deployment with single sign-on configured through the
    provider's discovery document (the routes are added as provenance/urls.py
    adds them when OIDC_RP_CLIENT_ID is set)."""
    from provenance.accounts import oidc

    oidc._discovery.clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.discovery_url
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    backends = list(settings.AUTHENTICATION_BACKENDS)
    settings.AUTHENTICATION_BACKENDS = [backends[0], oidc.BACKEND, *backends[1:]]
    settings.ROOT_URLCONF = "tests.oidc_provider.site_urls"
    yield oidc_provider
    oidc._discovery.clear()


# --- Driving the provider's side of the flow without a browser --------------------


class _Forms(HTMLParser):
    """Each form's action and its named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append((attributes.get("action") or "", {}))
        elif (
            tag == "input"
            and self.forms
            and attributes.get("name")
            and attributes.get("type") != "submit"
        ):
            self.forms[-1][1][attributes["name"]] = attributes.get("value") or ""


def _form(html: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(html)
    assert parser.forms, html[:500]
    return parser.forms[0]


def sign_in_at_provider(
    authorize_url: str, username: str, *, consent: bool = True
) -> str:
    """Log in at the provider as `username` and answer its consent page; returns
    where the provider sends the browser back (the site's callback with code and
    state, or with an error)."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    _, fields = _form(page.text)
    fields.update(username=username, password=PROVIDER_PASSWORD)
    consent_page = browser.post(page.url, data=fields, timeout=10)
    assert consent_page.status_code == 200, consent_page.text[:500]
    assert re.search(r'name="allow"', consent_page.text), consent_page.text[:500]
    _, fields = _form(consent_page.text)
    if consent:
        fields["allow"] = "Authorize"
    back = browser.post(
        consent_page.url, data=fields, timeout=10, allow_redirects=False
    )
    assert back.status_code == 302, back.text[:500]
    return back.headers["Location"]
