from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from provenance.claims.confidence import BANDS

register = template.Library()


@register.filter
def band_label(level: str) -> str:
    band = BANDS.get(level)
    return band.label if band else ""


@register.filter
def band_range(level: str) -> str:
    band = BANDS.get(level)
    return f"{band.low}–{band.high} %" if band else ""


@register.simple_tag
def confidence_badge(level: str | None) -> str:
    """A claim's confidence as the lists show it: the band's words, its range on
    hover (a tag, not an include: the claim list draws 25 per page)."""
    if not level:
        return mark_safe('<span class="muted">Not assessed</span>')
    return format_html(
        '<span class="conf" data-confidence="{}" title="{}">{}</span>',
        level,
        band_range(level),
        band_label(level),
    )


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """mapping[key] in a template, None when absent."""
    return mapping.get(key)


@register.filter
def sentence_case(label: str) -> str:
    """'AIS extract' stays, 'Image' becomes 'image': for "Add …" in a sentence."""
    first = str(label).partition(" ")[0]
    if first.isupper() and len(first) > 1:
        return label
    return label[:1].lower() + label[1:]


@register.filter
def plain_value(value: object) -> str:
    """A metadata value (XMP, IPTC) as text: lists joined, structures as
    "name: value" pairs, so the page shows no Python brackets."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        separator = " | " if any(isinstance(v, dict) for v in value) else ", "
        return separator.join(plain_value(v) for v in value)
    return "" if value is None else str(value)
