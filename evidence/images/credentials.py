"""Content Credentials (C2PA): the manifest store summarised for the evidence page.

Pure functions with no Django imports: dicts in, dicts out. The reading itself
(the c2pa library, a native one) is ``process.read_content_credentials``.
"""

from __future__ import annotations

from typing import Any

# Offline: never fetch a remote manifest or an OCSP response while reading
# evidence (it would leak what we are looking at, and make results time-variant).
C2PA_READ_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


def unreadable_summary(exc: Exception) -> dict[str, Any]:
    """The summary of a manifest that is present but could not be parsed."""
    return {
        "state": "unreadable",
        "signer": None,
        "signed_at": None,
        "claim_generator": None,
        "tools": [],
        "actions": [],
        "title": None,
        "manifest_count": 0,
        "validation_errors": [
            {"code": type(exc).__name__.lstrip("_"), "explanation": str(exc)}
        ],
    }


def summarise_manifest_store(store: dict[str, Any]) -> dict[str, Any]:
    """The active manifest's signer, tools, actions and validation state."""
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
        "validation_errors": [
            {"code": f.get("code"), "explanation": f.get("explanation")}
            for f in failures
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
