"""Issue 13: teams and memberships written in the admin go through the teams
services: one audit row per change, a chain that verifies, and no stale page."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from provenance.accounts import services
from provenance.audit.models import AuditEvent
from provenance.teams.models import Membership, Team
from tests.factories import ClaimFactory, MembershipFactory, UserFactory


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(root, login_as):
    return login_as(root)


def events(team: Team) -> list[tuple]:
    return [
        (e.seq, e.actor_label, e.action, e.object_type, e.object_id, e.payload)
        for e in AuditEvent.objects.filter(team=team).order_by("seq")
    ]


def verify_audit() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def team_form(team: Team, *, name: str, rows: list[dict], initial: int) -> dict:
    data = {
        "name": name,
        "slug": team.slug,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"memberships-{i}-{key}": value for key, value in row.items()})
    return data


def test_superuser_adding_a_member_writes_one_audit_row(root_client, team):
    newcomer = UserFactory(username="newcomer")
    response = root_client.post(
        reverse("admin:provenance_membership_add"),
        {"user": newcomer.pk, "team": team.pk, "role": "editor"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer, team=team)
    assert membership.role == "editor"
    assert events(team) == [
        (
            1,
            "root",
            "membership.add",
            "provenance.membership",
            str(membership.pk),
            {"user": newcomer.pk, "role": "editor"},
        )
    ]
    assert verify_audit() == f"OK team-a: 1 events, head {events_head(team)}\n"


def events_head(team: Team) -> str:
    return AuditEvent.objects.filter(team=team).order_by("seq").last().hash


def test_a_cached_team_page_is_not_served_after_a_member_is_added(
    root_client, reporter_client, team
):
    ClaimFactory(team=team, text="A claim on the list")
    url = reverse("provenance:claim-list")
    reporter_client.get(url)
    assert reporter_client.get(url)["X-Page-Cache"] == "hit"
    root_client.post(
        reverse("admin:provenance_membership_add"),
        {"user": UserFactory().pk, "team": team.pk, "role": "reporter"},
    )
    after = reporter_client.get(url)
    assert after.status_code == 200
    assert "X-Page-Cache" not in after


def test_renaming_a_team_in_the_admin_is_audited_and_shown_at_once(
    root_client, reporter_client, team
):
    url = reverse("provenance:claim-list")
    reporter_client.get(url)
    assert b"Team A" in reporter_client.get(url).content
    response = root_client.post(
        reverse("admin:provenance_team_change", args=[team.pk]),
        team_form(team, name="Team Aardvark", rows=[], initial=0),
    )
    assert response.status_code == 302
    assert events(team) == [
        (
            1,
            "root",
            "team.update",
            "provenance.team",
            str(team.pk),
            {"name": "Team Aardvark"},
        )
    ]
    page = reporter_client.get(url)
    assert "X-Page-Cache" not in page
    assert b"Team Aardvark" in page.content


def test_team_page_rows_add_change_and_remove_members_through_the_services(
    root_client, team
):
    stays = MembershipFactory(team=team, role="reporter")
    leaves = MembershipFactory(team=team, role="editor")
    joins = UserFactory(username="joins")
    rows = [
        {"id": stays.pk, "user": stays.user_id, "role": "editor"},
        {"id": leaves.pk, "user": leaves.user_id, "role": "editor", "DELETE": "on"},
        {"user": joins.pk, "role": "reporter"},
    ]
    response = root_client.post(
        reverse("admin:provenance_team_change", args=[team.pk]),
        team_form(team, name=team.name, rows=rows, initial=2),
    )
    assert response.status_code == 302
    joined = Membership.objects.get(team=team, user=joins)
    assert sorted(
        Membership.objects.filter(team=team).values_list("user__username", "role")
    ) == sorted([(stays.user.username, "editor"), ("joins", "reporter")])
    assert events(team) == [
        (
            1,
            "root",
            "membership.remove",
            "provenance.membership",
            str(leaves.pk),
            {"user": leaves.user_id, "role": "editor"},
        ),
        (
            2,
            "root",
            "membership.update",
            "provenance.membership",
            str(stays.pk),
            {"user": stays.user_id, "role": ["reporter", "editor"]},
        ),
        (
            3,
            "root",
            "membership.add",
            "provenance.membership",
            str(joined.pk),
            {"user": joins.pk, "role": "reporter"},
        ),
    ]
    assert verify_audit().startswith("OK team-a: 3 events")


def test_an_existing_rows_user_is_not_swapped_on_the_team_page(root_client, team):
    member = MembershipFactory(team=team, role="reporter")
    other = UserFactory()
    rows = [{"id": member.pk, "user": other.pk, "role": "reporter"}]
    root_client.post(
        reverse("admin:provenance_team_change", args=[team.pk]),
        team_form(team, name=team.name, rows=rows, initial=1),
    )
    assert list(
        Membership.objects.filter(team=team).values_list("user", flat=True)
    ) == [member.user_id]
    assert events(team) == []


def test_creating_a_team_in_the_admin_starts_its_chain(root_client, db):
    response = root_client.post(
        reverse("admin:provenance_team_add"),
        {
            "name": "Badger Desk",
            "slug": "badger-desk",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(slug="badger-desk")
    assert events(team) == [
        (
            1,
            "root",
            "team.create",
            "provenance.team",
            str(team.pk),
            {"name": "Badger Desk", "slug": "badger-desk"},
        )
    ]


def test_membership_role_change_and_delete_pages_use_the_services(root_client, team):
    member = MembershipFactory(team=team, role="reporter")
    change = root_client.post(
        reverse("admin:provenance_membership_change", args=[member.pk]),
        {"role": "admin"},
    )
    delete = root_client.post(
        reverse("admin:provenance_membership_delete", args=[member.pk]),
        {"post": "yes"},
    )
    assert (change.status_code, delete.status_code) == (302, 302)
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert [(e[2], e[5]) for e in events(team)] == [
        ("membership.update", {"user": member.user_id, "role": ["reporter", "admin"]}),
        ("membership.remove", {"user": member.user_id, "role": "admin"}),
    ]


def test_delete_selected_memberships_writes_a_row_each(root_client, team):
    first = MembershipFactory(team=team)
    second = MembershipFactory(team=team)
    response = root_client.post(
        reverse("admin:provenance_membership_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [first.pk, second.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(team=team).exists()
    assert [(e[2], e[4]) for e in events(team)] == [
        ("membership.remove", str(first.pk)),
        ("membership.remove", str(second.pk)),
    ]


# --- The services' own rules ----------------------------------------------------------


def test_a_team_admin_manages_their_own_team_only(team, other_team):
    admin_user = MembershipFactory(team=team, role="admin").user
    newcomer = UserFactory()
    added = services.membership_add(
        team=team, user=newcomer, actor=admin_user, role="editor"
    )
    services.team_update(team_id=team.pk, actor=admin_user, name="Renamed")
    with pytest.raises(PermissionDenied):
        services.membership_add(team=other_team, user=newcomer, actor=admin_user)
    with pytest.raises(PermissionDenied):
        services.team_create(actor=admin_user, name="Mine", slug="mine")
    assert [e[2] for e in events(team)] == ["membership.add", "team.update"]
    assert added.role == "editor"


def test_editors_and_reporters_manage_no_memberships(team, editor, reporter):
    newcomer = UserFactory()
    for actor in (editor, reporter):
        with pytest.raises(PermissionDenied):
            services.membership_add(team=team, user=newcomer, actor=actor)
        with pytest.raises(PermissionDenied):
            services.membership_update(
                membership_id=Membership.objects.get(user=reporter).pk,
                actor=actor,
                role="admin",
            )
    assert events(team) == []


def test_a_user_is_a_member_once(team, reporter, root):
    with pytest.raises(ValidationError):
        services.membership_add(team=team, user=reporter, actor=root)
    assert events(team) == []


def test_an_unchanged_save_writes_no_row(team, reporter, root):
    membership = Membership.objects.get(user=reporter)
    services.membership_update(membership_id=membership.pk, actor=root, role="reporter")
    services.team_update(team_id=team.pk, actor=root, name=team.name)
    assert events(team) == []


def test_a_team_turns_the_second_factor_on_in_the_admin_through_the_service(
    settings, root_client, reporter_client, team
):
    form = team_form(team, name=team.name, rows=[], initial=0)
    response = root_client.post(
        reverse("admin:provenance_team_change", args=[team.pk]),
        {**form, "requires_second_factor": "on"},
    )

    assert response.status_code == 302
    assert events(team)[-1][2:] == (
        "team.update",
        "provenance.team",
        str(team.pk),
        {"requires_second_factor": True},
    )
    # Its reporters, signed in before, must now enrol before anything else.
    settings.SECOND_FACTOR_REQUIRED = True
    assert reporter_client.get("/").url == "/account/security/"
