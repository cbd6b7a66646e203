"""FollowTheMoney (FtM) entities in and out: reading one JSON line into a cleaned
proxy, mapping a proxy to the fields of our records, and building the FtM form of
an entity or an edge for export. Pure: no ORM; the import and export services
(ftm_import.py, ftm_export.py) do the reading and writing of records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from followthemoney import model
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy

# FtM schema -> our entity kind. A schema not named here but descending from one
# of these maps like its ancestor (checked in this order).
THING_KINDS: tuple[tuple[str, str], ...] = (
    ("Vessel", "vessel"),
    ("PublicBody", "government"),
    ("Person", "person"),
    ("Organization", "organization"),  # Company descends from Organization
    ("LegalEntity", "organization"),
)
EDGE_SCHEMAS = ("Ownership", "Directorship")
SANCTION_SCHEMA = "Sanction"
# What our kinds are in FtM, for export.
KIND_SCHEMAS = {
    "vessel": "Vessel",
    "person": "Person",
    "organization": "Organization",
    "government": "PublicBody",
    "port": "Address",
    "facility": "Address",
}
MAX_LINE_BYTES = 1_000_000


class FtMLineError(ValueError):
    """A line that is not an FtM entity we can take; the message says why."""


@dataclass(frozen=True)
class FtMLine:
    proxy: EntityProxy
    first_seen: datetime | None
    last_seen: datetime | None
    last_change: datetime | None
    properties: dict[str, list[str]] = field(default_factory=dict)


def _when(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_line(raw: bytes | str) -> FtMLine:
    """One JSON line in the OpenSanctions form ({id, schema, properties, first_seen,
    last_seen, last_change, ...}) into a proxy whose values followthemoney cleaned
    (an invalid IMO number, date or country is dropped, as FtM itself does)."""
    if len(raw) > MAX_LINE_BYTES:
        raise FtMLineError(f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FtMLineError(f"not JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise FtMLineError("not a JSON object")
    if not isinstance(data.get("id"), str) or not data["id"].strip():
        raise FtMLineError("no id")
    if not isinstance(data.get("schema"), str) or model.get(data["schema"]) is None:
        raise FtMLineError(f"unknown schema {data.get('schema')!r}")
    if not isinstance(data.get("properties", {}), dict):
        raise FtMLineError("properties is not an object")
    try:
        proxy = model.get_proxy(
            {
                "id": data["id"].strip(),
                "schema": data["schema"],
                "properties": data.get("properties", {}),
            },
            cleaned=False,
        )
    except (InvalidData, TypeError, ValueError) as exc:
        raise FtMLineError(f"not a valid {data['schema']}: {exc}") from exc
    return FtMLine(
        proxy=proxy,
        first_seen=_when(data.get("first_seen")),
        last_seen=_when(data.get("last_seen")),
        last_change=_when(data.get("last_change")),
        properties=proxy.to_dict()["properties"],
    )


def entity_kind(schema_name: str) -> str | None:
    schema = model.get(schema_name)
    if schema is None:
        return None
    for name, kind in THING_KINDS:
        if schema.is_a(name):
            return kind
    return None


def _first(props: dict[str, list[str]], name: str) -> str:
    values = props.get(name) or []
    return values[0] if values else ""


def _day(value: str) -> tuple[date | None, str]:
    """An FtM date (YYYY, YYYY-MM or YYYY-MM-DD, maybe with a time) and its
    precision."""
    value = value[:10]
    try:
        if len(value) == 4:
            return date(int(value), 1, 1), "year"
        if len(value) == 7:
            return date(int(value[:4]), int(value[5:7]), 1), "month"
        if len(value) == 10:
            return date.fromisoformat(value), "day"
    except ValueError:
        pass
    return None, "day"


def entity_fields(kind: str, props: dict[str, list[str]]) -> dict[str, Any]:
    """Our entity's fields from an FtM thing's cleaned properties."""
    names = props.get("name") or []
    aliases = [
        v
        for v in [*names[1:], *(props.get("alias") or [])]
        if v and v != _first(props, "name")
    ]
    fields: dict[str, Any] = {
        "name": (_first(props, "name") or "(unnamed)")[:300],
        "description": "\n".join(
            [*(props.get("description") or []), *(props.get("notes") or [])]
        ),
        "aliases": list(dict.fromkeys(aliases)),
        "country": _first(props, "country")[:2].upper()
        if len(_first(props, "country")) == 2
        else "",
        "website": _first(props, "website")[:200],
    }
    if kind == "vessel":
        mmsi = _first(props, "mmsi")
        fields |= {
            "imo": _first(props, "imoNumber").removeprefix("IMO"),
            "mmsi": mmsi if len(mmsi) == 9 and mmsi.isdigit() else "",
            "call_sign": _first(props, "callSign")[:20],
            "flag": _first(props, "flag").upper()
            if len(_first(props, "flag")) == 2
            else "",
            "vessel_type": _first(props, "type")[:80],
        }
    return fields


def edge_fields(schema_name: str, props: dict[str, list[str]]) -> dict[str, Any]:
    """An Ownership or Directorship as our relationship's kind, ends and fields.
    `source_ref` and `target_ref` are the dataset ids of its two parties."""
    start, start_precision = _day(_first(props, "startDate"))
    end, end_precision = _day(_first(props, "endDate"))
    role = " ".join(
        [*(props.get("role") or []), *(props.get("ownershipType") or [])]
    ).lower()
    if schema_name == "Ownership":
        kind = "beneficial_owner" if "benef" in role else "registered_owner"
        source_ref, target_ref = _first(props, "owner"), _first(props, "asset")
    else:
        kind = "officer" if role and "director" not in role else "director"
        source_ref, target_ref = (
            _first(props, "director"),
            _first(props, "organization"),
        )
    share = None
    if kind in ("registered_owner", "beneficial_owner") and props.get("percentage"):
        try:
            share = Decimal(_first(props, "percentage").strip().rstrip("%"))
        except InvalidOperation:
            share = None
        if share is not None and not (0 <= share <= 100):
            share = None
    return {
        "kind": kind,
        "source_ref": source_ref,
        "target_ref": target_ref,
        "description": " ".join(
            [*(props.get("role") or []), *(props.get("ownershipType") or [])]
        ).strip(),
        "share_percent": share,
        "start_date": start,
        "start_precision": start_precision,
        "end_date": end,
        "end_precision": end_precision,
    }


def sanction_fields(props: dict[str, list[str]]) -> dict[str, Any]:
    listed, _ = _day(_first(props, "listingDate") or _first(props, "startDate"))
    url = _first(props, "sourceUrl") or _first(props, "programUrl")
    return {
        "entity_ref": _first(props, "entity"),
        "authority": (_first(props, "authority") or "(authority not given)")[:200],
        "programme": (_first(props, "program") or _first(props, "programId"))[:200],
        "listed_on": listed,
        "reason": "\n".join(props.get("reason") or []),
        "source_url": url if url.startswith(("http://", "https://")) else "",
    }


# --- Export --------------------------------------------------------------------------


def export_id(team_slug: str, what: str, pk: int) -> str:
    return f"provenance-{team_slug}-{what}-{pk}"


def entity_proxy_data(
    *,
    entity_id: str,
    kind: str,
    name: str,
    aliases: list[str],
    description: str,
    country: str,
    website: str,
    imo: str,
    mmsi: str,
    call_sign: str,
    flag: str,
    vessel_type: str,
    dataset: str,
    source_entity_id: str | None,
) -> dict[str, Any]:
    schema = KIND_SCHEMAS[kind]
    props: dict[str, list[str]] = {"name": [name]}
    if schema == "Address":
        props = {"full": [name]}
    else:
        if aliases:
            props["alias"] = list(aliases)
        if description:
            props["description"] = [description]
        if country:
            props["country"] = [country.lower()]
        if website:
            props["website"] = [website]
    if kind == "vessel":
        for key, value in (
            ("imoNumber", f"IMO{imo}" if imo else ""),
            ("mmsi", mmsi),
            ("callSign", call_sign),
            ("flag", flag.lower()),
            ("type", vessel_type),
        ):
            if value:
                props[key] = [value]
    return _checked(entity_id, schema, props, dataset, source_entity_id)


def edge_proxy_data(
    *,
    edge_id: str,
    kind: str,
    source_id: str,
    target_id: str,
    description: str,
    share_percent: Decimal | None,
    start_date: date | None,
    end_date: date | None,
    dataset: str,
    source_entity_id: str | None,
) -> dict[str, Any]:
    """Owners as Ownership (owner -> asset); directors, officers and
    representatives as Directorship; the other kinds as UnknownLink."""
    props: dict[str, list[str]] = {}
    if kind in ("registered_owner", "beneficial_owner", "parent"):
        schema = "Ownership"
        props = {"owner": [source_id], "asset": [target_id]}
        props["ownershipType"] = [kind.replace("_", " ")]
        if share_percent is not None:
            props["percentage"] = [f"{share_percent.normalize():f}"]
    elif kind in ("director", "officer", "representative"):
        schema = "Directorship"
        props = {"director": [source_id], "organization": [target_id]}
        props["role"] = [kind]
    else:
        schema = "UnknownLink"
        props = {"subject": [source_id], "object": [target_id], "role": [kind]}
    if description:
        props["description"] = [description]
    if start_date:
        props["startDate"] = [start_date.isoformat()]
    if end_date:
        props["endDate"] = [end_date.isoformat()]
    return _checked(edge_id, schema, props, dataset, source_entity_id)


def sanction_proxy_data(
    *,
    sanction_id: str,
    entity_id: str,
    authority: str,
    programme: str,
    listed_on: date | None,
    reason: str,
    source_url: str,
    dataset: str,
    source_entity_id: str | None,
) -> dict[str, Any]:
    props: dict[str, list[str]] = {"entity": [entity_id], "authority": [authority]}
    for key, value in (
        ("program", programme),
        ("listingDate", listed_on.isoformat() if listed_on else ""),
        ("reason", reason),
        ("sourceUrl", source_url),
    ):
        if value:
            props[key] = [value]
    return _checked(sanction_id, "Sanction", props, dataset, source_entity_id)


def _checked(
    entity_id: str,
    schema: str,
    props: dict[str, list[str]],
    dataset: str,
    source_entity_id: str | None,
) -> dict[str, Any]:
    """The FtM dict, its values as followthemoney cleans them (so what we write is
    what FtM reads back); the dataset it came from and its id there as the
    OpenSanctions `datasets` and `referents`."""
    proxy = model.get_proxy(
        {"id": entity_id, "schema": schema, "properties": props}, cleaned=False
    )
    data = proxy.to_dict()
    data["datasets"] = [dataset] if dataset else []
    data["referents"] = [source_entity_id] if source_entity_id else []
    return data


def dumps(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS) + b"\n"
