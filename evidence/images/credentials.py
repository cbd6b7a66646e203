"""Content Credentials (C2PA): the manifest store read and summarised for the
evidence page (images and PDFs alike).

No Django imports: the trust list comes in as PEM text, so the one settings
module stays the only place it is configured. The c2pa library (a native one)
is imported only when a file is read.

A manifest that lives on a server (the file carries only its URL) is reported
as "remote" with that URL and never fetched: fetching would tell the server
what we are looking at, and make the result depend on when it was read.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

# Offline: never fetch a remote manifest or an OCSP response while reading
# evidence (it would leak what we are looking at, and make results time-variant).
C2PA_READ_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}

_UNTRUSTED = "signingCredential.untrusted"
_REMOTE_URL_RE = re.compile(r"remote manifests? from url (\S+)", re.IGNORECASE)


def read_settings(trust_anchors: str | None = None) -> dict[str, Any]:
    """The c2pa settings: offline, with the trust anchors (PEM) when given."""
    if not trust_anchors:
        return C2PA_READ_SETTINGS
    return {**C2PA_READ_SETTINGS, "trust": {"trust_anchors": trust_anchors}}


def read_content_credentials(
    path: str | os.PathLike[str], mime: str, *, trust_anchors: str | None = None
) -> dict[str, Any] | None:
    """Summarise the C2PA manifest store, or None when the file has none.

    ``state`` is "trusted" (signer chains to one of ``trust_anchors``, PEM
    text), "valid" (intact and correctly signed, signer not on a trust list),
    "invalid" (e.g. pixels changed after signing, or an ingredient's signature
    is bad), "remote" (the file points to a manifest on a server, which is not
    fetched) or "unreadable" (a manifest is present but could not be parsed).
    ``validation_errors`` lists the failure codes, an ingredient's with its
    title; ``signed_at`` needs an RFC 3161 timestamp, else None.
    """
    import c2pa  # deferred: loads a native library most requests never need

    try:
        with (
            c2pa.Context.from_dict(read_settings(trust_anchors)) as ctx,
            open(path, "rb") as fh,
        ):
            reader = c2pa.Reader.try_create(mime, fh, None, ctx)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        url = remote_manifest_url(exc)
        if url is not None:
            return remote_summary(url, trust_list=bool(trust_anchors))
        return unreadable_summary(exc)
    return summarise_manifest_store(store, trust_list=bool(trust_anchors))


def remote_manifest_url(exc: Exception) -> str | None:
    """The URL of a remote manifest the library declined to fetch, if that is
    why it stopped (it says so only in the message: "Remote: must fetch remote
    manifests from url https://...")."""
    match = _REMOTE_URL_RE.search(str(exc))
    return match.group(1) if match else None


def _empty_summary(state: str, *, trust_list: bool) -> dict[str, Any]:
    return {
        "state": state,
        "signer": None,
        "signed_at": None,
        "claim_generator": None,
        "tools": [],
        "actions": [],
        "title": None,
        "manifest_count": 0,
        "remote_url": None,
        "trust_list": trust_list,
        "ingredients": [],
        "invalid_ingredients": 0,
        "validation_errors": [],
    }


def remote_summary(url: str, *, trust_list: bool = False) -> dict[str, Any]:
    """A file whose manifest is stored at ``url`` (not fetched, so not validated)."""
    return {**_empty_summary("remote", trust_list=trust_list), "remote_url": url}


def unreadable_summary(exc: Exception) -> dict[str, Any]:
    """The summary of a manifest that is present but could not be parsed."""
    return {
        **_empty_summary("unreadable", trust_list=False),
        "validation_errors": [
            {"code": type(exc).__name__.lstrip("_"), "explanation": str(exc)}
        ],
    }


def summarise_manifest_store(
    store: dict[str, Any], *, trust_list: bool = False
) -> dict[str, Any]:
    """The active manifest's signer, tools, actions, ingredients and validation
    state; ``trust_list`` says whether trust anchors were configured."""
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) or {}
    signature = active.get("signature_info") or {}
    tools = [
        {"name": info.get("name"), "version": info.get("version")}
        for info in active.get("claim_generator_info") or []
        if isinstance(info, dict)
    ]
    generator = active.get("claim_generator") or ", ".join(
        " ".join(str(p) for p in (t["name"], t["version"]) if p) for t in tools
    )
    state, failures = _validation(store)
    ingredients = _ingredients(store)
    return {
        "state": state,
        "signer": {
            "common_name": signature.get("common_name"),
            "issuer": signature.get("issuer"),
            "algorithm": signature.get("alg"),
            "certificate_serial_number": signature.get("cert_serial_number"),
        },
        "signed_at": signature.get("time"),
        "claim_generator": generator or None,
        "tools": tools,
        "actions": _actions(active),
        "title": active.get("title"),
        "manifest_count": len(manifests),
        "remote_url": None,
        "trust_list": trust_list,
        "ingredients": ingredients,
        "invalid_ingredients": sum(i["state"] == "invalid" for i in ingredients),
        "validation_errors": [
            {"code": f.get("code"), "explanation": f.get("explanation")}
            for f in failures
        ]
        + [
            {**error, "ingredient": ingredient["title"]}
            for ingredient in ingredients
            for error in ingredient["validation_errors"]
        ],
    }


def _actions(active: dict[str, Any]) -> list[dict[str, Any]]:
    """The c2pa.actions assertions' entries, in the order they were recorded."""
    actions = []
    for assertion in active.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            agent = action.get("softwareAgent")
            if isinstance(agent, dict):
                agent = agent.get("name")
            actions.append(
                {
                    "action": action.get("action"),
                    "when": action.get("when"),
                    "software_agent": agent,
                    "digital_source_type": action.get("digitalSourceType"),
                    "description": action.get("description"),
                }
            )
    return actions


def _validation(store: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(state, failures) from the store, whichever way the library reports them."""
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = results.get("failure")
    if failures is None:
        failures = store.get("validation_status") or []
    state = str(store.get("validation_state") or "").lower()
    if state not in ("trusted", "valid", "invalid"):
        state = "invalid" if failures else "valid"
    return state, failures


def _ingredients(store: dict[str, Any]) -> list[dict[str, Any]]:
    """Every manifest's ingredients with their own validation failures.

    An ingredient's failures are in two places, neither of them
    ``activeManifest``: what its signer recorded when it was added (the
    ingredient's ``validation_results``, or ``validation_status`` in older
    manifests) and what the library finds now that differs from that record
    (``ingredientDeltas``, keyed by the ingredient assertion's JUMBF URI).
    Nested ingredients are listed too, after the active manifest's own.
    """
    deltas = {
        str(delta.get("ingredientAssertionURI", "")): delta.get("validationDeltas")
        or {}
        for delta in (store.get("validation_results") or {}).get("ingredientDeltas")
        or []
        if isinstance(delta, dict)
    }
    manifests = store.get("manifests") or {}
    active = store.get("active_manifest")
    order = [active, *(label for label in manifests if label != active)]
    found = []
    for label in order:
        manifest = manifests.get(label) or {}
        for ingredient in manifest.get("ingredients") or []:
            uri = f"self#jumbf=/c2pa/{label}/c2pa.assertions/{ingredient.get('label')}"
            failures = _unique(
                [
                    *_recorded_failures(ingredient),
                    *(deltas.get(uri, {}).get("failure") or []),
                ]
            )
            # As for the active manifest, an unknown signer alone is no damage.
            damaged = [f for f in failures if f.get("code") != _UNTRUSTED]
            has_credentials = bool(ingredient.get("active_manifest"))
            found.append(
                {
                    "title": ingredient.get("title"),
                    "format": ingredient.get("format"),
                    "relationship": ingredient.get("relationship"),
                    "in_manifest": label,
                    "has_credentials": has_credentials,
                    "state": "invalid"
                    if damaged
                    else ("valid" if has_credentials else None),
                    "validation_errors": [
                        {"code": f.get("code"), "explanation": f.get("explanation")}
                        for f in failures
                    ],
                }
            )
    return found


def _recorded_failures(ingredient: dict[str, Any]) -> list[dict[str, Any]]:
    """The failures recorded in an ingredient assertion when it was made."""
    results = ingredient.get("validation_results")
    if isinstance(results, dict):
        return list((results.get("activeManifest") or {}).get("failure") or [])
    return [s for s in ingredient.get("validation_status") or [] if isinstance(s, dict)]


def _unique(failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, kept = set(), []
    for failure in failures:
        key = (failure.get("code"), failure.get("url"))
        if key not in seen:
            seen.add(key)
            kept.append(failure)
    return kept
