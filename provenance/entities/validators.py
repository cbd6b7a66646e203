"""Identifier checks (IMO, MMSI, UN/LOCODE) shared by the entity forms and services."""

import re

from django.core.exceptions import ValidationError

_IMO = re.compile(r"^(?:IMO\s?)?(\d{7})$", re.IGNORECASE)
_MMSI = re.compile(r"^\d{9}$")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


def imo_is_valid(value: str) -> bool:
    """IMO numbers carry a check digit: the weighted sum of the first six digits."""
    match = _IMO.match(value.strip())
    if not match:
        return False
    digits = match.group(1)
    total = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    return total % 10 == int(digits[6])


def normalise_imo(value: str) -> str:
    match = _IMO.match(value.strip())
    return match.group(1) if match else value.strip()


def validate_imo(value: str) -> None:
    if not imo_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid IMO number: seven digits whose last is the "
            "check digit of the first six.",
            params={"value": value},
            code="invalid_imo",
        )


def validate_mmsi(value: str) -> None:
    if not _MMSI.match(value):
        raise ValidationError(
            "An MMSI is exactly nine digits; %(value)s is not.",
            params={"value": value},
            code="invalid_mmsi",
        )


def validate_locode(value: str) -> None:
    if not _LOCODE.match(value):
        raise ValidationError(
            "A UN/LOCODE is a two-letter country code and three letters or digits "
            "2-9, e.g. KPRJN; %(value)s is not.",
            params={"value": value},
            code="invalid_locode",
        )
