"""Issue 12, findings 1-3: the Django admin is neither a second write path around
the services nor a window onto other teams.

The world: team A ("Aardvark Desk") holds one uniquely named object of each kind;
team B has a staff editor holding every permission there is (more than the demo
editors get), and there is a superuser. Every test plays one attack of the issue.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from evidence.models import EvidenceItem
from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim, ClaimStatus, Review, Tag
from provenance.entities.models import Entity, SanctionsDesignation
from provenance.publishing.keys import (
    can_manage_publishers,
    hash_secret,
    publisher_create,
    publisher_revoke,
    publisher_rotate_key,
    publisher_update,
)
from provenance.publishing.models import Publisher
from provenance.publishing.validators import render_claim_url_template
from provenance.teams.models import Membership, Team
from tests.factories import (
    ClaimFactory,
    EntityFactory,
    EvidenceItemFactory,
    MembershipFactory,
    TeamFactory,
    UserFactory,
)
from tests.provenance.publishing.api.helpers import publisher_client

pytestmark = pytest.mark.django_db

# Each appears in team A's rows only: no page team B's editor can open may show it.
A_NAMES = (
    "Aardvark Desk",  # team name
    "aardvark-desk",  # team slug
    "alice_aardvark",  # team A's user
    "Aardvark claim about the harbour",
    "Aardvark Shipping Company",  # entity
    "aardvark-tag",
    "Aardvark evidence photo",
    "Aardvark Gazette",  # publisher reading team A
)


@pytest.fixture
def world(login_as):
    team_a = TeamFactory(name="Aardvark Desk", slug="aardvark-desk")
    team_b = TeamFactory(name="Badger Desk", slug="badger-desk")
    alice = UserFactory(username="alice_aardvark", is_staff=True)
    MembershipFactory(user=alice, team=team_a, role="editor")
    bob = UserFactory(username="bob_badger", is_staff=True)
    MembershipFactory(user=bob, team=team_b, role="editor")
    # Every permission of every app: the admin must not rely on perms to be safe.
    bob.user_permissions.set(Permission.objects.all())
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    entity_a = EntityFactory(
        team=team_a, name="Aardvark Shipping Company", slug="aardvark-shipping"
    )
    tag_a = Tag.objects.create(team=team_a, name="aardvark-tag", slug="aardvark-tag")
    claim_a = ClaimFactory(
        team=team_a,
        author=alice,
        text="Aardvark claim about the harbour",
        slug="aardvark-claim",
    )
    claim_a.subjects.set([entity_a])
    claim_a.tags.set([tag_a])
    item_a = EvidenceItemFactory(team=team_a, title="Aardvark evidence photo")
    publisher_a = publisher_create(name="Aardvark Gazette", teams=[team_a])
    entity_b = EntityFactory(team=team_b, name="Badger Holdings", slug="badger")
    claim_b = ClaimFactory(
        team=team_b, author=bob, text="Badger draft claim", slug="badger-claim"
    )
    return {
        "team_a": team_a,
        "team_b": team_b,
        "alice": alice,
        "bob": bob,
        "root": root,
        "entity_a": entity_a,
        "entity_b": entity_b,
        "tag_a": tag_a,
        "claim_a": claim_a,
        "claim_b": claim_b,
        "item_a": item_a,
        "publisher_a": publisher_a,
        "bob_client": login_as(bob),
        "root_client": login_as(root),
    }


def assert_no_team_a_names(response) -> None:
    html = response.content.decode()
    leaked = [name for name in A_NAMES if name in html]
    assert leaked == []


def claim_snapshot(claim: Claim) -> tuple:
    claim = Claim.objects.get(pk=claim.pk)
    return (
        claim.status,
        claim.text,
        claim.team_id,
        claim.version,
        Review.objects.filter(claim=claim).count(),
        AuditEvent.objects.count(),
        claim.history.count(),
    )


def revert_form(claim: Claim, *, team: Team, author, text: str) -> dict:
    """What the attacker posted back to a historical-version page."""
    return {
        "team": team.pk,
        "text": text,
        "slug": claim.slug,
        "summary": "",
        "status": ClaimStatus.PUBLISHED,
        "author": author.pk,
        "last_edited_by": author.pk,
        "version": claim.version,
        "created_at_0": "2026-01-01",
        "created_at_1": "10:00:00",
        "updated_at_0": "2026-01-01",
        "updated_at_1": "10:00:00",
        "published_at_0": "2026-01-01",
        "published_at_1": "10:00:00",
        "claimevidence_set-TOTAL_FORMS": "0",
        "claimevidence_set-INITIAL_FORMS": "0",
        "evidence_links-TOTAL_FORMS": "0",
        "evidence_links-INITIAL_FORMS": "0",
        "reviews-TOTAL_FORMS": "0",
        "reviews-INITIAL_FORMS": "0",
    }


def history_url(model: str, pk: int) -> str:
    return reverse(f"admin:provenance_{model}_history", args=[pk])


def version_url(model: str, obj) -> str:
    history_id = obj.history.latest("history_date").history_id
    return reverse(
        f"admin:provenance_{model}_simple_history", args=[obj.pk, history_id]
    )


# --- 1. History pages: team-scoped, read-only --------------------------------------


def test_history_of_another_teams_claim_is_not_found(world):
    response = world["bob_client"].get(history_url("claim", world["claim_a"].pk))

    assert response.status_code == 404
    assert_no_team_a_names(response)


def test_historical_version_of_another_teams_claim_is_not_found(world):
    response = world["bob_client"].get(version_url("claim", world["claim_a"]))

    assert response.status_code == 404
    assert_no_team_a_names(response)


def test_history_of_a_deleted_entity_is_not_found(world):
    entity = world["entity_a"]
    url, pk = version_url("entity", entity), entity.pk
    Claim.subjects.through.objects.filter(entity=entity).delete()
    entity.delete()  # arranging: its historical rows stay behind

    bob = world["bob_client"]
    assert bob.get(history_url("entity", pk)).status_code == 404
    assert bob.get(url).status_code == 404


def test_own_claims_history_is_shown_read_only(world):
    claim = world["claim_b"]
    history = world["bob_client"].get(history_url("claim", claim.pk))
    version = world["bob_client"].get(version_url("claim", claim))

    assert history.status_code == 200
    assert "View history: Badger draft claim" in history.content.decode()
    assert version.status_code == 200
    html = version.content.decode()
    assert "View Badger draft claim" in html
    assert "Revert" not in html
    assert 'name="_save"' not in html
    assert "<select" not in html  # a record, not a form: no choices listed
    assert '<div class="readonly">Badger draft claim</div>' in html


def test_own_entitys_historical_version_is_a_record(world):
    response = world["bob_client"].get(version_url("entity", world["entity_b"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<select" not in html
    assert '<div class="readonly">Badger Holdings</div>' in html
    assert_no_team_a_names(response)


def test_reverting_own_draft_to_published_is_refused(world):
    claim = world["claim_b"]
    before = claim_snapshot(claim)

    response = world["bob_client"].post(
        version_url("claim", claim),
        revert_form(claim, team=world["team_b"], author=world["bob"], text="Changed"),
    )

    assert response.status_code == 403
    assert claim_snapshot(claim) == before
    assert claim_snapshot(claim)[0] == ClaimStatus.DRAFT


def test_reverting_another_teams_claim_into_my_team_is_refused(world):
    claim = world["claim_a"]
    before = claim_snapshot(claim)

    response = world["bob_client"].post(
        version_url("claim", claim),
        revert_form(claim, team=world["team_b"], author=world["bob"], text="Stolen"),
    )

    assert response.status_code == 403
    assert claim_snapshot(claim) == before


def test_even_a_superuser_cannot_revert_a_claim(world):
    claim = world["claim_b"]
    before = claim_snapshot(claim)

    response = world["root_client"].post(
        version_url("claim", claim),
        revert_form(claim, team=world["team_a"], author=world["root"], text="Root"),
    )

    assert response.status_code == 403
    assert claim_snapshot(claim) == before


def entity_form(entity: Entity, *, team: Team, name: str) -> dict:
    return {
        "team": team.pk,
        "kind": entity.kind,
        "name": name,
        "slug": entity.slug,
        "description": "",
        "aliases": "[]",
        "past_identities-TOTAL_FORMS": "0",
        "past_identities-INITIAL_FORMS": "0",
        "sanctions-TOTAL_FORMS": "1",
        "sanctions-INITIAL_FORMS": "0",
        "sanctions-0-authority": "OFAC",
        "sanctions-0-programme": "Invented",
        "sanctions-0-listed_on": "2026-01-01",
    }


def entity_snapshot(entity: Entity) -> tuple:
    entity = Entity.objects.get(pk=entity.pk)
    return (
        entity.team_id,
        entity.name,
        entity.history.count(),
        SanctionsDesignation.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("entity_key", ["entity_a", "entity_b"])
def test_moving_or_renaming_an_entity_through_its_history_is_refused(world, entity_key):
    entity = world[entity_key]
    before = entity_snapshot(entity)

    response = world["bob_client"].post(
        version_url("entity", entity),
        entity_form(entity, team=world["team_b"], name="Renamed"),
    )

    assert response.status_code == 403
    assert entity_snapshot(entity) == before


def test_editing_an_entity_or_its_sanctions_in_the_admin_is_refused(world):
    entity = world["entity_b"]
    before = entity_snapshot(entity)
    url = reverse("admin:provenance_entity_change", args=[entity.pk])

    page = world["bob_client"].get(url)
    response = world["bob_client"].post(
        url, entity_form(entity, team=world["team_a"], name="Renamed")
    )

    assert page.status_code == 200
    assert "entities/badger/edit/" in page.content.decode()  # where it is edited
    assert response.status_code == 403
    assert entity_snapshot(entity) == before


def test_even_a_superuser_cannot_edit_an_entity_in_the_admin(world):
    entity = world["entity_b"]
    before = entity_snapshot(entity)
    url = reverse("admin:provenance_entity_change", args=[entity.pk])

    response = world["root_client"].post(
        url, entity_form(entity, team=world["team_a"], name="Renamed")
    )

    assert response.status_code == 403
    assert entity_snapshot(entity) == before


# --- 2. No admin view writes what a service owns -----------------------------------


@pytest.mark.parametrize(
    ("model", "key", "bulk_status"),
    [
        # Claims offer review actions: an unknown one is "No action selected." and
        # a redirect back to the list; entities offer none, so the POST is the list.
        ("claim", "claim_b", 302),
        ("entity", "entity_b", 200),
    ],
)
def test_service_owned_records_cannot_be_added_or_deleted(
    world, model, key, bulk_status
):
    obj = world[key]
    bob = world["bob_client"]
    changelist = reverse(f"admin:provenance_{model}_changelist")

    add = bob.get(reverse(f"admin:provenance_{model}_add"))
    delete = bob.post(
        reverse(f"admin:provenance_{model}_delete", args=[obj.pk]), {"post": "yes"}
    )
    listing = bob.get(changelist)
    bulk = bob.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert listing.status_code == 200
    assert str(obj) in listing.content.decode()
    assert 'value="delete_selected"' not in listing.content.decode()
    assert bulk.status_code == bulk_status
    if bulk_status == 302:
        assert bulk["Location"] == changelist
        assert "No action selected." in bob.get(changelist).content.decode()
    else:
        assert str(obj) in bulk.content.decode()
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_evidence_cannot_be_added_or_deleted_and_foreign_items_not_edited(world):
    item = world["item_a"]
    bob = world["bob_client"]

    add = bob.get(reverse("admin:evidence_evidenceitem_add"))
    delete = bob.post(
        reverse("admin:evidence_evidenceitem_delete", args=[item.pk]), {"post": "yes"}
    )
    edit = bob.post(
        reverse("admin:evidence_evidenceitem_change", args=[item.pk]),
        {"title": "Hijacked", "source_reliability": "A"},
    )

    assert (add.status_code, delete.status_code, edit.status_code) == (403, 403, 302)
    assert EvidenceItem.objects.get(pk=item.pk).title == "Aardvark evidence photo"


def test_staff_cannot_join_another_team_or_promote_themselves(world):
    bob = world["bob_client"]
    own = Membership.objects.get(user=world["bob"])

    join = bob.post(
        reverse("admin:provenance_membership_add"),
        {"user": world["bob"].pk, "team": world["team_a"].pk, "role": "admin"},
    )
    promote = bob.post(
        reverse("admin:provenance_membership_change", args=[own.pk]),
        {"user": world["bob"].pk, "team": world["team_b"].pk, "role": "admin"},
    )
    via_team = bob.post(
        reverse("admin:provenance_team_change", args=[world["team_b"].pk]),
        {
            "name": "Badger Desk",
            "slug": "badger-desk",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": world["alice"].pk,
            "memberships-0-role": "admin",
        },
    )

    assert (join.status_code, promote.status_code, via_team.status_code) == (
        403,
        403,
        403,
    )
    assert list(
        Membership.objects.filter(user=world["bob"]).values_list("team", "role")
    ) == [(world["team_b"].pk, "editor")]
    assert not Membership.objects.filter(user=world["alice"], team=world["team_b"])


def test_staff_cannot_rename_or_delete_tags_or_teams(world):
    bob = world["bob_client"]
    tag = Tag.objects.create(team=world["team_b"], name="ports", slug="ports")

    rename = bob.post(
        reverse("admin:provenance_tag_change", args=[tag.pk]),
        {"team": world["team_b"].pk, "name": "renamed", "slug": "renamed"},
    )
    delete_tag = bob.post(
        reverse("admin:provenance_tag_delete", args=[tag.pk]), {"post": "yes"}
    )
    delete_team = bob.post(
        reverse("admin:provenance_team_delete", args=[world["team_b"].pk]),
        {"post": "yes"},
    )

    assert (rename.status_code, delete_tag.status_code, delete_team.status_code) == (
        403,
        403,
        403,
    )
    assert Tag.objects.get(pk=tag.pk).name == "ports"
    assert Team.objects.filter(pk=world["team_b"].pk).exists()


def test_superuser_still_manages_memberships_but_never_deletes_a_team(world):
    root = world["root_client"]

    added = root.post(
        reverse("admin:provenance_membership_add"),
        {"user": world["alice"].pk, "team": world["team_b"].pk, "role": "reporter"},
    )
    delete_team = root.post(
        reverse("admin:provenance_team_delete", args=[world["team_a"].pk]),
        {"post": "yes"},
    )

    assert added.status_code == 302
    assert Membership.objects.get(user=world["alice"], team=world["team_b"]).role == (
        "reporter"
    )
    assert delete_team.status_code == 403
    assert Claim.objects.filter(pk=world["claim_a"].pk).exists()


# --- 3. Publishers: superusers only ------------------------------------------------


def publisher_state(publisher: Publisher) -> tuple:
    publisher = Publisher.objects.get(pk=publisher.pk)
    return (
        publisher.name,
        sorted(publisher.teams.values_list("slug", flat=True)),
        publisher.key_hash,
        publisher.webhook_url,
        publisher.revoked_at,
    )


def test_staff_cannot_see_or_change_a_publisher(world):
    issued = world["publisher_a"]
    publisher = issued.publisher
    before = publisher_state(publisher)
    bob = world["bob_client"]
    change = reverse("admin:provenance_publisher_change", args=[publisher.pk])
    changelist = reverse("admin:provenance_publisher_changelist")

    responses = [
        bob.get(changelist),
        bob.get(change),
        bob.get(reverse("admin:provenance_publisher_add")),
        bob.post(
            change,
            {
                "name": "Aardvark Gazette",
                "teams": [world["team_a"].pk, world["team_b"].pk],
                "webhook_url": "https://attacker.example/hook",
                "is_webhook_enabled": "on",
                "deliveries-TOTAL_FORMS": "0",
                "deliveries-INITIAL_FORMS": "0",
            },
        ),
        bob.post(
            changelist,
            {"action": "issue_new_keys", "_selected_action": [publisher.pk]},
        ),
        bob.post(
            changelist, {"action": "revoke_keys", "_selected_action": [publisher.pk]}
        ),
        bob.post(
            reverse("admin:provenance_publisher_delete", args=[publisher.pk]),
            {"post": "yes"},
        ),
        bob.get(reverse("admin:provenance_outboxevent_changelist")),
        bob.get(reverse("admin:provenance_webhookdelivery_changelist")),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert publisher_state(publisher) == before
    assert (
        publisher_client(issued.key).get(reverse("api:claim-list")).status_code == 200
    )


def test_the_publisher_rule_is_superuser_only(world):
    assert can_manage_publishers(world["root"]) is True
    assert can_manage_publishers(world["bob"]) is False  # every perm, not superuser
    world["root"].is_active = False
    assert can_manage_publishers(world["root"]) is False


def test_publisher_services_refuse_a_non_superuser(world):
    publisher = world["publisher_a"].publisher
    before = publisher_state(publisher)
    bob = world["bob"]

    for attempt in (
        lambda: publisher_create(name="Mine", teams=[world["team_a"]], actor=bob),
        lambda: publisher_rotate_key(publisher_id=publisher.pk, actor=bob),
        lambda: publisher_revoke(publisher_ids=[publisher.pk], actor=bob),
        lambda: publisher_update(
            publisher_id=publisher.pk, actor=bob, teams=[world["team_b"]]
        ),
    ):
        with pytest.raises(PermissionDenied) as error:
            attempt()
        assert str(error.value) == "Only a superuser manages publishers."

    assert publisher_state(publisher) == before
    assert list(Publisher.objects.values_list("name", flat=True)) == [
        "Aardvark Gazette"
    ]


def test_superuser_changes_a_publisher_through_the_service(world):
    publisher = world["publisher_a"].publisher
    response = world["root_client"].post(
        reverse("admin:provenance_publisher_change", args=[publisher.pk]),
        {
            "name": "Aardvark Gazette",
            "teams": [world["team_b"].pk],
            "is_webhook_enabled": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert publisher_state(publisher)[1] == ["badger-desk"]
    change = AuditEvent.objects.filter(action="publisher.change").order_by("pk")
    assert [(e.team.slug, e.actor_label) for e in change] == [
        ("aardvark-desk", "root"),
        ("badger-desk", "root"),
    ]


def test_superuser_deletes_a_publisher_through_the_service(world):
    publisher = world["publisher_a"].publisher
    response = world["root_client"].post(
        reverse("admin:provenance_publisher_delete", args=[publisher.pk]),
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert not Publisher.objects.filter(pk=publisher.pk).exists()
    deleted = AuditEvent.objects.get(action="publisher.delete")
    assert (deleted.team.slug, deleted.actor_label) == ("aardvark-desk", "root")


def test_create_publisher_command_needs_a_superuser_when_given_one(world, capsys):
    with pytest.raises(CommandError) as error:
        call_command(
            "create_publisher", "Mine", "--team", "aardvark-desk", "--by", "bob_badger"
        )
    assert str(error.value) == "Only a superuser manages publishers."
    with pytest.raises(CommandError) as error:
        call_command(
            "create_publisher", "Mine", "--team", "aardvark-desk", "--by", "nobody"
        )
    assert str(error.value) == "No such user: nobody"
    assert not Publisher.objects.filter(name="Mine").exists()

    call_command("create_publisher", "Mine", "--team", "aardvark-desk", "--by", "root")

    out = capsys.readouterr().out.splitlines()
    key = out[out.index("API key (shown once, store it now):") + 1]
    publisher = Publisher.objects.get(name="Mine")
    assert publisher.key_hash == hash_secret(key.split(".", 1)[1])
    created = AuditEvent.objects.filter(action="publisher.create").last()
    assert created.actor_label == "root"


LITERAL_ONLY = (
    "Placeholders are written exactly {id}, {slug} or {team}: "
    "no format spec (:…), conversion (!…), attribute or index."
)


@pytest.mark.parametrize(
    "template",
    [
        "https://paper.example/{id:>50000000}",  # the 50 MB ClaimReview
        "https://paper.example/{slug!r}",
        "https://paper.example/{id.__class__}",
        "https://paper.example/{slug[0]}",
        "https://paper.example/{}",
        "https://paper.example/{0}",
    ],
)
def test_claim_url_template_takes_only_literal_placeholders(world, template):
    with pytest.raises(ValidationError) as error:
        publisher_create(
            name="Wide", teams=[world["team_a"]], claim_url_template=template
        )
    assert error.value.message_dict == {"claim_url_template": [LITERAL_ONLY]}
    assert not Publisher.objects.filter(name="Wide").exists()


def test_the_admin_form_shows_the_template_error(world):
    response = world["root_client"].post(
        reverse("admin:provenance_publisher_add"),
        {
            "name": "Wide",
            "teams": [world["team_a"].pk],
            "claim_url_template": "https://paper.example/{id:>50000000}",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "no format spec (:…), conversion (!…)" in response.content.decode()
    assert not Publisher.objects.filter(name="Wide").exists()


def test_a_stored_template_with_a_format_spec_is_never_expanded():
    # A row saved before the validator existed: rendered as no page, not 50 MB.
    template = "https://paper.example/{id:>50000000}"
    assert render_claim_url_template(template, id=1, slug="s", team="t") is None
    assert (
        render_claim_url_template(
            "https://paper.example/{team}/{slug}-{id}", id=7, slug="s", team="t"
        )
        == "https://paper.example/t/s-7"
    )


# --- 4. Nothing of team A on team B's admin pages ----------------------------------


CHANGELISTS = [
    "admin:index",
    "admin:provenance_claim_changelist",
    "admin:provenance_entity_changelist",
    "admin:provenance_tag_changelist",
    "admin:provenance_team_changelist",
    "admin:provenance_membership_changelist",
    "admin:provenance_auditevent_changelist",
    "admin:provenance_confidenceassessment_changelist",
    "admin:evidence_evidenceitem_changelist",
    "admin:evidence_aisextract_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_team_b_pages_and_their_filters_show_nothing_of_team_a(world, name):
    # Something of team A's in the superuser's "recent actions" as well.
    world["root_client"].post(
        reverse("admin:provenance_membership_add"),
        {"user": world["alice"].pk, "team": world["team_a"].pk, "role": "reporter"},
    )

    response = world["bob_client"].get(reverse(name))

    assert response.status_code == 200
    assert_no_team_a_names(response)


def test_team_b_claim_page_choices_show_nothing_of_team_a(world):
    claim = world["claim_b"]
    response = world["bob_client"].get(
        reverse("admin:provenance_claim_change", args=[claim.pk])
    )

    assert response.status_code == 200
    assert "Badger draft claim" in response.content.decode()
    assert_no_team_a_names(response)


@pytest.mark.parametrize(
    "name",
    [
        "admin:auth_user_changelist",
        "admin:auth_group_changelist",
        "admin:authtoken_tokenproxy_changelist",
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
    ],
)
def test_accounts_tokens_and_login_logs_are_superuser_only(world, name):
    assert world["bob_client"].get(reverse(name)).status_code == 403
    assert world["root_client"].get(reverse(name)).status_code == 200


def test_staff_cannot_make_themselves_superuser(world):
    bob = world["bob"]
    response = world["bob_client"].post(
        reverse("admin:auth_user_change", args=[bob.pk]),
        {"username": "bob_badger", "is_superuser": "on", "is_staff": "on"},
    )

    bob.refresh_from_db()
    assert response.status_code == 403
    assert bob.is_superuser is False


def autocomplete(client, model_name: str, field_name: str, app_label="provenance"):
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name},
    )


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name", "expected"),
    [
        ("provenance", "claim", "team", ["Badger Desk"]),
        ("provenance", "claim", "subjects", ["Badger Holdings"]),
        ("provenance", "claim", "tags", []),
        ("provenance", "claim", "first_appearance_entity", ["Badger Holdings"]),
        ("provenance", "publisher", "teams", ["Badger Desk"]),
        ("evidence", "statement", "speaker", ["Badger Holdings"]),
    ],
)
def test_autocomplete_offers_only_my_teams_rows(
    world, app_label, model_name, field_name, expected
):
    response = autocomplete(world["bob_client"], model_name, field_name, app_label)

    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("claim", "author"), ("membership", "user"), ("claim", "last_edited_by")],
)
def test_autocomplete_of_users_is_superuser_only(world, model_name, field_name):
    response = autocomplete(world["bob_client"], model_name, field_name)

    assert response.status_code == 403
    assert_no_team_a_names(response)


# --- Every registered admin, for both kinds of staff --------------------------------

# (view, add, change, delete) on the changelist, as each user gets them.
STAFF_CAN = {
    "provenance.team": (True, False, False, False),
    "provenance.membership": (True, False, False, False),
    "provenance.entity": (True, False, False, False),
    "provenance.relationship": (True, False, False, False),
    "provenance.tag": (True, False, False, False),
    "provenance.claim": (True, False, False, False),
    "provenance.auditevent": (True, False, False, False),
    "provenance.confidenceassessment": (True, False, False, False),
    "provenance.publisher": (False, False, False, False),
    "provenance.outboxevent": (False, False, False, False),
    "provenance.webhookdelivery": (False, False, False, False),
    "evidence.evidenceitem": (True, False, True, False),  # through evidence_update
    "evidence.aisextract": (True, False, False, False),
    "auth.user": (False, False, False, False),
    "auth.group": (False, False, False, False),
    "authtoken.tokenproxy": (False, False, False, False),
    "axes.accessattempt": (False, False, False, False),
    "axes.accesslog": (False, False, False, False),
    "axes.accessfailurelog": (False, False, False, False),
}
SUPERUSER_CAN = {
    **STAFF_CAN,
    "provenance.team": (True, True, True, False),  # deleting takes its claims along
    "provenance.membership": (True, True, True, True),
    "provenance.publisher": (True, True, True, True),
    "provenance.outboxevent": (True, False, False, False),
    "provenance.webhookdelivery": (True, False, False, False),
    "auth.user": (True, True, True, False),  # deactivate, never delete
    "auth.group": (True, True, True, True),
    "authtoken.tokenproxy": (True, True, True, True),
    # axes' own admins: every field read-only, records may be cleared.
    "axes.accessattempt": (True, False, True, True),
    "axes.accesslog": (True, False, True, True),
    "axes.accessfailurelog": (True, False, True, True),
}


def permission_table(user) -> dict[str, tuple[bool, bool, bool, bool]]:
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return {
        model._meta.label_lower: (
            model_admin.has_view_permission(request),
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
        )
        for model, model_admin in admin.site._registry.items()
    }


def test_what_team_b_staff_and_a_superuser_may_do_in_each_admin(world):
    assert permission_table(world["bob"]) == STAFF_CAN
    assert permission_table(world["root"]) == SUPERUSER_CAN


def test_every_history_admin_is_scoped_and_read_only():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from provenance.teams.admin_base import ScopedHistoryMixin

    history_admins = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, SimpleHistoryAdmin)
    ]
    assert sorted(history_admins) == [
        "provenance.claim",
        "provenance.entity",
        "provenance.relationship",
    ]
    assert all(
        isinstance(model_admin, ScopedHistoryMixin)
        for model_admin in admin.site._registry.values()
        if isinstance(model_admin, SimpleHistoryAdmin)
    )


def view_on_site(client, obj):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(obj)
    return client.get(reverse("admin:view_on_site", args=[content_type.pk, obj.pk]))


@pytest.mark.parametrize("key", ["entity_a", "claim_a", "item_a"])
def test_view_on_site_does_not_reveal_another_teams_object(world, key):
    response = view_on_site(world["bob_client"], world[key])

    assert response.status_code == 404
    assert "Location" not in response.headers
    assert_no_team_a_names(response)


def test_view_on_site_still_leads_to_my_teams_object(world):
    response = view_on_site(world["bob_client"], world["entity_b"])

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/entities/badger/"


def test_a_shared_publishers_audit_rows_name_no_other_team(world):
    publisher_create(
        name="Shared wire", teams=[world["team_a"], world["team_b"]], actor=None
    )
    event = AuditEvent.objects.get(team=world["team_b"], action="publisher.create")

    listing = world["bob_client"].get(reverse("admin:provenance_auditevent_changelist"))
    page = world["bob_client"].get(
        reverse("admin:provenance_auditevent_change", args=[event.pk])
    )

    assert (listing.status_code, page.status_code) == (200, 200)
    assert_no_team_a_names(listing)
    assert_no_team_a_names(page)
    # Team B's chain says the key also reads one other team, not which.
    assert (event.payload["teams"], event.payload["other_teams"]) == (
        ["badger-desk"],
        1,
    )


def test_nobody_deletes_a_user_in_the_admin(world):
    # Deleting one rewrites claims, evidence and audit rows (SET_NULL): deactivate.
    bob = world["bob"]
    root = world["root_client"]
    changelist = reverse("admin:auth_user_changelist")

    page = root.get(reverse("admin:auth_user_delete", args=[bob.pk]))
    listing = root.get(changelist)
    bulk = root.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [bob.pk], "post": "yes"},
    )

    assert (page.status_code, listing.status_code) == (403, 200)
    assert bob.username in listing.content.decode()
    assert 'value="delete_selected"' not in listing.content.decode()
    assert bulk.status_code == 200  # no action offered: just the list again
    assert type(bob).objects.filter(pk=bob.pk).exists()
    assert Membership.objects.filter(user=bob).count() == 1


def test_superuser_cleans_up_expired_login_attempts(world):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    old = AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.1",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/login/",
        failures_since_start=1,
    )
    AccessAttempt.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - timedelta(days=1)
    )

    response = world["root_client"].post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [old.pk]},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=old.pk).exists()
