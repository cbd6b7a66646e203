"""The Python-drawn choice widgets give the stock widgets' markup, byte for byte."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from provenance.common import widgets

CHOICES = [
    (1, "First <b>item</b>"),
    (2, 'Second "quoted" & co'),
    (3, "Third"),
]
GROUPED = [("", "—"), ("Group <one>", [(10, "Ten"), (11, "Eleven")]), (12, "Twelve")]


def _pair(stock, fast, **field_kwargs):
    class Stock(forms.Form):
        field = stock(**field_kwargs)

    class Fast(forms.Form):
        field = fast(**field_kwargs)

    return Stock, Fast


@pytest.mark.parametrize(
    "data",
    [None, {"field": ["2"]}, {"field": ["1", "3"]}, {"field": ["9"]}],
)
@pytest.mark.parametrize("choices", [CHOICES, GROUPED[1:], []])
def test_checkbox_widget_draws_the_stock_markup(data, choices):
    stock, fast = _pair(
        forms.MultipleChoiceField,
        forms.MultipleChoiceField,
        choices=choices,
        required=False,
        help_text="Only these.",
    )
    stock.base_fields["field"].widget = forms.CheckboxSelectMultiple(choices=choices)
    fast.base_fields["field"].widget = widgets.CheckboxSelectMultiple(choices=choices)
    assert str(fast(data)["field"]) == str(stock(data)["field"])


def test_checkbox_widget_keeps_a_class_and_no_id():
    stock = forms.CheckboxSelectMultiple(choices=CHOICES, attrs={"class": "x"})
    fast = widgets.CheckboxSelectMultiple(choices=CHOICES, attrs={"class": "x"})
    assert fast.render("f", [1]) == stock.render("f", [1])


@pytest.mark.parametrize("value", [None, "", "2", "11", "9"])
@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
def test_select_widget_draws_the_stock_markup(value, choices):
    stock = forms.Select(choices=choices, attrs={"id": "id_x", "aria-x": "a&b"})
    fast = widgets.Select(choices=choices, attrs={"id": "id_x", "aria-x": "a&b"})
    assert fast.render("x", value) == stock.render("x", value)


@pytest.mark.parametrize("value", [None, "2", "9"])
def test_radio_widget_draws_the_stock_markup(value):
    stock = forms.RadioSelect(choices=CHOICES)
    fast = widgets.RadioSelect(choices=CHOICES)
    attrs = {"id": "id_level", "required": True}
    assert fast.render("level", value, attrs) == stock.render("level", value, attrs)


class Sample(forms.Form):
    name = forms.CharField(label="Your <name>", help_text="As printed.")
    day = forms.DateField(required=False)
    agree = forms.BooleanField(label="I agree", required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


@pytest.mark.parametrize("data", [None, {"name": "", "day": "not a day"}])
def test_form_renderer_draws_the_stock_labels_and_errors(data):
    from django.forms.renderers import DjangoTemplates

    def drawn(renderer):
        form = Sample(data, renderer=renderer)
        parts = [str(form), str(form.non_field_errors())]
        for field in form:
            parts += [
                str(field.label_tag()),
                str(field.label_tag(attrs={"class": "x", "hidden": True})),
                str(field.label_tag(tag="span")),
                str(field.errors),
                str(field.errors.as_ul()),
                str(field.legend_tag()),
            ]
        return parts

    assert drawn(widgets.FormRenderer()) == drawn(DjangoTemplates())


def test_the_project_uses_the_form_renderer(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), widgets.FormRenderer)


STOCK = DjangoTemplates()
FAST = widgets.FormRenderer()


@pytest.mark.parametrize(
    "widget",
    [
        forms.TextInput(),
        forms.TextInput(attrs={"placeholder": 'Say "why" <here>', "required": True}),
        forms.NumberInput(attrs={"min": 0, "step": Decimal("0.5")}),
        forms.EmailInput(attrs={"disabled": False, "autocomplete": "email"}),
        forms.URLInput(),
        forms.PasswordInput(render_value=True),
        forms.HiddenInput(),
        forms.DateInput(attrs={"type": "date"}),
        forms.DateTimeInput(),
        forms.TimeInput(),
        forms.ClearableFileInput(),
        forms.FileInput(),
        forms.Textarea(attrs={"rows": 3, "aria-describedby": "help-1"}),
        forms.Textarea(),
    ],
    ids=lambda w: type(w).__name__,
)
@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "plain",
        'a "quote" & <tag>',
        mark_safe("<b>safe</b>"),
        42,
        Decimal("12.50"),
        date(2023, 10, 14),
        datetime(2023, 10, 14, 9, 30, tzinfo=UTC),
    ],
)
def test_inputs_and_textareas_draw_the_stock_markup(widget, value):
    attrs = {"id": "id_field", "class": "wide"}
    stock = widget.render("field", value, attrs=attrs, renderer=STOCK)
    fast = widget.render("field", value, attrs=attrs, renderer=FAST)
    assert fast == stock


def test_a_whole_form_draws_the_stock_markup():
    class Form(forms.Form):
        name = forms.CharField(max_length=20, help_text="Your <name>")
        count = forms.IntegerField(min_value=0)
        when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        note = forms.CharField(widget=forms.Textarea, required=False)
        secret = forms.CharField(widget=forms.HiddenInput, initial="x&y")

    for data in (None, {"name": "a" * 30, "count": "-1", "when": "bad"}):
        stock = Form(data, renderer=STOCK)
        fast = Form(data, renderer=FAST)
        assert str(fast) != ""
        assert [str(f) for f in fast] == [str(f) for f in stock]
