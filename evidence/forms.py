"""Web forms for evidence: validate and shape input for the services."""

from __future__ import annotations

from typing import Any

from django import forms

from evidence.documents.services import (
    ON_BEHALF_KINDS,
    SPEAKER_KINDS,
    STATEMENT_FIELDS,
)
from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    InformationCredibility,
    ProcessingState,
    SourceReliability,
)
from provenance.common.dates import validate_past_moment
from provenance.common.filters import subject_field, tag_field
from provenance.entities.models import Entity
from provenance.teams.models import Team

DATETIME_WIDGET = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)
IMAGE_ACCEPT = (
    "image/jpeg,image/png,image/webp,image/tiff,image/heic,image/heif,image/avif,"
    "image/jp2,.jpg,.jpeg,.mpo,.png,.webp,.tif,.tiff,.btf,.dng,.heic,.heif,.avif,"
    ".jp2,.j2k"
)


class EvidenceForm(forms.ModelForm):
    """The fields every kind shares; the services set kind, team and files."""

    class Meta:
        model = EvidenceItem
        fields = [
            "title",
            "description",
            "source",
            "credit",
            "licence",
            "url",
            "observed_at",
            "obtained_at",
            "obtained_from",
            "source_reliability",
            "information_credibility",
            "is_synthetic",
            "is_restricted",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "observed_at": DATETIME_WIDGET,
            "obtained_at": DATETIME_WIDGET,
        }
        labels = {
            "observed_at": "Observed at (UTC)",
            "obtained_at": "Obtained at (UTC)",
            "source_reliability": "Source reliability (Admiralty A–F)",
            "information_credibility": "Information credibility (Admiralty 1–6)",
            "is_restricted": "Restricted (source protection: never exported)",
        }

    kind: str = ""
    has_file = False
    # Where the service takes the title from when none is given ("" = required).
    title_default = ""

    # When it happened, was obtained, archived or said: 1900 up to now (dates.py).
    PAST_DATES = ("observed_at", "obtained_at", "archived_at", "stated_at")

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        for name in self.PAST_DATES:
            if name in self.fields:
                self.fields[name].validators.append(validate_past_moment)
        if self.title_default:
            self.fields["title"].required = False
            self.fields["title"].help_text = f"Defaults to {self.title_default}."

    def _post_clean(self) -> None:
        # The services validate the model with its team and kind; nothing to do here.
        return None

    def service_fields(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in self.cleaned_data
        }
        if not data.get("title"):
            data.pop("title", None)  # the service derives one
        return data


class ImageEvidenceForm(EvidenceForm):
    kind = EvidenceKind.IMAGE
    has_file = True
    file = forms.FileField(
        label="Image file",
        help_text="JPEG, PNG, WebP, TIFF (GeoTIFF, DNG), HEIC/HEIF, AVIF or "
        "JPEG 2000. The type is checked from the bytes; SVG is refused.",
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    title_default = "the file name"


class DocumentEvidenceForm(EvidenceForm):
    kind = EvidenceKind.DOCUMENT
    has_file = True
    file = forms.FileField(
        label="Document file",
        help_text="PDF or another file, kept byte-for-byte. SVG and HTML are refused.",
    )
    title_default = "the file name"


class LinkEvidenceForm(EvidenceForm):
    kind = EvidenceKind.LINK
    title_default = "the URL"
    capture = forms.BooleanField(
        label="Capture the page now",
        required=False,
        help_text="Headless Chromium loads the page and keeps a web archive "
        "(WACZ), a screenshot, the rendered HTML and the text, each with its "
        "SHA-256. Private and loopback addresses are refused.",
    )

    class Meta(EvidenceForm.Meta):
        fields = [*EvidenceForm.Meta.fields, "archived_url", "archived_at"]
        widgets = {**EvidenceForm.Meta.widgets, "archived_at": DATETIME_WIDGET}
        labels = {**EvidenceForm.Meta.labels, "archived_at": "Archived at (UTC)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["url"].required = True
        # The choice to capture sits under the URL it is about.
        names = list(self.fields)
        names.remove("capture")
        names.insert(names.index("url") + 1, "capture")
        self.order_fields(names)


class WaczImportForm(EvidenceForm):
    """A WACZ made elsewhere (ArchiveWeb.page, Browsertrix, auto-archiver): the
    page's URL comes from the archive."""

    kind = EvidenceKind.LINK
    has_file = True
    title_default = "the archive's title"
    file = forms.FileField(
        label="WACZ file",
        help_text="A web archive (.wacz). Its structure, the SHA-256 of every file "
        "it holds and its signature, when it has one, are checked; it is kept "
        "byte-for-byte.",
        widget=forms.ClearableFileInput(attrs={"accept": ".wacz,application/wacz"}),
    )

    class Meta(EvidenceForm.Meta):
        fields = [name for name in EvidenceForm.Meta.fields if name != "url"]


class StatementEvidenceForm(EvidenceForm):
    kind = EvidenceKind.STATEMENT
    title_default = "speaker and quote"
    speaker = forms.ModelChoiceField(
        queryset=None, required=False, help_text="A person entity."
    )
    on_behalf_of = forms.ModelChoiceField(
        queryset=None,
        required=False,
        help_text="The organization or government the speaker spoke for.",
    )
    stated_at = forms.DateTimeField(label="Stated at (UTC)", widget=DATETIME_WIDGET)
    venue = forms.CharField(label="Venue or medium", required=False, max_length=300)
    quote = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    original_text = forms.CharField(
        label="Original-language text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    original_language = forms.CharField(
        required=False, max_length=12, help_text="e.g. ru, ko"
    )

    capture = forms.BooleanField(
        label="Capture the source page now",
        required=False,
        help_text="Headless Chromium loads the source URL and keeps a web archive "
        "(WACZ), a screenshot, the rendered HTML and the text, each with its "
        "SHA-256. Private and loopback addresses are refused.",
    )

    statement_fields = STATEMENT_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entities = Entity.objects.for_team(self.team).order_by("name")
        self.fields["speaker"].queryset = entities.filter(kind__in=SPEAKER_KINDS)
        self.fields["on_behalf_of"].queryset = entities.filter(kind__in=ON_BEHALF_KINDS)
        # The choice to capture sits under the URL it is about.
        names = list(self.fields)
        names.remove("capture")
        names.insert(names.index("url") + 1, "capture")
        self.order_fields(names)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("speaker") and not data.get("on_behalf_of"):
            self.add_error(
                "speaker", "Give the speaker, or whom the statement was made for."
            )
        return data

    def statement_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "speaker": data.get("speaker"),
            "on_behalf_of": data.get("on_behalf_of"),
            "stated_at": data["stated_at"],
            "quote": data["quote"],
            "capture": bool(data.get("capture")),
            **{name: data.get(name, "") for name in self.statement_fields},
        }


FORMS_BY_KIND: dict[str, type[EvidenceForm]] = {
    EvidenceKind.IMAGE: ImageEvidenceForm,
    EvidenceKind.DOCUMENT: DocumentEvidenceForm,
    EvidenceKind.STATEMENT: StatementEvidenceForm,
    EvidenceKind.LINK: LinkEvidenceForm,
}


class EvidenceFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    # The claim and entity lists' filters, by the same names (common.filters): an
    # entity or a tag by name; an unknown one is reported, not dropped.
    subject = subject_field()
    tag = tag_field()
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *EvidenceKind.choices], required=False
    )
    state = forms.ChoiceField(
        label="Processing",
        choices=[("", "Any state"), *ProcessingState.choices],
        required=False,
    )
    reliability = forms.ChoiceField(
        label="Source",
        choices=[("", "Any source grade"), *SourceReliability.choices],
        required=False,
    )
    credibility = forms.ChoiceField(
        label="Information",
        choices=[("", "Any information grade"), *InformationCredibility.choices],
        required=False,
    )
    synthetic = forms.ChoiceField(
        choices=[("", "Real or synthetic"), ("no", "Real"), ("yes", "Synthetic")],
        required=False,
    )
    restricted = forms.ChoiceField(
        choices=[("", "Any access"), ("no", "Exportable"), ("yes", "Restricted")],
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[
            ("", "Newest first"),
            ("oldest", "Oldest first"),
            ("observed", "Most recently observed"),
            ("title", "Title"),
        ],
        required=False,
    )

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        flags = {"yes": True, "no": False}
        return {
            "text": data.get("q", ""),
            "kind": data.get("kind", ""),
            "state": data.get("state", ""),
            "reliability": data.get("reliability", ""),
            "credibility": data.get("credibility", ""),
            "is_synthetic": flags.get(data.get("synthetic", "")),
            "is_restricted": flags.get(data.get("restricted", "")),
            "sort": data.get("sort", ""),
        }


class CaptureDiffForm(forms.Form):
    """Which two captures of an item to compare, and how to show the diff.
    Without a choice: the two latest completed captures, unified."""

    VIEWS = (("unified", "Unified"), ("side", "Side by side"))

    old = forms.TypedChoiceField(label="From", coerce=int)
    new = forms.TypedChoiceField(label="To", coerce=int)
    view = forms.ChoiceField(choices=VIEWS, required=False)

    def __init__(self, data: Any, *, captures: list[Any]) -> None:
        done = [c for c in captures if c.captured_at is not None]
        if len(done) >= 2 and not (data.get("old") or data.get("new")):
            data = {
                "old": done[-2].pk,
                "new": done[-1].pk,
                "view": data.get("view", ""),
            }
        super().__init__(data)
        choices = [
            (c.pk, f"Capture {c.number} · {c.captured_at:%Y-%m-%d %H:%M:%S} UTC")
            for c in done
        ]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("old") is not None and data.get("old") == data.get("new"):
            self.add_error("new", "Choose two different captures.")
        return data


class RectangleAnnotationForm(forms.Form):
    """The no-JS way to annotate: a rectangle by numbers, in the original's pixels."""

    x = forms.FloatField(min_value=0, label="x (px from the left)")
    y = forms.FloatField(min_value=0, label="y (px from the top)")
    width = forms.FloatField(min_value=0, label="width (px)")
    height = forms.FloatField(min_value=0, label="height (px)")
    label = forms.CharField(
        max_length=120, help_text='What is marked, e.g. "containers".'
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    count = forms.IntegerField(required=False, min_value=0)

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "selector": {
                "type": "FragmentSelector",
                "value": (
                    f"xywh=pixel:{data['x']:g},{data['y']:g},"
                    f"{data['width']:g},{data['height']:g}"
                ),
            },
            "label": data["label"],
            "note": data["note"],
            "count": data["count"],
        }
