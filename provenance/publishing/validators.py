"""A publisher's claim URL template: only the bare fields {id}, {slug} and {team}."""

import string
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

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
