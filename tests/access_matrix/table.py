"""Who gets what, for every route, method and role.

Read a row as: route name -> the objects its URL points at -> method -> role ->
outcome. Rows are built from a few shapes (an HTML page of the team, a form, a
member-only API endpoint, ...) so that an exception stands out as an override.

What is RIGHT, and why:
- HTML pages work on a session only. Anonymous callers and publishers (whose key is
  an API credential, never a login) are sent to the login page, whatever the method.
- Team A's objects are 404 for team B's member: not 403, which would confirm that
  the id exists. Pages without an object (lists, "new" forms) show team B its own.
- A method a page does not handle is 405 for members (after the login check).
- The empty request body is deliberate: the matrix asks who gets through to the
  view; an empty POST fails validation (400, or the form again with 200) or is
  refused by the service with a message (redirect), and never changes anything.
- API: no credentials is 401 with an ``Api-Key`` challenge; a publisher key may
  read claims (published and retracted, of its teams; 404 otherwise) and is 403
  for any write and for member-only endpoints; members read their team's objects
  and get 404 for another team's.
- DRF answers OPTIONS with the endpoint's metadata before any object lookup, so a
  200 there says nothing about whether the object exists (same for an unknown id).
"""

from __future__ import annotations

from tests.access_matrix.harness import ADMIN_LOGIN, LOGIN, METHODS, OK, REDIRECT, ROLES
from tests.access_matrix.objects import (
    AIS,
    ANNOTATIONS,
    API_ITEMS,
    CAPTURE_FILES,
    CITATIONS,
    CLAIMS,
    COMMENTS,
    EDGE_API,
    EDGE_LINK,
    EDGE_SLUG,
    ENTITY_PK,
    ENTITY_SLUG,
    IMAGES,
    IMPORTS,
    ITEMS,
    LINKS,
    NONE,
    SCREENING,
    Kwargs,
)

Outcome = str | int
Expect = dict[str, dict[str, Outcome]]  # method -> role -> outcome

TEAM_A = ("reporter_a", "editor_a", "staff_a")
OTHER_TEAM = "reporter_b"
PUBLISHERS = ("publisher_a", "publisher_b")
SAFE = ("GET", "HEAD")


def _grid(fill: Outcome) -> Expect:
    return {method: dict.fromkeys(ROLES, fill) for method in METHODS}


def html(
    *,
    get: Outcome = OK,
    post: Outcome = 405,
    head: Outcome | None = None,
    other_team: Outcome | None = 404,
) -> Expect:
    """A login-required page. `other_team` is what team B's member gets where
    team A gets through (None: the same, for pages without an object of team A)."""
    expect = _grid(405)
    by_method = {"GET": get, "HEAD": get if head is None else head, "POST": post}
    for method, row in expect.items():
        for role in ("anonymous", *PUBLISHERS):
            row[role] = LOGIN
        allowed = by_method.get(method, 405)
        for role in TEAM_A:
            row[role] = allowed
        passes = allowed != 405
        row[OTHER_TEAM] = allowed if other_team is None or not passes else other_team
    return expect


def form(**kwargs) -> Expect:
    """GET shows the form; an empty POST is an invalid form (400)."""
    return html(post=kwargs.pop("post", 400), **kwargs)


def action(*, post: Outcome = REDIRECT, other_team: Outcome | None = 404) -> Expect:
    """POST only (require_POST): a button on a page."""
    return html(get=405, head=405, post=post, other_team=other_team)


def ceremony(post: Outcome) -> Expect:
    """A POST-only class view for signed-in users (it answers OPTIONS itself)."""
    return override(
        action(post=post, other_team=None),
        {"OPTIONS": dict.fromkeys((*TEAM_A, OTHER_TEAM), OK)},
    )


def media(**kwargs) -> Expect:
    """require_GET file and JSON endpoints: HEAD is 405 too (a HEAD of the
    original would otherwise be logged as a download)."""
    return html(head=405, **kwargs)


def api(
    *,
    read: dict[str, Outcome],
    writes: dict[str, dict[str, Outcome]] | None = None,
    publisher_reads: bool = True,
) -> Expect:
    """A DRF endpoint. `read` is GET/HEAD per role (members and publishers);
    every write is 405 for members unless `writes` says otherwise, 403 for
    publishers, 401 without credentials."""
    expect = _grid(405)
    for method, row in expect.items():
        row["anonymous"] = 401
        for role in (*TEAM_A, OTHER_TEAM):
            if method in SAFE:
                row[role] = read[role]
            elif method == "OPTIONS":
                row[role] = OK
        for role in PUBLISHERS:
            if not publisher_reads:
                row[role] = 403
            elif method in SAFE:
                row[role] = read[role]
            elif method == "OPTIONS":
                row[role] = OK
            else:
                row[role] = 403
    for method, roles in (writes or {}).items():
        expect[method].update(roles)
    return expect


def members(other_team: Outcome = 404) -> dict[str, Outcome]:
    """GET for a member-only object of team A."""
    return {**dict.fromkeys(TEAM_A, OK), OTHER_TEAM: other_team}


def public(*, get: Outcome = OK, head: Outcome = OK, others: Outcome = 405) -> Expect:
    expect = _grid(others)
    expect["GET"] = dict.fromkeys(ROLES, get)
    expect["HEAD"] = dict.fromkeys(ROLES, head)
    return expect


def override(expect: Expect, changes: dict[str, dict[str, Outcome]]) -> Expect:
    out = {method: dict(row) for method, row in expect.items()}
    for method, roles in changes.items():
        out[method].update(roles)
    return out


# --- API rows -------------------------------------------------------------------------

PUBLISHED_CLAIM = {**members(), "publisher_a": OK, "publisher_b": 404}
DRAFT_CLAIM = {**members(), "publisher_a": 404, "publisher_b": 404}
# Lists and exports: everyone with credentials gets their own scope.
OWN_SCOPE = dict.fromkeys((*TEAM_A, OTHER_TEAM, *PUBLISHERS), OK)
# The claim PATCH: members reach the serializer (400 without `version`); team B
# does not find the claim.
CLAIM_PATCH = {"PATCH": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}}


def claim_api(
    extra_writes: dict[str, dict[str, Outcome]] | None = None,
) -> dict[str, Expect]:
    return {
        "draft": api(read=DRAFT_CLAIM, writes=extra_writes),
        "published": api(read=PUBLISHED_CLAIM, writes=extra_writes),
    }


def claim_member_action(method: str, *, listed: bool = False) -> dict[str, Expect]:
    """A members-only action on a draft or published claim (or its link): team A
    reaches the serializer with `method` (400 on an empty body), team B does not
    find the claim (404), publishers are refused; GET lists when `listed`, else
    405."""
    read = members() if listed else dict.fromkeys((*TEAM_A, OTHER_TEAM), 405)
    writes = {method: {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}}
    return dict.fromkeys(
        ("draft", "published"),
        api(read=read, publisher_reads=False, writes=writes),
    )


def member_api(other_team: Outcome = 404) -> Expect:
    return api(read=members(other_team), publisher_reads=False)


# Thumbnails: publishers see an unrestricted image linked to a claim they can read.
THUMBNAIL = {
    "image": api(
        read={**members(), "publisher_a": OK, "publisher_b": 404},
        # OPTIONS is the viewset's metadata action, which is member-only.
        writes={"OPTIONS": dict.fromkeys(PUBLISHERS, 403)},
    ),
    "restricted-image": api(
        read={**members(), "publisher_a": 404, "publisher_b": 404},
        writes={"OPTIONS": dict.fromkeys(PUBLISHERS, 403)},
    ),
}

NO_GEOGRAPHY = api(
    read=dict.fromkeys((*TEAM_A, OTHER_TEAM), 404), publisher_reads=False
)

# --- Admin ----------------------------------------------------------------------------
# Every admin URL is wrapped in AdminSite.admin_view, one check for all of them:
# active staff, else a redirect to the admin login (for any method). So instead of
# the ~120 generated ModelAdmin URLs, the matrix checks representative ones of each
# kind (index, app index, changelist, add, change, history, delete, autocomplete,
# jsi18n) for the two models where it matters most; team scoping inside the admin
# is TeamScopedAdmin's, tested in tests/provenance/claims/test_admin_review.py and
# tests/provenance/publishing/api/test_admin.py. staff_a is a staff editor of team A
# with view/change permission on claims and view permission on audit events.
ADMIN_GROUP = "admin:"


def admin_view(staff: dict[str, Outcome]) -> Expect:
    expect = _grid(ADMIN_LOGIN)
    for method in METHODS:
        expect[method]["staff_a"] = staff.get(method, staff.get("*", OK))
    return expect


ADMIN_ROWS: dict[str, tuple[Kwargs | str, Expect]] = {
    "index": ("/admin/", admin_view({"*": OK})),
    "app index": ("/admin/provenance/", admin_view({"*": OK})),
    "claim changelist": ("/admin/provenance/claim/", admin_view({"*": OK})),
    # No one adds or deletes claims in the admin (services only): 403 for staff.
    "claim add": ("/admin/provenance/claim/add/", admin_view({"*": 403})),
    # Claims are read-only in the admin (edited in the app, with the version check).
    "claim change": (
        lambda w: f"/admin/provenance/claim/{w.draft.pk}/change/",
        admin_view({"POST": 403, "*": OK}),
    ),
    "claim history": (
        lambda w: f"/admin/provenance/claim/{w.draft.pk}/history/",
        admin_view({"*": OK}),
    ),
    "claim delete": (
        lambda w: f"/admin/provenance/claim/{w.draft.pk}/delete/",
        admin_view({"*": 403}),
    ),
    # Team B's claim does not exist for team A's staff: the admin redirects to its
    # index with a message rather than showing it.
    "other team's claim change": (
        lambda w: f"/admin/provenance/claim/{w.published_b.pk}/change/",
        admin_view({"POST": 403, "*": REDIRECT}),
    ),
    "audit changelist": ("/admin/provenance/auditevent/", admin_view({"*": OK})),
    # Without a model to complete, the autocomplete view refuses (403); both are
    # Django views allowing GET only (OPTIONS is the View default).
    "autocomplete": (
        "/admin/autocomplete/",
        admin_view({"GET": 403, "HEAD": 403, "OPTIONS": OK, "*": 405}),
    ),
    "jsi18n": (
        "/admin/jsi18n/",
        admin_view({"GET": OK, "HEAD": OK, "OPTIONS": OK, "*": 405}),
    ),
}

# --- The table ------------------------------------------------------------------------

Row = tuple[dict[str, Kwargs], Expect | dict[str, Expect]]


def row(objects: dict[str, Kwargs], expect: Expect | dict[str, Expect]) -> Row:
    """The objects the URL points at, and the expectations: one grid for all of
    them, or one grid per object variant."""
    return objects, expect


TABLE: dict[str, Row] = {
    # Claims (web)
    "provenance:claim-list": row(NONE, html(other_team=None)),
    "provenance:claim-create": row(NONE, form(post=OK, other_team=None)),
    "provenance:claim-list-csv": row(NONE, html(other_team=None)),
    # ClaimReview import (issue 20): members import into their own team (an empty
    # POST is an invalid form); "same claim as" is a button on team A's claims.
    "provenance:factcheck-import": row(NONE, form(other_team=None)),
    "provenance:claim-same-as": row(CLAIMS, action(post=400)),
    # Search (issue 17): each member searches their own team; no object in the URL.
    "provenance:search": row(NONE, html(other_team=None)),
    # The member's own saved searches; an empty POST is an invalid form (400).
    "provenance:saved-searches": row(NONE, form(other_team=None)),
    # Filter-box names of the member's own team; without ?field= a 400.
    "provenance:search-suggest": row(NONE, html(get=400, other_team=None)),
    "provenance:claim-detail": row(CLAIMS, html()),
    "provenance:claim-edit": row(CLAIMS, form(post=OK)),
    # The correction form (issue 12); the service refuses all but editors.
    "provenance:claim-correct": row(CLAIMS, form()),
    "provenance:claim-timeline-svg": row(CLAIMS, html()),
    # Issue 15: the version history and the dossier (HTML and PDF) of the team's
    # claims; the glossary is plain help text, public.
    "provenance:claim-versions": row(CLAIMS, html()),
    "provenance:claim-dossier": row(CLAIMS, html()),
    "provenance:claim-dossier-pdf": row(CLAIMS, html()),
    "provenance:glossary": row(NONE, public()),
    "provenance:claim-assess": row(CLAIMS, action(post=400)),
    "provenance:claim-quantity-estimate": row(CLAIMS, action(post=400)),
    "provenance:claim-estimate-from-annotation": row(CLAIMS, action()),
    "provenance:claim-evidence-add": row(CLAIMS, html()),
    "provenance:claim-evidence-link": row(CLAIMS, action(post=400)),
    "provenance:claim-evidence-add-image": row(CLAIMS, form()),
    "provenance:claim-evidence-add-statement": row(CLAIMS, form()),
    "provenance:claim-evidence-add-document": row(CLAIMS, form()),
    "provenance:claim-evidence-add-link": row(CLAIMS, form()),
    "provenance:claim-evidence-add-ais": row(CLAIMS, form()),
    # Change or unlink a link (issue 15): an empty POST lacks the required reason.
    "provenance:claim-link-change": row(LINKS, form()),
    "provenance:claim-link-unlink": row(LINKS, action(post=400)),
    "provenance:review-queue": row(NONE, html(other_team=None)),
    "provenance:claim-review": row(CLAIMS, action()),
    # Comments, assignments, watching (issue 16). An empty comment is the claim
    # page with the form's error (400); on an item, a message (redirect). The
    # comment page's empty edit is the form again (400). An empty delete, assign
    # or watch changes nothing and says so (redirect).
    "provenance:claim-comment": row(CLAIMS, action(post=400)),
    "provenance:item-comment": row(ITEMS, action()),
    "provenance:comment-detail": row(COMMENTS, form()),
    "provenance:comment-delete": row(COMMENTS, action()),
    "provenance:claim-assign": row(CLAIMS, action()),
    "provenance:claim-watch": row(CLAIMS, action()),
    "provenance:team-members": row(NONE, media(other_team=None)),
    "provenance:my-work": row(NONE, html(other_team=None)),
    # An empty team switch names no team of the user's: 403 for everyone.
    "provenance:team-switch": row(NONE, action(post=403, other_team=None)),
    # The current team's settings (issue 18): every member sees them; only a
    # team admin (none in the matrix) or a superuser changes them (403).
    "provenance:team-settings": row(NONE, html(post=403, other_team=None)),
    # Notifications (issue 16): the user's own; an empty POST marks all read.
    "provenance:notification-list": row(NONE, html(other_team=None)),
    "provenance:notification-mark-read": row(NONE, action(other_team=None)),
    "provenance:notification-unread": row(NONE, media(other_team=None)),
    "provenance:notification-settings": row(NONE, form(post=OK, other_team=None)),
    # Entities (web)
    "provenance:entity-list": row(NONE, html(other_team=None)),
    # Maps (issue 21): the team map is the member's own team's.
    "provenance:team-map": row(NONE, html(other_team=None)),
    "provenance:entity-create": row(NONE, form(post=OK, other_team=None)),
    "provenance:entity-detail": row(ENTITY_SLUG, html()),
    "provenance:entity-edit": row(ENTITY_SLUG, form(post=OK)),
    # The ownership graph (issue 20): forms on the entity page; an empty POST is an
    # invalid form (400). Another team finds neither the entity nor the edge.
    "provenance:relationship-create": row(ENTITY_SLUG, form()),
    "provenance:relationship-edit": row(EDGE_SLUG, form()),
    "provenance:relationship-end": row(EDGE_SLUG, action(post=400)),
    "provenance:relationship-evidence-link": row(EDGE_SLUG, action(post=400)),
    "provenance:relationship-evidence-unlink": row(EDGE_LINK, action(post=400)),
    # A claim citing an edge: the form (400 on an empty POST); withdrawing without
    # a reason is refused with a message on the claim page (redirect).
    "provenance:claim-relationship-cite": row(CLAIMS, form()),
    "provenance:claim-relationship-uncite": row(CITATIONS, action()),
    # FtM datasets and screening (issue 20): importing is for editors (reporters,
    # team B's too, 403); an empty POST is an invalid form (400). The screening
    # page shows each team its own; an empty decision is refused with a message
    # (redirect).
    "provenance:dataset-import": row(
        NONE,
        override(
            form(other_team=None),
            {
                m: {"reporter_a": 403, "reporter_b": 403}
                for m in ("GET", "HEAD", "POST")
            },
        ),
    ),
    "provenance:dataset-import-detail": row(IMPORTS, html()),
    "provenance:screening": row(NONE, html(other_team=None)),
    "provenance:screening-decide": row(SCREENING, action()),
    # Evidence (web)
    "evidence:item-list": row(NONE, html(other_team=None)),
    "evidence:add-image": row(NONE, form(other_team=None)),
    "evidence:add-statement": row(NONE, form(other_team=None)),
    "evidence:add-document": row(NONE, form(other_team=None)),
    "evidence:add-link": row(NONE, form(other_team=None)),
    "evidence:add-ais": row(NONE, form(other_team=None)),
    "evidence:item-detail": row(ITEMS, html()),
    "evidence:item-status": row(ITEMS, media()),
    # An empty POST asks to lift the restriction: editors only.
    "evidence:item-restrict": row(
        ITEMS, override(action(), {"POST": {"reporter_a": 403}})
    ),
    "evidence:item-reprocess": row(ITEMS, action()),
    # A scene's description (issue 21): these items have no footprint, so the
    # service refuses it and the page shows why (400); team B does not find them.
    "evidence:item-scene": row(ITEMS, action(post=400)),
    "evidence:item-original": row(IMAGES, media()),
    "evidence:item-thumbnail": row(IMAGES, media()),
    "evidence:item-display": row(IMAGES, media()),
    "evidence:annotate": row(IMAGES, form()),
    "evidence:annotation-end": row(ANNOTATIONS, action()),
    "evidence:compare": row(IMAGES, html()),
    # Issue 18: a capture's files (the screenshot inline, the others downloads).
    # HEAD too: ReplayWeb.page asks HEAD for a WACZ's size; a HEAD is not logged.
    "evidence:capture-file": row(CAPTURE_FILES, html()),
    # Issue 18: importing a WACZ made elsewhere (an empty POST: the form, 400).
    "evidence:add-wacz": row(NONE, form(other_team=None)),
    # Issue 18: the replay answers on its own origin only (CAPTURE_REPLAY_ORIGIN,
    # unset here): 404 for everyone on the tool's; tests/evidence/captures/
    # test_replay.py checks the replay origin, where a signed token is the key.
    "replay:app": row(NONE, public(get=404, head=404)),
    "replay:asset": row({"": lambda w: {"name": "ui.js"}}, public(get=404, head=404)),
    "replay:embed": row({"": lambda w: {"token": "x"}}, public(get=404, head=404)),
    "replay:wacz": row({"": lambda w: {"token": "x"}}, public(get=404, head=404)),
    # The text diff between two captures (issue 18): without two captures the
    # page says so (200).
    "evidence:capture-diff": row(ITEMS, html()),
    "evidence:ais-detail": row(AIS, html()),
    "evidence:ais-status": row(AIS, media()),
    "evidence:ais-reanalyse": row(AIS, action()),
    # Issue 14: the capture start of an NMEA file with no times (an empty one is
    # refused with a message on the page).
    "evidence:ais-capture-start": row(AIS, action()),
    "evidence:ais-reprocess": row(AIS, action()),
    # API
    "api:api-root": row(
        NONE,
        # DRF's router root uses the default authentication (session, token): a
        # publisher key is not a credential there, so publishers are anonymous (403,
        # as DRF answers without a challenge). It lists URLs, nothing of a team's.
        override(
            api(read=OWN_SCOPE, publisher_reads=False),
            {method: {"anonymous": 403} for method in METHODS},
        ),
    ),
    "api:claim-list": row(
        NONE,
        api(
            read=OWN_SCOPE,
            writes={"POST": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 400}},
        ),
    ),
    "api:claim-detail": row(CLAIMS, claim_api(CLAIM_PATCH)),
    "api:claim-claimreview": row(CLAIMS, claim_api()),
    "api:claim-prov": row(CLAIMS, claim_api()),
    "api:claim-geojson": row(CLAIMS, claim_api()),
    # Members list and append assessments; nobody edits or deletes one (405).
    "api:claim-assessments": row(CLAIMS, claim_member_action("POST", listed=True)),
    # Evidence links through the API (issue 15): members list every version and
    # reach the serializer on writes (400: an empty body lacks evidence/relation or
    # the reason); team B does not find the claim; publishers are refused.
    "api:claim-links": row(CLAIMS, claim_member_action("POST", listed=True)),
    "api:claim-link-change": row(LINKS, claim_member_action("PATCH")),
    "api:claim-link-unlink": row(LINKS, claim_member_action("POST")),
    # Review decisions (POST only): members reach the serializer (400 without a
    # decision and version); the service decides who may take which (issue 12).
    "api:claim-decisions": row(CLAIMS, claim_member_action("POST")),
    # ClaimReview import: members POST a document into their own team (an empty
    # body is refused with its reason, 400); publishers are refused.
    "api:claim-import-claimreview": row(
        NONE,
        api(
            read=dict.fromkeys((*TEAM_A, OTHER_TEAM), 405),
            publisher_reads=False,
            writes={"POST": dict.fromkeys((*TEAM_A, OTHER_TEAM), 400)},
        ),
    ),
    # Members add links (issue 18): an empty body lacks the url (400), each in
    # their own team.
    "api:evidence-list": row(
        NONE,
        api(
            read={**members(OK)},
            publisher_reads=False,
            writes={"POST": dict.fromkeys((*TEAM_A, OTHER_TEAM), 400)},
        ),
    ),
    # A link's captures (issue 18): members list them and capture again (202,
    # queued); team B does not find the item; publishers are refused.
    "api:evidence-captures": row(
        ITEMS,
        api(
            read=members(),
            publisher_reads=False,
            writes={"POST": {**dict.fromkeys(TEAM_A, 202), OTHER_TEAM: 404}},
        ),
    ),
    "api:evidence-detail": row(API_ITEMS, member_api()),
    "api:evidence-thumbnail": row(IMAGES, THUMBNAIL),
    # Open geographic formats (issue 21), members only. The matrix's open image is a
    # scene (a footprint), the restricted one has a GPS fix, the extract a track;
    # link items have no geography: team A is told so (404), team B finds nothing.
    "api:evidence-geojson": row(
        API_ITEMS,
        {
            "link": NO_GEOGRAPHY,
            "restricted": NO_GEOGRAPHY,
            "image": member_api(),
            "restricted-image": member_api(),
            "ais": member_api(),
        },
    ),
    "api:evidence-mf-json": row(
        {**AIS, **IMAGES},
        {"ais": member_api(), "image": NO_GEOGRAPHY, "restricted-image": NO_GEOGRAPHY},
    ),
    "api:evidence-stac": row(
        IMAGES, {"image": member_api(), "restricted-image": NO_GEOGRAPHY}
    ),
    "api:map-features": row(NONE, api(read={**members(OK)}, publisher_reads=False)),
    "api:map-tracks-mfjson": row(
        NONE, api(read={**members(OK)}, publisher_reads=False)
    ),
    "api:evidence-annotations": row(
        IMAGES,
        api(
            read=members(),
            writes={"POST": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}},
            publisher_reads=False,
        ),
    ),
    # Changing an annotation: team A reaches the serializer (an empty PATCH is 400).
    "api:evidence-annotation-change": row(
        ANNOTATIONS,
        api(
            read=dict.fromkeys((*TEAM_A, OTHER_TEAM), 405),
            publisher_reads=False,
            writes={"PATCH": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}},
        ),
    ),
    "api:entity-list": row(NONE, member_api(other_team=OK)),
    "api:entity-detail": row(ENTITY_PK, member_api()),
    # FtM export of the caller's team (issue 20): members only, each their own.
    "api:entities-ftm": row(NONE, member_api(other_team=OK)),
    # The ownership graph (issue 20), members only: team A reaches the serializer
    # (400 on an empty body; an empty PATCH changes nothing, also 400).
    "api:entity-relationships": row(
        ENTITY_PK,
        api(
            read=members(),
            publisher_reads=False,
            writes={"POST": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}},
        ),
    ),
    "api:entity-relationship-change": row(
        EDGE_API,
        api(
            read=dict.fromkeys((*TEAM_A, OTHER_TEAM), 405),
            publisher_reads=False,
            writes={"PATCH": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}},
        ),
    ),
    "api:entity-relationship-end": row(
        EDGE_API,
        api(
            read=dict.fromkeys((*TEAM_A, OTHER_TEAM), 405),
            publisher_reads=False,
            writes={"POST": {**dict.fromkeys(TEAM_A, 400), OTHER_TEAM: 404}},
        ),
    ),
    # Search: members their team's documents, publishers their published claims.
    "api:search": row(NONE, api(read=OWN_SCOPE)),
    "api:export-claims": row(NONE, api(read=OWN_SCOPE)),
    "api:export-bundle": row(NONE, api(read=OWN_SCOPE)),
    # Public by design: the schema and its docs page describe the API, the key
    # verifies bundles offline, /healthz is for the load balancer.
    "api:schema": row(NONE, override(public(), {"OPTIONS": dict.fromkeys(ROLES, OK)})),
    "api:docs": row(NONE, public()),
    "signing-key": row(NONE, public(head=405)),
    "healthz": row(NONE, public()),
    # Second factor (/account/security/): the signed-in user's own factors, so no
    # object of team A (team B sees its own). The matrix runs with the requirement
    # off and users without factors: the verify step sends them on (redirect),
    # recovery codes and removal refuse with a message (redirect).
    "account_security": row(NONE, html(other_team=None)),
    "account_security_verify": row(
        NONE, html(get=REDIRECT, post=REDIRECT, other_team=None)
    ),
    "account_security_totp_add": row(NONE, form(other_team=None)),
    "account_security_key_add": row(NONE, html(other_team=None)),
    "account_security_recovery": row(NONE, action(other_team=None)),
    "account_security_device_remove": row(NONE, action(other_team=None)),
    # django-otp-webauthn's ceremonies (JSON, POST only; class views answer OPTIONS
    # with their methods); passwordless login is off, so they are for signed-in
    # users. Begin answers options; complete without a begun ceremony is 400.
    "otp_webauthn:credential-registration-begin": row(NONE, ceremony(OK)),
    "otp_webauthn:credential-registration-complete": row(NONE, ceremony(400)),
    "otp_webauthn:credential-authentication-begin": row(NONE, ceremony(OK)),
    "otp_webauthn:credential-authentication-complete": row(NONE, ceremony(400)),
    # The ceremony scripts' message catalogue: static text.
    "otp_webauthn:js-i18n-catalog": row(
        NONE, override(public(), {"OPTIONS": dict.fromkeys(ROLES, OK)})
    ),
    # Issue 16: the signed-in user's own account page, for every member (nothing of
    # a team's in the URL: team B sees its own). Its buttons POST a named choice,
    # so an empty POST is refused (400) and signs nobody out; an empty token is
    # no verification link (400).
    "account": row(NONE, html(other_team=None)),
    "account-profile": row(NONE, action(post=400, other_team=None)),
    "account-email": row(NONE, action(post=400, other_team=None)),
    "account-email-confirm": row(NONE, html(get=400, head=405, other_team=None)),
    "account-sessions-end": row(NONE, action(post=400, other_team=None)),
    "account-token": row(NONE, action(post=400, other_team=None)),
    # Django's password change form: an empty POST shows it again with errors.
    "password_change": row(NONE, form(post=OK, other_team=None)),
    "password_change_done": row(NONE, html(other_team=None)),
    # Django's auth views.
    "login": row(
        NONE,
        override(
            public(others=OK),
            {"PATCH": dict.fromkeys(ROLES, 405), "DELETE": dict.fromkeys(ROLES, 405)},
        ),
    ),
    "logout": row(
        NONE,
        override(
            public(get=405, head=405),
            {"OPTIONS": dict.fromkeys(ROLES, OK), "POST": dict.fromkeys(ROLES, LOGIN)},
        ),
    ),
}


def variants(name: str) -> dict[str, Expect]:
    """The expectations of one route, per object variant."""
    objects, expect = TABLE[name]
    if set(expect) == set(METHODS):
        return dict.fromkeys(objects, expect)
    assert set(expect) == set(objects), f"{name}: one grid per object variant"
    return expect


# Single sign-on's routes exist only in a deployment that configures it
# (OIDC_RP_CLIENT_ID; provenance/urls.py), so they are not in TABLE, whose routes
# come from the default configuration. tests/provenance/accounts/test_oidc.py checks
# these rows with sign-on configured, and that exactly these routes appear then.
# Both are for anyone: the start sends every caller to the provider; the callback
# without a sign-on started refuses it and sends the caller to the login page.
OIDC_TABLE: dict[str, Row] = {
    "oidc_authentication_init": row(NONE, public(get=REDIRECT, head=405)),
    "oidc_authentication_callback": row(NONE, public(get=LOGIN, head=405)),
}
