"""Reading fact-checks published elsewhere (issue 20): schema.org ClaimReview JSON-LD
(a JSON document, or the `<script type="application/ld+json">` blocks of an HTML
page) and the Google Fact Check Tools `claims:search` response. Pure: no Django, no
ORM. The input is bounded before anything parses it (MAX_BYTES, MAX_JSON_DEPTH,
MAX_BLOCKS, MAX_FACTCHECKS); whatever is wrong is one FactCheckError naming where.

ClaimReview fields read (https://schema.org/ClaimReview): claimReviewed (the claim's
text), itemReviewed.author (the claimant), itemReviewed.firstAppearance /
.appearance (URLs, or CreativeWorks with url and datePublished),
itemReviewed.datePublished and .name (when and where it was said), reviewRating
(alternateName, ratingValue, bestRating, worstRating), author or publisher (the
reviewer), datePublished, url, headline/name, inLanguage.

Fact Check Tools (https://developers.google.com/fact-check/tools/api/reference/rest/
v1alpha1/claims/search): claims[].text, .claimant, .claimDate and .claimReview[]
(publisher.name, publisher.site, url, title, reviewDate, textualRating,
languageCode). A publisher's `site` is a host name: its URL is taken as https://site.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import tinyhtml5

from provenance.common.jsonlimits import MAX_JSON_DEPTH, json_depth_exceeds

MAX_BYTES = 2 * 1024 * 1024
MAX_BLOCKS = 50  # ld+json blocks read from one page
MAX_FACTCHECKS = 100  # drafts from one input
MAX_TEXT = 5_000  # characters of a claim's text
MAX_URL = 500
MAX_NAME = 300

CLAIMREVIEW = "claimreview"
FACTCHECK_TOOLS = "factcheck_tools"

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


class FactCheckError(ValueError):
    """The input is refused; the message says why (and where)."""


@dataclass(frozen=True)
class Verdict:
    reviewer_name: str = ""
    reviewer_url: str = ""
    rating_text: str = ""
    rating_value: str = ""
    best_rating: str = ""
    worst_rating: str = ""
    review_title: str = ""
    review_url: str = ""
    reviewed_at: datetime | None = None
    language: str = ""
    source_format: str = CLAIMREVIEW


@dataclass(frozen=True)
class FactCheck:
    """One claim as the fact-checkers recorded it: one draft claim on import."""

    text: str
    claimant_name: str = ""
    claimant_kind: str = ""  # "person", "organization" or "" (not said)
    first_appearance_url: str = ""
    first_appearance_at: datetime | None = None
    appearance_source: str = ""  # itemReviewed.name: where it was said
    other_appearance_urls: tuple[str, ...] = ()
    verdicts: tuple[Verdict, ...] = field(default=())


def parse_factchecks(data: bytes | str) -> list[FactCheck]:
    """The fact-checks in `data` (JSON, or HTML with ld+json blocks). Raises
    FactCheckError when the input is too large, too deep, malformed, or holds no
    ClaimReview or Fact Check Tools claim."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise FactCheckError(
            f"The input is {len(raw):,} bytes; at most {MAX_BYTES:,} are read."
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FactCheckError(
            f"The input is not UTF-8 text (byte {exc.start})."
        ) from None
    stripped = text.lstrip()
    if not stripped:
        raise FactCheckError("The input is empty.")
    if stripped.startswith("<"):
        documents = [
            _load(block, where=f"ld+json block {n}")
            for n, block in enumerate(ld_json_blocks(text), start=1)
        ]
        if not documents:
            raise FactCheckError(
                'The page has no <script type="application/ld+json"> block.'
            )
    else:
        documents = [_load(text, where="The document")]
    found: list[FactCheck] = []
    for document in documents:
        if isinstance(document, dict) and "claims" in document:
            found.extend(_factcheck_tools(document))
        else:
            found.extend(
                _claimreview(node, n)
                for n, node in enumerate(_claimreview_nodes(document), start=1)
            )
        if len(found) > MAX_FACTCHECKS:
            raise FactCheckError(
                f"More than {MAX_FACTCHECKS} fact-checks in one input; split it."
            )
    if not found:
        raise FactCheckError("No ClaimReview and no Fact Check Tools claim found.")
    return found


def ld_json_blocks(html: str) -> list[str]:
    """The texts of the page's `<script type="application/ld+json">` blocks, read
    with an HTML5 parser (so a `<script>` inside a comment or attribute is not one)."""
    root = tinyhtml5.parse(html)
    blocks = []
    for element in root.iter("{http://www.w3.org/1999/xhtml}script"):
        kind = (element.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json" and (element.text or "").strip():
            blocks.append(element.text or "")
            if len(blocks) > MAX_BLOCKS:
                raise FactCheckError(
                    f"The page has more than {MAX_BLOCKS} ld+json blocks."
                )
    return blocks


def _load(text: str, *, where: str) -> Any:
    if json_depth_exceeds(text):
        raise FactCheckError(f"{where} nests more than {MAX_JSON_DEPTH} levels deep.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactCheckError(
            f"{where} is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})."
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise FactCheckError(f"{where} nests too deeply.") from None


# --- schema.org ClaimReview -----------------------------------------------------------


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", ())
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        return set()
    return {
        str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        for v in values
        if isinstance(v, str)
    }


def _claimreview_nodes(document: Any) -> list[dict[str, Any]]:
    """ClaimReview objects at the top, in a list, or in an @graph (not deeper: a
    review nested in another item is about that item, not a claim)."""
    nodes = document if isinstance(document, list) else [document]
    found = []
    for node in nodes:
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("@graph"), list):
            found.extend(_claimreview_nodes(node["@graph"]))
        elif "ClaimReview" in _types(node):
            found.append(node)
    return found


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _string(value: Any, *, where: str, limit: int = MAX_NAME) -> str:
    value = _first(value)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FactCheckError(f"{where} is not text.")
    text = str(value).strip()
    if len(text) > limit:
        raise FactCheckError(f"{where} is longer than {limit} characters.")
    return text


def _url(value: Any, *, where: str) -> str:
    if isinstance(_first(value), dict):
        value = _first(value).get("url") or _first(value).get("@id")
    text = _string(value, where=where, limit=MAX_URL)
    if text and (urlsplit(text).scheme not in {"http", "https"} or "." not in text):
        raise FactCheckError(f"{where} is not an http(s) URL: {text[:100]!r}.")
    return text


def _when(value: Any, *, where: str) -> datetime | None:
    text = _string(value, where=where, limit=40)
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FactCheckError(f"{where} is not an ISO 8601 date: {text!r}.") from None
    # A time without a zone is taken as UTC: the formats say nothing else.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _party(value: Any, *, where: str) -> tuple[str, str, str]:
    """(name, url, kind) of an author/publisher given as text or an object."""
    value = _first(value)
    if value is None:
        return "", "", ""
    if isinstance(value, str):
        return _string(value, where=where), "", ""
    if not isinstance(value, dict):
        raise FactCheckError(f"{where} is neither a name nor an object.")
    types = _types(value)
    kind = (
        "person"
        if "Person" in types
        else "organization"
        if types & {"Organization", "NewsMediaOrganization", "GovernmentOrganization"}
        else ""
    )
    return (
        _string(value.get("name"), where=f"{where}.name"),
        _url(value.get("url"), where=f"{where}.url"),
        kind,
    )


def _claimreview(node: dict[str, Any], n: int) -> FactCheck:
    where = f"ClaimReview {n}"
    text = _string(
        node.get("claimReviewed"), where=f"{where} claimReviewed", limit=MAX_TEXT
    )
    if not text:
        raise FactCheckError(f"{where} has no claimReviewed (the claim's text).")
    item = _first(node.get("itemReviewed"))
    item = item if isinstance(item, dict) else {}
    claimant, _claimant_url, claimant_kind = _party(
        item.get("author"), where=f"{where} itemReviewed.author"
    )
    first_url = _url(item.get("firstAppearance"), where=f"{where} firstAppearance")
    first_at = None
    if isinstance(_first(item.get("firstAppearance")), dict):
        first_at = _when(
            _first(item["firstAppearance"]).get("datePublished"),
            where=f"{where} firstAppearance.datePublished",
        )
    appearances = item.get("appearance") or []
    appearances = appearances if isinstance(appearances, list) else [appearances]
    urls = []
    for i, appearance in enumerate(appearances[:MAX_BLOCKS], start=1):
        url = _url(appearance, where=f"{where} appearance {i}")
        if url and url not in urls and url != first_url:
            urls.append(url)
        if not first_url and url and first_at is None and isinstance(appearance, dict):
            first_at = _when(
                appearance.get("datePublished"),
                where=f"{where} appearance {i}.datePublished",
            )
    if not first_url and urls:
        first_url = urls.pop(0)
    if not first_url:  # the reviewed work itself (a Clip: the video it is part of)
        part_of = _first(item.get("isPartOf"))
        first_url = _url(item.get("url"), where=f"{where} itemReviewed.url") or (
            _url(part_of, where=f"{where} itemReviewed.isPartOf")
            if isinstance(part_of, dict | str)
            else ""
        )
    if first_at is None:
        first_at = _when(
            item.get("datePublished"), where=f"{where} itemReviewed.datePublished"
        )
    rating = _first(node.get("reviewRating"))
    rating = rating if isinstance(rating, dict) else {}
    reviewer = node.get("author") or node.get("publisher")
    reviewer_name, reviewer_url, _ = _party(reviewer, where=f"{where} author")
    verdict = Verdict(
        reviewer_name=reviewer_name,
        reviewer_url=reviewer_url,
        rating_text=_string(
            rating.get("alternateName") or rating.get("name"),
            where=f"{where} reviewRating.alternateName",
        ),
        rating_value=_string(
            rating.get("ratingValue"), where=f"{where} ratingValue", limit=40
        ),
        best_rating=_string(
            rating.get("bestRating"), where=f"{where} bestRating", limit=40
        ),
        worst_rating=_string(
            rating.get("worstRating"), where=f"{where} worstRating", limit=40
        ),
        review_title=_string(
            node.get("headline") or node.get("name"),
            where=f"{where} headline",
            limit=500,
        ),
        review_url=_url(node.get("url"), where=f"{where} url"),
        reviewed_at=_when(node.get("datePublished"), where=f"{where} datePublished"),
        language=_string(node.get("inLanguage"), where=f"{where} inLanguage", limit=20),
        source_format=CLAIMREVIEW,
    )
    return FactCheck(
        text=text,
        claimant_name=claimant,
        claimant_kind=claimant_kind,
        first_appearance_url=first_url,
        first_appearance_at=first_at,
        appearance_source=_string(item.get("name"), where=f"{where} itemReviewed.name"),
        other_appearance_urls=tuple(urls),
        verdicts=(verdict,),
    )


# --- Google Fact Check Tools ----------------------------------------------------------


def _factcheck_tools(document: dict[str, Any]) -> list[FactCheck]:
    claims = document.get("claims")
    if not isinstance(claims, list):
        raise FactCheckError('"claims" is not a list.')
    found = []
    for n, claim in enumerate(claims, start=1):
        where = f"claims[{n - 1}]"
        if not isinstance(claim, dict):
            raise FactCheckError(f"{where} is not an object.")
        text = _string(claim.get("text"), where=f"{where}.text", limit=MAX_TEXT)
        if not text:
            raise FactCheckError(f"{where} has no text.")
        reviews = claim.get("claimReview") or []
        if not isinstance(reviews, list):
            raise FactCheckError(f"{where}.claimReview is not a list.")
        verdicts = []
        for i, review in enumerate(reviews[:MAX_FACTCHECKS]):
            at = f"{where}.claimReview[{i}]"
            if not isinstance(review, dict):
                raise FactCheckError(f"{at} is not an object.")
            publisher = review.get("publisher") or {}
            if not isinstance(publisher, dict):
                raise FactCheckError(f"{at}.publisher is not an object.")
            site = _string(publisher.get("site"), where=f"{at}.publisher.site")
            if site and not _HOST.match(site):
                raise FactCheckError(f"{at}.publisher.site is not a host name.")
            verdicts.append(
                Verdict(
                    reviewer_name=_string(
                        publisher.get("name"), where=f"{at}.publisher.name"
                    )
                    or site,
                    reviewer_url=f"https://{site}" if site else "",
                    rating_text=_string(
                        review.get("textualRating"), where=f"{at}.textualRating"
                    ),
                    review_title=_string(
                        review.get("title"), where=f"{at}.title", limit=500
                    ),
                    review_url=_url(review.get("url"), where=f"{at}.url"),
                    reviewed_at=_when(
                        review.get("reviewDate"), where=f"{at}.reviewDate"
                    ),
                    language=_string(
                        review.get("languageCode"), where=f"{at}.languageCode", limit=20
                    ),
                    source_format=FACTCHECK_TOOLS,
                )
            )
        found.append(
            FactCheck(
                text=text,
                claimant_name=_string(claim.get("claimant"), where=f"{where}.claimant"),
                first_appearance_at=_when(
                    claim.get("claimDate"), where=f"{where}.claimDate"
                ),
                verdicts=tuple(verdicts),
            )
        )
    return found
