"""Choice widgets that draw their options in Python, with Django's own markup.

Django renders every option of a choice widget through three templates (option,
input, attrs): on a claim with 300 linked items and 200 assessments the claim
page's assessment form spent more time there than the rest of the page together
(bench/claim_page.py: about 1.4 s of 5.4 s under a profiler). These subclasses keep
the stock context (Widget.get_context: names, ids, checked/selected, attrs) and only
replace the per-option templates with string building; the output is the stock
widget's, byte for byte (tests/provenance/common/test_widgets.py). Off switch: use
the stock widget class instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any] | None) -> str:
    """django/forms/widgets/attrs.html (no attrs at all draws nothing)."""
    parts = []
    for name, value in (attrs or {}).items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def _input(option: dict[str, Any]) -> str:
    """django/forms/widgets/input.html, as an option includes it."""
    return _input_widget(option) + "\n"


def _input_option(option: dict[str, Any]) -> str:
    """django/forms/widgets/input_option.html (each template ends in a newline)."""
    if not option["wrap_label"]:
        return _input(option) + "\n"
    target = option["attrs"].get("id")
    label_for = f' for="{conditional_escape(target)}"' if target else ""
    return (
        f"<label{label_for}>{_input(option)} {conditional_escape(option['label'])}"
        "</label>\n"
    )


class _MultipleInput:
    """django/forms/widgets/multiple_input.html, with checkbox_option.html or
    radio_option.html (both include input_option.html) per option."""

    get_context: Any

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        own = widget["attrs"]
        html = ["<div"]
        if own.get("id"):
            html.append(f' id="{conditional_escape(own["id"])}"')
        if own.get("class"):
            html.append(f' class="{conditional_escape(own["class"])}"')
        html.append(">")
        for group, options, _index in widget["optgroups"]:
            if group:
                html.append(f"\n  <div><label>{conditional_escape(group)}</label>")
            for option in options:
                # checkbox_option.html includes input_option.html: two newlines.
                html.append(f"<div>\n    {_input_option(option)}\n</div>")
            if group:
                html.append("\n  </div>")
        html.append("\n</div>")  # the renderer strips the templates' last newline
        return mark_safe("".join(html))  # noqa: S308 - every value escaped above


class CheckboxSelectMultiple(_MultipleInput, forms.CheckboxSelectMultiple):
    """The stock widget, drawn without a template per option."""


class RadioSelect(_MultipleInput, forms.RadioSelect):
    """The stock widget, drawn without a template per option."""


class Select(forms.Select):
    """The stock widget, drawn without a template per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        html = [
            f'<select name="{conditional_escape(widget["name"])}"'
            f"{_attrs(widget['attrs'])}>"
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                html.append(f'\n  <optgroup label="{conditional_escape(group)}">')
            for option in options:
                html.append(
                    f'\n  <option value="{conditional_escape(option["value"])}"'
                    f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}"
                    "</option>\n"
                )
            if group:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 - every value escaped above


# Widget templates that are only {% include "django/forms/widgets/input.html" %}.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "input", "text", "number", "email", "url", "password", "hidden", "date",
        "datetime", "time", "search", "tel", "color", "file",
    )
)  # fmt: skip


def _s(value: Any) -> str:
    """stringformat:'s': a plain str (a safe string loses its mark, so it is
    escaped as the template escapes it)."""
    return "%s" % (value,)  # noqa: UP031 - what the filter does


def _widget_attrs(attrs: dict[str, Any]) -> str:
    """attrs.html, which formats each value with stringformat:'s'."""
    return _attrs(
        {n: v if v is True or v is False else _s(v) for n, v in attrs.items()}
    )


def _input_widget(widget: dict[str, Any]) -> str:
    """django/forms/widgets/input.html."""
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(_s(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}'
        f"{_widget_attrs(widget['attrs'])}>"
    )


def _textarea_widget(widget: dict[str, Any]) -> str:
    """django/forms/widgets/textarea.html."""
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"'
        f"{_widget_attrs(widget['attrs'])}>\n"
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


_EMPTY_WHEN_NO_ERRORS = frozenset(
    {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}
)


class FormRenderer(DjangoTemplates):
    """Django's default form renderer, with its most used templates drawn in Python.

    Every field's `{{ field.errors }}` renders two templates even when there is no
    error, and every label two more: the claim page's seven forms drew 80 of them
    per view, the largest fixed cost of the page after its queries. An empty error
    list is "" (what ul.html gives), a label is label.html's markup. Each text,
    number, date, hidden… input and each textarea drew two templates more (input
    or textarea, then attrs): 30 per claim page, 3.5 ms of its 42 (2026-12-08).
    The markup is the stock templates', byte for byte (tests/provenance/common/
    test_widgets.py). Off switch: FORM_RENDERER =
    "django.forms.renderers.DjangoTemplates".
    """

    def render(
        self, template_name: str, context: dict[str, Any], request: Any = None
    ) -> str:
        if template_name in _EMPTY_WHEN_NO_ERRORS and not context.get("errors"):
            return ""
        if template_name in _INPUT_TEMPLATES:
            return _input_widget(context["widget"])
        if template_name == "django/forms/widgets/textarea.html":
            return _textarea_widget(context["widget"])
        if template_name == "django/forms/label.html":
            label = conditional_escape(context["label"])
            if not context["use_tag"]:
                return label
            tag = context["tag"]
            return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"
        return super().render(template_name, context, request)
