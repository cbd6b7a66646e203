"""The second factor in a real browser: an editor enrols an authenticator app from
the QR page (the test reads the key off the page and computes the codes), keeps
recovery codes (one works once), and signs in with password + code; a security key
through Chromium's virtual authenticator (CDP WebAuthn domain). Under the site's CSP:
no console errors."""

from __future__ import annotations

import base64
import re
import time
from importlib import import_module

import pytest
from django.conf import settings
from django_otp.oath import TOTP
from playwright.sync_api import expect

from provenance.audit.models import AuditEvent
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
)
from tests.provenance.accounts.second_factor_helpers import fresh_code, totp_device

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _required(settings, live_server):
    settings.SECOND_FACTOR_REQUIRED = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


def code_for(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this key (django-otp's own TOTP)."""
    totp = TOTP(base64.b32decode(secret))
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def password_step(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-42")
    page.get_by_role("button", name="Log in").click()


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_enrol_an_app_from_the_qr_page_then_sign_in_with_password_and_code(
    new_page, team, console, screenshots, live_server
):
    shots = screenshots("second-factor-")
    editor = MembershipFactory(team=team, role="editor").user
    page = new_page()

    password_step(page, editor.username)
    # An editor without a factor lands on enrolment and can reach nothing else.
    expect(page.get_by_text("Your role needs a second factor")).to_be_visible()
    page.goto("/review/")
    expect(page).to_have_url(re.compile(r"/account/security/$"))

    page.get_by_role("link", name="Add an authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    shots(page, "qr code")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(code_for(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Authenticator app added.")).to_be_visible()

    page.get_by_role("button", name="Generate recovery codes").click()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shots(page, "recovery codes")
    page.get_by_role("link", name="Done").click()
    log_out(page)

    password_step(page, editor.username)
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.goto("/review/")
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    # The confirmation used this period's code: the app's next one is accepted.
    page.get_by_label("Code").fill(code_for(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    log_out(page)

    # A recovery code works once.
    password_step(page, editor.username)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Claims")).to_be_visible()
    log_out(page)
    password_step(page, editor.username)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    shots(page, "used recovery code refused")

    # The one error is that refusal's status (a refused form is a 400 here).
    verify = f"{live_server.url}/account/security/verify/"
    assert console.errors == [
        f"{verify}: Failed to load resource: the server responded with a status "
        f"of 400 (Bad Request) [{verify}]"
    ]


def test_a_security_key_is_enrolled_and_signs_in(new_page, team, console, live_server):
    editor = MembershipFactory(team=team, role="editor").user
    page = new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    password_step(page, editor.username)
    page.get_by_role("link", name="Add a security key or passkey").click()
    page.get_by_role("button", name="Register a key").click()
    # The page returns to the list once the key is registered.
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    expect(page.locator(".devices li")).to_have_count(1)
    credentials = cdp.send(
        "WebAuthn.getCredentials", {"authenticatorId": authenticator}
    )
    assert len(credentials["credentials"]) == 1
    assert AuditEvent.objects.filter(action="second_factor.add").count() == 1
    log_out(page)

    password_step(page, editor.username)
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.get_by_role("button", name="Use a security key").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto("/review/")
    expect(page).to_have_url(re.compile(r"/review/$"))

    assert console.errors == []


def _age_step_up(page, seconds: int) -> None:
    """Move the browser session's recorded second-factor time back (no sleeping)."""
    key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session["second_factor_at"] -= seconds
    session.save()


def test_publishing_wants_a_factor_and_again_after_the_window(
    new_page, team, reporter, console
):
    editor = MembershipFactory(team=team, role="editor").user
    for text in ("Angara left Rajin", "Lady R docked at Dunai"):
        claim = ClaimFactory(team=team, author=reporter, status="approved", text=text)
        ClaimEvidenceFactory(claim=claim, relation="supports")
        AssessmentFactory(claim=claim)
    page = new_page()

    # Without a factor, the editor reaches no review page: enrolment first.
    password_step(page, editor.username)
    page.goto("/review/")
    expect(page).to_have_url(re.compile(r"/account/security/$"))
    log_out(page)

    device = totp_device(editor)
    password_step(page, editor.username)
    page.get_by_label("Code").fill(fresh_code(device))
    page.get_by_role("button", name="Verify").click()
    page.goto("/review/")
    waiting = page.locator("table.awaiting tbody tr")
    waiting.filter(has_text="Angara").get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Publish: done.")).to_be_visible()

    # After the window, publishing asks for the factor again, then works.
    _age_step_up(page, 601)
    waiting.filter(has_text="Lady R").get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Code").fill(fresh_code(device))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    waiting.filter(has_text="Lady R").get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Publish: done.")).to_be_visible()
    expect(page.locator("table.awaiting")).to_contain_text(
        "No approved claims waiting."
    )

    assert console.errors == []
