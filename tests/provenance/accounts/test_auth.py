from datetime import timedelta

from django.urls import reverse


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_login_works_with_the_right_password(client, reporter):
    response = _login(client, reporter.username, "correct-horse-42")
    assert response.status_code == 302


def test_repeated_failures_lock_that_username_from_that_address(client, reporter):
    for _ in range(5):
        _login(client, reporter.username, "wrong")
    response = _login(client, reporter.username, "correct-horse-42")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content


def test_an_attacker_elsewhere_cannot_lock_the_user_out(client, reporter):
    for _ in range(10):
        _login(client, reporter.username, "wrong", ip="203.0.113.9")
    # The attacker's address is locked, even with the right password...
    locked = _login(client, reporter.username, "correct-horse-42", ip="203.0.113.9")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    # ...the user's own is not.
    response = _login(client, reporter.username, "correct-horse-42", ip="10.0.0.1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reporter.pk)


def test_lockout_ends_after_the_cool_off(client, reporter, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(5):
        _login(client, reporter.username, "wrong")
    locked = _login(client, reporter.username, "correct-horse-42")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session

    # The failures age past the (unchanged) cool-off: axes no longer counts them.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    )
    response = _login(client, reporter.username, "correct-horse-42")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(reporter.pk)
