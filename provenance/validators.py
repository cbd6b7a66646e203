"""Identifier checks shared by forms, services and the AIS importer."""

import re
import string
from urllib.parse import urlsplit

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


CLAIM_URL_FIELDS = frozenset({"id", "slug", "team"})
LITERAL_PLACEHOLDERS_ONLY = (
    "Placeholders are written exactly {id}, {slug} or {team}: "
    "no format spec (:…), conversion (!…), attribute or index."
)


def _placeholders(value: str) -> list[tuple[str, str | None, str, str | None]]:
    return list(string.Formatter().parse(value))


def _is_literal(name: str | None, spec: str, conversion: str | None) -> bool:
    # "{id:>50000000}" would pad to 50 MB, "{id.__class__}" reaches into objects:
    # only a bare name is substituted, never formatted.
    return name is not None and name.isidentifier() and not spec and not conversion


def render_claim_url_template(
    template: str, *, id: int, slug: str, team: str
) -> str | None:
    """The template with its bare {id}, {slug} and {team} filled in; None when it
    holds anything else (a row stored before the validator refused it)."""
    values = {"id": id, "slug": slug, "team": team}
    try:
        parts = _placeholders(template)
    except ValueError:
        return None
    rendered = []
    for literal, name, spec, conversion in parts:
        rendered.append(literal)
        if name is None:
            continue
        if not _is_literal(name, spec, conversion) or name not in values:
            return None
        rendered.append(str(values[name]))
    return "".join(rendered)


def validate_claim_url_template(value: str) -> None:
    """A publisher's page address for a claim: an http(s) URL with {id} or {slug}
    (and optionally {team}), e.g. https://paper.example/fact-checks/{slug}."""
    try:
        parts = _placeholders(value)
    except ValueError as exc:
        raise ValidationError(f"Not a valid template: {exc}.") from exc
    fields = [(name, spec, conv) for _, name, spec, conv in parts if name is not None]
    if not all(_is_literal(*field) for field in fields):
        raise ValidationError(LITERAL_PLACEHOLDERS_ONLY, code="claim_url_placeholder")
    names = {name for name, _, _ in fields}
    unknown = names - CLAIM_URL_FIELDS
    if unknown:
        raise ValidationError(
            f"Unknown placeholder(s): {', '.join(sorted(unknown))}; "
            "use {id}, {slug} and {team}."
        )
    if not names & {"id", "slug"}:
        raise ValidationError("The template needs {id} or {slug}.")
    url = render_claim_url_template(value, id=1, slug="claim", team="team") or ""
    address = urlsplit(url)
    if address.scheme not in ("https", "http") or not address.netloc:
        raise ValidationError("The template must be an http(s) URL.")
