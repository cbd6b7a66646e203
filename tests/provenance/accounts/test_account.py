"""The account page (issue 16): name, email verified by a link, teams, sessions,
API token, password change.

Email arrives in Django's locmem outbox (`mail.outbox`, pytest-django's test
backend): the loopback SMTP server fixture of the notifications work is not on
main yet.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from provenance.accounts import services
from provenance.accounts.models import SessionRecord
from provenance.audit.models import AuditEvent
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # tests.factories.UserFactory's
CONFIRM_URL = "http://testserver/account/email/confirm/"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1"


def _signed_in(user, *, agent: str = FIREFOX) -> Client:
    """A session made by the real login view, as a browser makes one."""
    client = Client(headers={"user-agent": agent})
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _is_anonymous(client: Client) -> bool:
    response = client.get(reverse("account"))
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login")
    )


def _audit_actions(user) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="auth.user", object_id=str(user.pk)
        ).values_list("action", flat=True)
    )


def _request_change(user, new_email: str, capture) -> str:
    with capture(execute=True):
        return services.email_change_request(
            user_id=user.pk, actor=user, new_email=new_email, confirm_url=CONFIRM_URL
        )


def _link_token(message) -> str:
    link = re.search(r"https?://\S+", message.body).group(0)
    return parse_qs(urlsplit(link).query)["t"][0]


# --- Profile ------------------------------------------------------------------------


def test_a_member_renames_themselves_with_an_audit_row(reporter):
    services.profile_update(
        user_id=reporter.pk, actor=reporter, first_name=" Ada ", last_name="Lovelace"
    )
    reporter.refresh_from_db()
    assert (reporter.first_name, reporter.last_name) == ("Ada", "Lovelace")
    event = AuditEvent.objects.get(action="account.profile")
    assert event.payload == {
        "user": reporter.pk,
        "first_name": ["", "Ada"],
        "last_name": ["", "Lovelace"],
    }


def test_nobody_renames_another_user(reporter, editor):
    with pytest.raises(services.PermissionDenied):
        services.profile_update(user_id=reporter.pk, actor=editor, first_name="X")


def test_the_profile_form_saves_the_name(reporter_client, reporter):
    response = reporter_client.post(
        reverse("account-profile"), {"first_name": "Ada", "last_name": ""}
    )
    assert response.status_code == 302
    reporter.refresh_from_db()
    assert reporter.first_name == "Ada"


# --- Email, verified by a link -----------------------------------------------------


def test_a_change_emails_a_link_to_the_new_address_and_keeps_the_old_one(
    reporter, django_capture_on_commit_callbacks
):
    old = reporter.email
    _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.reporter@example.org"]
    assert mail.outbox[0].subject == "Confirm your email address for Provenance"
    assert _link_token(mail.outbox[0])
    reporter.refresh_from_db()
    assert reporter.email == old
    assert _audit_actions(reporter) == ["account.email_requested"]


def test_the_email_is_sent_only_after_commit(
    reporter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.email_change_request(
            user_id=reporter.pk,
            actor=reporter,
            new_email="later@example.org",
            confirm_url=CONFIRM_URL,
        )
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_opening_the_link_signed_in_verifies_the_address(
    reporter, django_capture_on_commit_callbacks
):
    old = reporter.email
    _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    client = _signed_in(reporter)
    response = client.get(
        reverse("account-email-confirm"), {"t": _link_token(mail.outbox[0])}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    reporter.refresh_from_db()
    assert reporter.email == "new.reporter@example.org"
    event = AuditEvent.objects.get(action="account.email_verified")
    assert event.payload == {
        "user": reporter.pk,
        "email": [old, "new.reporter@example.org"],
    }
    page = client.get(reverse("account"))
    assert "Your email address is now new.reporter@example.org (verified)." in (
        page.content.decode()
    )


def test_a_used_link_says_it_was_used(reporter, django_capture_on_commit_callbacks):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    services.email_change_confirm(token=token, actor=reporter)
    client = _signed_in(reporter)
    response = client.get(reverse("account-email-confirm"), {"t": token})
    assert response.status_code == 400
    assert (
        "This link has already been used: new.reporter@example.org is your verified"
        " address." in response.content.decode()
    )


def test_an_expired_link_says_it_expired(
    reporter, django_capture_on_commit_callbacks, monkeypatch
):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    later = time.time() + 24 * 3600 + 1
    # The clock is the boundary: the signer reads time.time().
    monkeypatch.setattr(signing.time, "time", lambda: later)
    with pytest.raises(services.EmailLinkError, match="This link has expired"):
        services.email_change_confirm(token=token, actor=reporter)
    reporter.refresh_from_db()
    assert reporter.email != "new.reporter@example.org"


def test_a_link_just_inside_the_day_still_works(
    reporter, django_capture_on_commit_callbacks, monkeypatch
):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    later = time.time() + 23 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    services.email_change_confirm(token=token, actor=reporter)
    reporter.refresh_from_db()
    assert reporter.email == "new.reporter@example.org"


def test_a_tampered_link_is_not_valid(reporter, django_capture_on_commit_callbacks):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    forged = services.email_change_token(user=reporter, new_email="evil@example.org")
    mixed = forged.rsplit(":", 1)[0] + ":" + token.rsplit(":", 1)[1]
    for bad in (mixed, token[:-2], "", "nonsense"):
        with pytest.raises(services.EmailLinkError, match=r"This link is not valid\."):
            services.email_change_confirm(token=bad, actor=reporter)


def test_another_users_link_is_refused(
    reporter, editor, django_capture_on_commit_callbacks
):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    response = _signed_in(editor).get(reverse("account-email-confirm"), {"t": token})
    assert response.status_code == 400
    assert "This link was sent for another account" in response.content.decode()
    reporter.refresh_from_db()
    editor.refresh_from_db()
    assert "new.reporter@example.org" not in (reporter.email, editor.email)


def test_the_link_needs_a_signed_in_user(reporter, django_capture_on_commit_callbacks):
    token = _request_change(
        reporter, "new.reporter@example.org", django_capture_on_commit_callbacks
    )
    response = Client().get(reverse("account-email-confirm"), {"t": token})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_an_older_link_dies_when_the_address_changes(
    reporter, django_capture_on_commit_callbacks
):
    first = _request_change(
        reporter, "first@example.org", django_capture_on_commit_callbacks
    )
    second = _request_change(
        reporter, "second@example.org", django_capture_on_commit_callbacks
    )
    services.email_change_confirm(token=second, actor=reporter)
    with pytest.raises(services.EmailLinkError, match="no longer valid"):
        services.email_change_confirm(token=first, actor=reporter)
    reporter.refresh_from_db()
    assert reporter.email == "second@example.org"


def test_an_address_another_user_has_is_refused_in_any_case(reporter, editor):
    editor_email = editor.email
    with pytest.raises(services.ValidationError) as refused:
        services.email_change_request(
            user_id=reporter.pk,
            actor=reporter,
            new_email=editor_email.upper(),
            confirm_url=CONFIRM_URL,
        )
    assert refused.value.message_dict == {
        "email": ["Another account uses this address."]
    }
    assert mail.outbox == []


def test_an_address_taken_while_the_link_travelled_is_refused(
    reporter, editor, django_capture_on_commit_callbacks
):
    token = _request_change(
        reporter, "shared@example.org", django_capture_on_commit_callbacks
    )
    get_user_model().objects.filter(pk=editor.pk).update(email="Shared@example.org")
    with pytest.raises(services.EmailLinkError, match="Another account now uses"):
        services.email_change_confirm(token=token, actor=reporter)


def test_the_email_form_shows_the_refusal(reporter_client, editor):
    response = reporter_client.post(reverse("account-email"), {"email": editor.email})
    assert response.status_code == 400
    assert "Another account uses this address." in response.content.decode()


# --- Teams --------------------------------------------------------------------------


def test_the_page_lists_the_users_teams_and_roles(reporter, team):
    MembershipFactory(user=reporter, team=TeamFactory(name="Desk Two"), role="editor")
    page = _signed_in(reporter).get(reverse("account")).content.decode()
    assert "<li>Desk Two — Editor</li>" in page
    assert "<li>Team A — Reporter</li>" in page


def test_a_user_without_a_team_has_an_account_page():
    loner = UserFactory()
    response = _signed_in(loner).get(reverse("account"))
    assert response.status_code == 200
    assert "You are not a member of any team." in response.content.decode()
    assert "API tokens are for team members." in response.content.decode()


def test_the_header_links_to_the_account_page(reporter_client):
    page = reporter_client.get(reverse("provenance:claim-list")).content.decode()
    assert f'href="{reverse("account")}"' in page


# --- Sessions -----------------------------------------------------------------------


def test_a_second_session_is_listed_then_signed_out(reporter):
    here = _signed_in(reporter, agent=FIREFOX)
    phone = _signed_in(reporter, agent=PHONE)
    page = here.get(reverse("account")).content.decode()
    assert f'<span title="{FIREFOX}">Firefox on Linux</span>' in page
    assert f'<span title="{PHONE}">Safari on iPhone</span>' in page
    assert page.count("<strong>This session</strong>") == 1
    assert page.count('<tr class="current">') == 1

    response = here.post(reverse("account-sessions-end"), {"which": "others"})
    assert response.status_code == 302
    assert _is_anonymous(phone)
    assert not _is_anonymous(here)
    page = here.get(reverse("account")).content.decode()
    assert PHONE not in page
    assert SessionRecord.objects.filter(user=reporter).count() == 1
    event = AuditEvent.objects.get(action="account.sessions_ended")
    assert event.payload == {
        "user": reporter.pk,
        "count": 1,
        "kept_current": True,
        "reason": "requested",
    }


def test_sign_out_everywhere_ends_this_session_too(reporter):
    here = _signed_in(reporter)
    phone = _signed_in(reporter, agent=PHONE)
    response = here.post(reverse("account-sessions-end"), {"which": "all"})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert _is_anonymous(here)
    assert _is_anonymous(phone)
    assert SessionRecord.objects.filter(user=reporter).count() == 0


def test_another_users_sessions_are_neither_listed_nor_ended(reporter, editor):
    mine = _signed_in(reporter)
    theirs = _signed_in(editor, agent=PHONE)
    assert PHONE not in mine.get(reverse("account")).content.decode()
    mine.post(reverse("account-sessions-end"), {"which": "others"})
    assert not _is_anonymous(theirs)


def test_an_empty_sign_out_post_signs_nobody_out(reporter):
    here = _signed_in(reporter)
    phone = _signed_in(reporter, agent=PHONE)
    assert here.post(reverse("account-sessions-end")).status_code == 400
    assert not _is_anonymous(phone)


def test_ip_addresses_are_recorded_only_when_allowed(reporter, settings):
    _signed_in(reporter)
    assert SessionRecord.objects.get(user=reporter).ip_address is None
    settings.ACCOUNT_SESSION_IPS = True
    here = _signed_in(reporter)
    assert (
        SessionRecord.objects.filter(user=reporter, ip_address="127.0.0.1").count() == 1
    )
    assert "127.0.0.1" in here.get(reverse("account")).content.decode()


def test_logging_out_forgets_the_sessions_record(reporter):
    client = _signed_in(reporter)
    client.post(reverse("logout"))
    assert SessionRecord.objects.filter(user=reporter).count() == 0


def test_a_password_change_ends_the_other_sessions(reporter):
    here = _signed_in(reporter)
    phone = _signed_in(reporter, agent=PHONE)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-Horse-9431",
            "new_password2": "another-Horse-9431",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert not _is_anonymous(here)
    assert _is_anonymous(phone)
    page = here.get(reverse("account")).content.decode()
    assert page.count("<tr") == 2  # the header row and this session
    assert FIREFOX in page
    event = AuditEvent.objects.get(action="account.sessions_ended")
    assert event.payload["reason"] == "password_change"


# --- The API token ------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_never_again(reporter):
    client = _signed_in(reporter)
    response = client.post(reverse("account-token"), {"do": "create"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = Token.objects.get(user=reporter).key
    assert f'<code id="new-token">{key}</code>' in response.content.decode()
    page = client.get(reverse("account")).content.decode()
    assert key not in page
    assert f"Token ending <code>…{key[-4:]}</code>" in page
    event = AuditEvent.objects.get(action="account.token_created")
    assert event.payload == {"user": reporter.pk, "ends_with": key[-4:]}


def test_regenerating_replaces_the_token(reporter):
    first = services.token_create(user_id=reporter.pk, actor=reporter).key
    second = services.token_create(user_id=reporter.pk, actor=reporter).key
    assert first != second
    assert list(Token.objects.filter(user=reporter).values_list("key", flat=True)) == [
        second
    ]
    assert _audit_actions(reporter) == [
        "account.token_created",
        "account.token_regenerated",
    ]


def test_a_revoked_token_gets_401_from_the_api(reporter):
    key = services.token_create(user_id=reporter.pk, actor=reporter).key
    api = Client(headers={"authorization": f"Token {key}"})
    assert api.get("/api/v1/claims/").status_code == 200
    response = _signed_in(reporter).post(reverse("account-token"), {"do": "revoke"})
    assert response.status_code == 302
    assert api.get("/api/v1/claims/").status_code == 401
    assert not Token.objects.filter(user=reporter).exists()
    assert _audit_actions(reporter)[-1] == "account.token_revoked"


def test_a_user_without_a_team_may_not_hold_a_token():
    loner = UserFactory()
    response = _signed_in(loner).post(reverse("account-token"), {"do": "create"})
    assert response.status_code == 403
    assert not Token.objects.filter(user=loner).exists()


def test_nobody_makes_a_token_for_another_user(reporter, editor):
    with pytest.raises(services.PermissionDenied):
        services.token_create(user_id=reporter.pk, actor=editor)


# --- The page's cost ----------------------------------------------------------------


def test_the_page_costs_the_same_queries_with_more_sessions_and_teams(
    reporter, django_assert_max_num_queries
):
    services.token_create(user_id=reporter.pk, actor=reporter)
    client = _signed_in(reporter)
    for _ in range(3):
        _signed_in(reporter, agent=PHONE)
    for n in range(3):
        MembershipFactory(user=reporter, team=TeamFactory(name=f"Desk {n}"))
    # Session with user and teams (1 with FAST_IDENTITY, 3 without), session
    # records, live sessions, token.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("account"))
    assert response.status_code == 200
    assert response.content.decode().count(PHONE) == 3


def test_only_the_system_sets_an_address_without_a_link(reporter, editor):
    with pytest.raises(services.PermissionDenied):
        services.email_set_verified(
            user_id=reporter.pk, email="quiet@example.org", actor=reporter
        )
    with pytest.raises(services.ValidationError):
        services.email_set_verified(user_id=reporter.pk, email=editor.email.upper())
    services.email_set_verified(user_id=reporter.pk, email="quiet@example.org")
    reporter.refresh_from_db()
    assert reporter.email == "quiet@example.org"
