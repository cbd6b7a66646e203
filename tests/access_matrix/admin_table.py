"""Who gets what in the Django admin: every admin URL, every changelist action,
every autocomplete source, for every role (tests/access_matrix/admin_harness.py).

Read a row as: route -> object variant -> method -> role -> outcome. Variant "a" is
team A's object, "b" team B's, "" a row of no team. For a team's object, "own" is
what staff of that team get, "other" what staff of the other team get.

What is RIGHT, and why (issue 12):
- Not staff (anonymous, a member who is not staff): the admin login, every URL.
- The admin is no second write path. Claims, claim links, assessments, entities
  (with their past identities and sanctions), tags and audit events are read-only
  for everyone, superusers too: add, change and delete are 403 and write nothing.
  An evidence item's descriptive fields are saved through evidence_update (the
  service's checks, custody and audit rows); it is never added or deleted here.
  Review decisions are the claim changelist's actions, which call the service
  (its role, four-eyes and state checks decide; a refusal is a message).
  Tags are read-only for superusers as well: renaming one would change published
  claims without a review.
- simple-history's "revert" is off: any POST to a historical version is 403.
- Teams and memberships: read-only for other staff, managed by superusers (a team
  is never deleted here: it would take its claims and audit chain with it).
- Publishers, outbox events and webhook deliveries, and Django's users, groups, API
  tokens and login logs: superusers only, whatever model permissions a staff user
  holds (the demo editors hold change_publisher): 403 on every view and action.
- Another team's object does not exist for staff: its change page is Django's own
  answer for a missing object (a redirect to the admin index, with a message), its
  simple-history pages are 404; never its content. Delete views check the
  permission first, so they are 403 whether or not the object exists.
- A staff user selecting another team's object for an action acts on nothing: the
  changelist's queryset is scoped, the action runs on no row, back to the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.access_matrix.admin_harness import (
    ADMIN_INDEX,
    ADMIN_METHODS,
    ADMIN_ROLES,
    WRITES,
)
from tests.access_matrix.harness import ADMIN_LOGIN, OK, REDIRECT

Outcome = str | int
Grid = dict[str, dict[str, Outcome]]  # method -> role -> outcome
AdminRow = dict[str, Grid]  # variant -> grid

SAVED = f"{REDIRECT}{WRITES}"  # a successful form or action: back to a list


@dataclass(frozen=True)
class Who:
    """One cell for staff: `own` for staff of the object's team (every staff user
    where the object has no team), `other` for staff of the other team, and the
    superuser's. Not staff is always the admin login."""

    own: Outcome
    other: Outcome | None = None
    superuser: Outcome | None = None

    def roles(self, variant: str) -> dict[str, Outcome]:
        other = self.own if self.other is None else self.other
        superuser = self.own if self.superuser is None else self.superuser
        return {
            "anonymous": ADMIN_LOGIN,
            "member": ADMIN_LOGIN,
            "staff_reporter_b": self.own if variant in ("b", "") else other,
            "staff_editor_b": self.own if variant in ("b", "") else other,
            "staff_a": self.own if variant in ("a", "") else other,
            "superuser": superuser,
        }


Kind = dict[str, Who]  # method -> who


def same(who: Who) -> Kind:
    return dict.fromkeys(ADMIN_METHODS, who)


REFUSED = Who(403)
LISTED = Who(OK)
BACK_TO_CHANGE = Who(REDIRECT)  # /<pk>/ redirects to /<pk>/change/, for any pk


def records(*, history_other: Outcome = ADMIN_INDEX) -> dict[str, Kind]:
    """Read-only for everyone, team-scoped. `history_other`: 404 on
    simple-history's pages, Django's missing-object redirect on its own."""
    return {
        "changelist": same(LISTED),
        "add": same(REFUSED),
        "change": {"GET": Who(OK, ADMIN_INDEX), "POST": REFUSED},
        "delete": same(REFUSED),
        "history": same(Who(OK, history_other)),
        "version": {"GET": Who(OK, 404), "POST": REFUSED},
        "redirect": same(BACK_TO_CHANGE),
    }


def managed_by_superusers(*, deletable: bool) -> dict[str, Kind]:
    """Read-only for other staff (their teams' rows); superusers change."""
    delete = Who(403, superuser=OK if deletable else 403)
    return {
        "changelist": same(LISTED),
        # An empty add form is the form again with its errors (200).
        "add": same(Who(403, superuser=OK)),
        "change": {
            "GET": Who(OK, ADMIN_INDEX),
            "POST": Who(403, superuser=SAVED),
        },
        "delete": {
            "GET": delete,
            "POST": Who(403, superuser=SAVED if deletable else 403),
        },
        "history": same(Who(OK, ADMIN_INDEX)),
        "redirect": same(BACK_TO_CHANGE),
    }


def superusers_only(
    *,
    changes: bool,
    adds: bool | None = None,
    deletes: bool | None = None,
    delete_page: bool | None = None,
) -> dict[str, Kind]:
    """403 for every other staff user on every view; superusers as they may.
    `delete_page`: the confirmation page shows though the delete is refused."""
    adds = changes if adds is None else adds
    deletes = changes if deletes is None else deletes
    delete_page = deletes if delete_page is None else delete_page
    return {
        "changelist": same(Who(403, superuser=OK)),
        "add": same(Who(403, superuser=OK if adds else 403)),
        "change": {
            "GET": Who(403, superuser=OK),
            "POST": Who(403, superuser=SAVED if changes else 403),
        },
        "delete": {
            "GET": Who(403, superuser=OK if delete_page else 403),
            "POST": Who(403, superuser=SAVED if deletes else 403),
        },
        "history": same(Who(403, superuser=OK)),
        "version": {"GET": Who(403, superuser=OK), "POST": REFUSED},
        "redirect": same(BACK_TO_CHANGE),
    }


# Actions, POSTed with the variant's object selected (and "post=yes", which is
# delete_selected's confirmation).
# An action not offered to the user is "No action selected", back to the list;
# where no action at all is offered, the POST is only the list again (200).
NOT_OFFERED = Who(REDIRECT)
NO_ACTIONS = Who(OK)
SUPERUSER_ACTION = Who(403, superuser=SAVED)


@dataclass(frozen=True)
class ModelPolicy:
    kinds: dict[str, Kind]
    # Action name -> who, or variant -> who where the object's state decides.
    actions: dict[str, Who | dict[str, Who]]
    # Whether the superuser's changelist shows MARK (a control: the planted object
    # of team A is there to be leaked).
    lists_mark: bool = True


def review(*, draft: Outcome = REDIRECT, published: Outcome = REDIRECT) -> dict:
    """A review action on team A's draft ("a") and team B's published claim ("b"):
    the service decides for the claim's team (a refusal is a message, back to the
    list); other staff act on nothing; the superuser is no team's member, so the
    service refuses them too."""
    return {
        "a": Who(draft, REDIRECT, superuser=REDIRECT),
        "b": Who(published, REDIRECT, superuser=REDIRECT),
    }


RECORD_ACTIONS = {"delete_selected": NO_ACTIONS}
SUPERUSER_DELETE = {"delete_selected": SUPERUSER_ACTION}

MODEL_POLICIES: dict[str, ModelPolicy] = {
    "provenance.claim": ModelPolicy(
        records(history_other=404),
        {
            "delete_selected": NOT_OFFERED,
            # An editor may submit a reporter's draft.
            "review_submit": review(draft=SAVED),
            "review_approve": review(),
            "review_request_changes": review(),
            "review_publish": review(),
            "review_correct": review(),
            "review_retract": review(),
        },
    ),
    "provenance.entity": ModelPolicy(records(history_other=404), RECORD_ACTIONS),
    "provenance.relationship": ModelPolicy(records(history_other=404), RECORD_ACTIONS),
    "provenance.tag": ModelPolicy(records(), RECORD_ACTIONS),
    "provenance.auditevent": ModelPolicy(records(), RECORD_ACTIONS),
    "provenance.confidenceassessment": ModelPolicy(records(), RECORD_ACTIONS),
    # Its descriptive fields are saved by evidence_update (custody and audit rows,
    # the service's membership check), everything else is read-only
    # (evidence/admin.py). Another team's item is not found, as on the change
    # page; the superuser is no team's member: the service refuses (403).
    "evidence.evidenceitem": ModelPolicy(
        {
            **records(),
            "change": {
                "GET": Who(OK, ADMIN_INDEX),
                "POST": Who(SAVED, ADMIN_INDEX, superuser=403),
            },
        },
        RECORD_ACTIONS,
    ),
    "evidence.aisextract": ModelPolicy(records(), RECORD_ACTIONS),
    "provenance.team": ModelPolicy(
        managed_by_superusers(deletable=False), RECORD_ACTIONS
    ),
    "provenance.membership": ModelPolicy(
        managed_by_superusers(deletable=True),
        {"delete_selected": Who(OK, superuser=SAVED)},
    ),
    # Publishers change through keys.py (audited in every team they read). The
    # delete page lists the publisher's delivery log, which is read-only, so
    # Django refuses the delete itself (403).
    "provenance.publisher": ModelPolicy(
        superusers_only(changes=True, deletes=False, delete_page=True),
        {
            "delete_selected": REFUSED,
            "revoke_keys": SUPERUSER_ACTION,
            "issue_new_keys": SUPERUSER_ACTION,
        },
    ),
    "provenance.outboxevent": ModelPolicy(
        superusers_only(changes=False), {"delete_selected": Who(403, superuser=OK)}
    ),
    "provenance.webhookdelivery": ModelPolicy(
        superusers_only(changes=False), {"delete_selected": Who(403, superuser=OK)}
    ),
    # Nobody deletes a user here, superusers neither (it would rewrite what they
    # touched): deactivate instead. So no action is offered at all.
    "auth.user": ModelPolicy(
        {
            **superusers_only(changes=True, deletes=False),
            # Setting a user's password; an empty form is the form again.
            "password": same(Who(403, superuser=OK)),
        },
        {"delete_selected": Who(403, superuser=OK)},
    ),
    "auth.group": ModelPolicy(
        superusers_only(changes=True), SUPERUSER_DELETE, lists_mark=False
    ),
    # DRF's token admin offers no action (actions = None).
    "authtoken.tokenproxy": ModelPolicy(
        superusers_only(changes=True), {"delete_selected": Who(403, superuser=OK)}
    ),
    # axes' own admins: login records, no adding; superusers may edit and delete.
    # Its "clean up expired attempts" action works (it was a 500: it reads a
    # request attribute only axes' login handler sets, jazzband/django-axes#1424);
    # the planted attempt is not expired, so nothing is deleted.
    "axes.accessattempt": ModelPolicy(
        superusers_only(changes=True, adds=False),
        {
            **SUPERUSER_DELETE,
            "cleanup_expired_attempts": Who(403, superuser=REDIRECT),
        },
    ),
    "axes.accesslog": ModelPolicy(
        superusers_only(changes=True, adds=False), SUPERUSER_DELETE
    ),
    "axes.accessfailurelog": ModelPolicy(
        superusers_only(changes=True, adds=False), SUPERUSER_DELETE
    ),
}


# Rows of no team: one variant. Every other model has team A's and team B's.
NO_TEAM = frozenset(
    {"auth.group", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
)
OBJECT_KINDS = frozenset(
    {"change", "delete", "history", "version", "redirect", "password"}
)


def variants_of(label: str, kind: str) -> list[str]:
    if kind not in OBJECT_KINDS and kind != "action":
        return [""]
    return [""] if label in NO_TEAM else ["a", "b"]


def expand(kind: Kind, variants: list[str]) -> AdminRow:
    return {
        variant: {method: who.roles(variant) for method, who in kind.items()}
        for variant in variants
    }


# --- Site-wide views ------------------------------------------------------------------


def _site(get: dict[str, Outcome], post: dict[str, Outcome]) -> Grid:
    return {"GET": get, "POST": post}


def _for(**roles: Outcome) -> dict[str, Outcome]:
    """Staff and superuser alike unless named; not staff the admin login."""
    staff = roles.pop("staff", None)
    out = {"anonymous": ADMIN_LOGIN, "member": ADMIN_LOGIN}
    for role in ADMIN_ROLES[2:]:
        out[role] = staff
    out.update(roles)
    assert set(out) == set(ADMIN_ROLES), out
    assert None not in out.values(), out
    return out


SITE_ROWS: dict[str, AdminRow] = {
    "index": {"": _site(_for(staff=OK), _for(staff=OK))},
    # The login page: shown to whoever may not use the admin; staff go to the
    # index. An empty POST is the form again with its errors.
    "login": {
        "": _site(
            _for(anonymous=OK, member=OK, staff=ADMIN_INDEX),
            _for(anonymous=OK, member=OK, staff=OK),
        )
    },
    # POST only (Django 5), then to the site's login page; axes logs the logout.
    # Without admin access, back to the index.
    "logout": {
        "": _site(
            _for(anonymous=ADMIN_INDEX, member=ADMIN_INDEX, staff=405),
            _for(
                anonymous=ADMIN_INDEX, member=ADMIN_INDEX, staff=f"{REDIRECT}{WRITES}"
            ),
        )
    },
    "password_change": {"": _site(_for(staff=OK), _for(staff=OK))},
    "password_change_done": {"": _site(_for(staff=OK), _for(staff=405))},
    # Without a source field the autocomplete view refuses; its sources are
    # AUTOCOMPLETE below.
    "autocomplete": {"": _site(_for(staff=403), _for(staff=405))},
    "jsi18n": {"": _site(_for(staff=OK), _for(staff=405))},
    "catch_all": {"": _site(_for(staff=404), _for(staff=404))},
}
# App indexes: an app with no model a user may see is 404 for them.
TEAM_APPS = ("provenance", "evidence")
SUPERUSER_APPS = ("auth", "authtoken", "axes")


def app_index_row() -> AdminRow:
    row = {}
    for app in TEAM_APPS:
        row[app] = _site(_for(staff=OK), _for(staff=OK))
    for app in SUPERUSER_APPS:
        who = _for(staff=404, superuser=OK)
        row[app] = _site(who, who)
    return row


# "View on site" (/admin/r/<content type>/<id>/) redirects to the object's page:
# another team's object is 404 there too (its URL names it: an entity's slug).
VIEW_ON_SITE_MODELS = ("provenance.claim", "provenance.entity", "evidence.evidenceitem")
VIEW_ON_SITE = same(Who(REDIRECT, 404, superuser=REDIRECT))

# Autocomplete answers with the target model admin's (scoped) queryset, to staff
# who may view that model; POST is not a method it has.
AUTOCOMPLETE_BY_TARGET: dict[str, Kind] = {
    "provenance.team": {"GET": LISTED, "POST": Who(405)},
    "provenance.entity": {"GET": LISTED, "POST": Who(405)},
    "provenance.tag": {"GET": LISTED, "POST": Who(405)},
    "provenance.claim": {"GET": LISTED, "POST": Who(405)},
    "provenance.membership": {"GET": LISTED, "POST": Who(405)},
    "provenance.auditevent": {"GET": LISTED, "POST": Who(405)},
    "provenance.confidenceassessment": {"GET": LISTED, "POST": Who(405)},
    "provenance.relationship": {"GET": LISTED, "POST": Who(405)},
    "evidence.evidenceitem": {"GET": LISTED, "POST": Who(405)},
    "evidence.aisextract": {"GET": LISTED, "POST": Who(405)},
    "provenance.publisher": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "provenance.outboxevent": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "provenance.webhookdelivery": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "auth.user": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "auth.group": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "authtoken.tokenproxy": {"GET": Who(403, superuser=OK), "POST": Who(405)},
    "axes.accessattempt": {"GET": Who(403, superuser=OK), "POST": Who(405)},
}
