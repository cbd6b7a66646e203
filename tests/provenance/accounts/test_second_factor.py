"""The second factor: enrolment, the step after the password, recovery codes,
throttling and the admin login (tests/provenance/accounts/test_step_up.py: step-up).

The suite runs with SECOND_FACTOR_REQUIRED off (tests/conftest.py); these turn it on.
"""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from provenance.accounts.second_factor import second_factor_required
from provenance.audit.models import AuditEvent
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.provenance.accounts.second_factor_helpers import (
    code_step,
    fresh_code,
    password_step,
    totp_code,
    totp_device,
)

SECURITY = "/account/security/"
VERIFY = "/account/security/verify/"


@pytest.fixture(autouse=True)
def _required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def test_editors_admins_and_staff_must_have_a_second_factor(team, reporter, editor):
    admin = MembershipFactory(team=team, role="admin").user
    staff = UserFactory(is_staff=True)
    assert [second_factor_required(u) for u in (reporter, editor, admin, staff)] == [
        False,
        True,
        True,
        True,
    ]


def test_a_team_that_turns_the_requirement_on_covers_its_reporters(db, client):
    strict = TeamFactory(slug="strict", requires_second_factor=True)
    reporter = MembershipFactory(team=strict, role="reporter").user

    response = password_step(client, reporter)
    assert response.status_code == 302
    assert client.get("/").url == SECURITY


def test_nothing_is_required_when_the_setting_is_off(settings, editor_client):
    settings.SECOND_FACTOR_REQUIRED = False

    assert editor_client.get("/").status_code == 200


def test_an_editor_without_a_factor_is_sent_to_enrolment_and_can_do_nothing_else(
    client, editor
):
    password_step(client, editor)

    assert client.get("/").url == SECURITY
    assert client.get(reverse("evidence:item-list")).url == SECURITY
    assert client.get("/api/v1/claims/").status_code == 403
    assert client.get(SECURITY).status_code == 200


def test_a_reporter_without_a_factor_is_not_asked(client, reporter):
    password_step(client, reporter)

    assert client.get("/").status_code == 200


def test_totp_enrolment_shows_a_qr_code_and_is_confirmed_by_a_first_code(
    client, editor
):
    password_step(client, editor)

    page = client.get(reverse("account_security_totp_add"))
    assert page.status_code == 200
    assert b"<svg" in page.content
    secret = re.search(rb'id="totp-secret">([A-Z2-7]+)<', page.content).group(1)
    device = TOTPDevice.objects.get(user=editor)
    assert device.confirmed is False
    assert "secret=" + secret.decode() in device.config_url

    response = client.post(
        reverse("account_security_totp_add"), {"token": totp_code(device)}
    )

    assert response.url == SECURITY
    device.refresh_from_db()
    assert device.confirmed is True
    # Confirming the first factor counts as passing it: the editor may work now.
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="second_factor.add").count() == 1


def test_a_wrong_first_code_does_not_confirm_the_app(client, editor):
    password_step(client, editor)
    client.get(reverse("account_security_totp_add"))
    device = TOTPDevice.objects.get(user=editor)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    response = client.post(reverse("account_security_totp_add"), {"token": wrong})

    assert response.status_code == 400
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/").url == SECURITY


def test_login_is_password_then_a_code_from_the_app(client, editor):
    device = totp_device(editor)

    response = password_step(client, editor, next_url="/review/")
    assert response.url == "/review/"
    # Signed in by password, but every page leads to the second step.
    assert client.get("/review/").url == f"{VERIFY}?next=%2Freview%2F"

    response = code_step(client, totp_code(device), next_url="/review/")

    assert response.url == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_user_with_a_factor_passes_it_even_when_not_required(
    settings, client, reporter
):
    settings.SECOND_FACTOR_REQUIRED = False
    totp_device(reporter)
    password_step(client, reporter)

    assert client.get("/").url == f"{VERIFY}?next=%2F"


def test_a_recovery_code_works_once(client, editor):
    device = totp_device(editor)
    password_step(client, editor)
    code_step(client, totp_code(device))
    page = client.post(reverse("account_security_recovery"))
    codes = re.findall(rb"<li><code>([a-z0-9]+)</code></li>", page.content)
    assert len(codes) == 10
    assert "no-store" in page["Cache-Control"]
    assert StaticToken.objects.filter(device__user=editor).count() == 10

    client.post(reverse("logout"))
    password_step(client, editor)
    assert code_step(client, codes[0].decode()).url == "/"
    assert client.get("/").status_code == 200

    client.post(reverse("logout"))
    password_step(client, editor)
    response = code_step(client, codes[0].decode())
    assert response.status_code == 400
    assert client.get("/").url == f"{VERIFY}?next=%2F"
    assert StaticToken.objects.filter(device__user=editor).count() == 9


def test_new_recovery_codes_replace_the_old_ones(client, editor):
    device = totp_device(editor)
    password_step(client, editor)
    code_step(client, totp_code(device))
    old = re.findall(
        rb"<li><code>([a-z0-9]+)</code></li>",
        client.post(reverse("account_security_recovery")).content,
    )
    client.post(reverse("account_security_recovery"))

    remaining = set(
        StaticToken.objects.filter(device__user=editor).values_list("token", flat=True)
    )
    assert remaining.isdisjoint(code.decode() for code in old)
    assert StaticDevice.objects.filter(user=editor).count() == 1


def test_wrong_codes_are_throttled_even_the_right_one_after(settings, client, editor):
    # django-otp's backoff: factor × 2^(failures-1) seconds; a large factor keeps the
    # test independent of the clock.
    settings.OTP_TOTP_THROTTLE_FACTOR = 1000
    device = totp_device(editor)
    password_step(client, editor)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    assert code_step(client, wrong).status_code == 400
    response = code_step(client, totp_code(device))

    assert response.status_code == 400
    assert b"too many wrong codes" in response.content
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert client.get("/").url == f"{VERIFY}?next=%2F"


def test_password_throttling_still_locks_out_before_the_second_step(client, editor):
    totp_device(editor)
    for _ in range(5):
        client.post(
            reverse("login"),
            {"username": editor.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )

    response = password_step(client, editor)

    assert response.status_code == 429


def test_the_admin_login_asks_for_the_second_factor(client, team):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    device = totp_device(superuser)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": superuser.username, "password": "correct-horse-42"},
    )
    assert response.url == "/admin/"
    assert client.get("/admin/").url == f"{VERIFY}?next=%2Fadmin%2F"

    assert code_step(client, totp_code(device), next_url="/admin/").url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_factor_reach_no_admin_page(db, client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.post(
        "/admin/login/", {"username": staff.username, "password": "correct-horse-42"}
    )

    assert client.get("/admin/").url == SECURITY


def test_removing_a_device_needs_a_fresh_factor(client, editor):
    device = totp_device(editor)
    password_step(client, editor)
    code_step(client, totp_code(device))
    session = client.session
    session["second_factor_at"] -= 601
    session.save()

    response = client.post(
        reverse("account_security_device_remove"),
        {"device": device.persistent_id},
        HTTP_REFERER="http://testserver/account/security/",
    )

    assert response.url == (
        f"{VERIFY}?next=http%3A%2F%2Ftestserver%2Faccount%2Fsecurity%2F&step_up=1"
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    code_step(client, fresh_code(device), next_url=SECURITY)
    client.post(
        reverse("account_security_device_remove"), {"device": device.persistent_id}
    )

    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_another_users_device_cannot_be_removed(client, editor, second_editor):
    device = totp_device(editor)
    theirs = totp_device(second_editor)
    password_step(client, editor)
    code_step(client, totp_code(device))

    client.post(
        reverse("account_security_device_remove"), {"device": theirs.persistent_id}
    )

    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_the_security_page_lists_the_users_devices_only(client, editor, second_editor):
    device = totp_device(editor, name="Work phone")
    totp_device(second_editor, name="Their phone")
    password_step(client, editor)
    code_step(client, totp_code(device))

    page = client.get(SECURITY)

    assert b"Work phone" in page.content
    assert b"Their phone" not in page.content
