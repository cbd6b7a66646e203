"""Real TOTP codes from a device's key (django-otp's own TOTP), and sign-in steps."""

from __future__ import annotations

import time

from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-42"


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or `steps_ahead` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code not yet used on this device: django-otp refuses a code's time step
    twice (replay), so a test that verifies again starts the device afresh."""
    device.refresh_from_db()
    device.last_t = -1
    device.save(update_fields=["last_t"])
    return totp_code(device)


def totp_device(user, *, name: str = "Phone") -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def password_step(client, user, *, next_url: str = "", ip: str = "10.0.0.1"):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, REMOTE_ADDR=ip)


def code_step(client, token: str, *, next_url: str = "/"):
    return client.post(
        reverse("account_security_verify"), {"token": token, "next": next_url}
    )


def age_step_up(client, seconds: int) -> None:
    """Move the session's recorded second-factor time back (no sleeping)."""
    session = client.session
    session["second_factor_at"] -= seconds
    session.save()
