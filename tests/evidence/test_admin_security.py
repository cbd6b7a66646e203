"""Issue 12: the evidence admin edits descriptive fields through evidence_update
only; the file, its hash, its team and the source-protection flag never change
there, and a team's staff reach only their own team's items."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from evidence.models import CustodyEvent, EvidenceItem
from provenance.audit.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINES = ("statement", "image", "near_duplicates", "custody_events")


def change_form(**fields) -> dict:
    return {
        "title": "Rajin pass",
        "source_reliability": "F",
        "information_credibility": "6",
        **{
            f"{prefix}-{key}": value
            for prefix in INLINES
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
        **fields,
    }


@pytest.fixture
def staff_client(team, login_as):
    user = UserFactory(username="desk_editor", is_staff=True)
    MembershipFactory(user=user, team=team, role="editor")
    user.user_permissions.set(Permission.objects.all())
    return login_as(user)


def test_read_only_fields_are_not_written_through_the_change_form(
    staff_client, team, other_team, add_image
):
    item = add_image("plain.jpg", title="Rajin pass")
    before = (item.team_id, item.sha256, item.file.name, item.is_restricted)
    url = reverse("admin:evidence_evidenceitem_change", args=[item.pk])

    response = staff_client.post(
        url,
        change_form(
            title="Renamed",
            team=other_team.pk,
            sha256="0" * 64,
            file="elsewhere.jpg",
            is_restricted="on",
            kind="document",
        ),
    )

    item = EvidenceItem.objects.get(pk=item.pk)
    assert response.status_code == 302
    assert item.title == "Renamed"
    assert (item.team_id, item.sha256, item.file.name, item.is_restricted) == before
    assert item.kind == "image"
    edited = CustodyEvent.objects.get(item=item, action=CustodyEvent.Action.EDITED)
    assert edited.detail == {"title": "Renamed"}
    assert AuditEvent.objects.filter(action="evidence.update").count() == 1


def test_another_teams_item_is_neither_shown_nor_edited(
    staff_client, other_team, outsider, add_image
):
    add_image("plain.jpg", title="Our photo")
    theirs = add_image(
        "plain.jpg", title="Their photo", team_=other_team, actor=outsider
    )
    url = reverse("admin:evidence_evidenceitem_change", args=[theirs.pk])

    page = staff_client.get(url)
    post = staff_client.post(url, change_form(title="Mine now"))
    listing = staff_client.get(reverse("admin:evidence_evidenceitem_changelist"))

    assert (page.status_code, post.status_code) == (302, 302)  # "doesn't exist"
    assert EvidenceItem.objects.get(pk=theirs.pk).title == "Their photo"
    assert listing.status_code == 200
    assert "Our photo" in listing.content.decode()
    assert "Their photo" not in listing.content.decode()
    assert "Team B" not in listing.content.decode()  # not even in the team filter


def test_an_absurd_date_is_a_form_error_in_the_admin_too(staff_client, add_image):
    item = add_image("plain.jpg", title="Rajin pass")
    url = reverse("admin:evidence_evidenceitem_change", args=[item.pk])

    response = staff_client.post(
        url, change_form(observed_at_0="9999-12-31", observed_at_1="00:00:00")
    )

    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and now (UTC)." in response.content.decode()
    assert EvidenceItem.objects.get(pk=item.pk).observed_at == item.observed_at


def test_a_superuser_outside_the_team_cannot_edit_its_evidence(
    team, login_as, add_image
):
    item = add_image("plain.jpg", title="Rajin pass")
    root = login_as(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = root.post(
        reverse("admin:evidence_evidenceitem_change", args=[item.pk]),
        change_form(title="Renamed by root"),
    )

    assert response.status_code == 403  # the service's membership check
    assert EvidenceItem.objects.get(pk=item.pk).title == "Rajin pass"
    assert not CustodyEvent.objects.filter(action=CustodyEvent.Action.EDITED)
