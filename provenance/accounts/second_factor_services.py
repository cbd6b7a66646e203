"""Writes of second-factor devices: the one place that adds, confirms or removes
them. Each change is audited in every team chain of the user (a security desk reads
who enrolled or removed a factor, and when); no secret goes into the audit payload.

WebAuthn credentials are created by django-otp-webauthn's registration ceremony
(its views verify the attestation); `device_delete` removes them like any device.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from provenance.accounts.identity import memberships_of
from provenance.audit.chain import audit_record

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"


def _audit(*, user: Any, action: str, device: Device) -> None:
    for membership in memberships_of(user):
        audit_record(
            team=membership.team,
            actor=user,
            action=action,
            obj=user,
            payload={"device": type(device).__name__, "name": device.name},
        )


@transaction.atomic
def totp_device_start(*, user: Any, name: str = "Authenticator app") -> TOTPDevice:
    """A new unconfirmed TOTP device with a fresh random key (django-otp makes it);
    the user's earlier unconfirmed ones go. It is no factor until confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=name[:64], confirmed=False)


@transaction.atomic
def totp_device_confirm(*, user: Any, device_id: int, token: str) -> TOTPDevice | None:
    """Confirm the user's pending TOTP device with a first code from the app.
    Locks the device; None if the code is wrong (django-otp throttles retries)."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False, pk=device_id)
        .first()
    )
    if device is None or not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _audit(user=user, action="second_factor.add", device=device)
    return device


@transaction.atomic
def webauthn_registered(*, user: Any, device: Device) -> None:
    """Audit a key the registration ceremony (django-otp-webauthn) just saved."""
    _audit(user=user, action="second_factor.add", device=device)


@transaction.atomic
def recovery_codes_generate(*, user: Any) -> list[str]:
    """Replace the user's recovery codes with new ones and return them (shown once:
    only django-otp's static tokens keep them; each is deleted when used)."""
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=device, token=code) for code in codes]
    )
    _audit(user=user, action="second_factor.recovery_codes", device=device)
    return codes


@transaction.atomic
def device_delete(*, user: Any, persistent_id: str) -> Device:
    """Remove one of the user's devices. Removing the last real factor removes the
    recovery codes too: they back up a factor, they are not one."""
    device = Device.from_persistent_id(persistent_id, for_verify=True)
    if device is None or device.user_id != user.pk:
        raise PermissionDenied("No such device.")
    device.delete()
    _audit(user=user, action="second_factor.remove", device=device)
    remaining = [
        other
        for other in devices_for_user(user, confirmed=None)
        if not isinstance(other, StaticDevice)
    ]
    if not any(other.confirmed for other in remaining):
        StaticDevice.objects.filter(user=user).delete()
    return device
