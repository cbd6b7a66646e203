"""The "Import a fact-check" form: one source (a file, pasted text or a web capture's
DOM), whether to create claimants not found. Shapes input only; the import is
publishing.factcheck_import."""

from __future__ import annotations

from typing import Any

from django import forms

from provenance.publishing.factcheck_parse import MAX_BYTES


class FactCheckImportForm(forms.Form):
    file = forms.FileField(
        required=False,
        label="File",
        help_text="ClaimReview JSON-LD, an HTML page with ld+json blocks, or a "
        "Google Fact Check Tools claims:search response (at most 2 MB).",
    )
    text = forms.CharField(
        required=False,
        label="Or paste it",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        max_length=MAX_BYTES,
    )
    capture = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Or read a web capture",
        help_text="The ClaimReview blocks in the captured page's rendered DOM.",
    )
    create_claimants = forms.BooleanField(
        required=False,
        initial=True,
        label="Add claimants not found in the team as new people or organisations",
    )

    def __init__(self, *args: Any, captures: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capture"].choices = [("", "—")] + [
            (c.pk, f"{c.title or c.requested_url} ({c.requested_at:%d %b %Y})"[:150])
            for c in captures
        ]

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; at most {MAX_BYTES:,} are read."
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = [
            name
            for name in ("file", "text", "capture")
            if data.get(name) not in (None, "")
        ]
        if len(given) != 1 and not self.errors:
            raise forms.ValidationError(
                "Give one source: a file, pasted text or a web capture."
            )
        return data
