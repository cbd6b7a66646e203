"""Evidence admin: filters by kind, grade and processing state; edits via services."""

import pytest
from django.urls import reverse

from evidence.models import CustodyEvent
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(team, login_as):
    user = UserFactory(username="chief", is_staff=True, is_superuser=True)
    MembershipFactory(user=user, team=team, role="admin")
    return login_as(user)


def test_changelist_filters_by_kind_grade_and_processing_state(admin_client, add_image):
    add_image("plain.jpg", title="Rajin pass")

    response = admin_client.get(
        reverse("admin:evidence_evidenceitem_changelist"),
        {"kind": "image", "source_reliability": "F", "processing_state": "done"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Rajin pass" in html
    for name in ("kind", "source_reliability", "processing_state"):
        assert f"?{name}=" in html or f"&amp;{name}=" in html


def test_admin_edit_goes_through_the_service(admin_client, add_image):
    item = add_image("plain.jpg", title="Before")
    url = reverse("admin:evidence_evidenceitem_change", args=[item.pk])
    page = admin_client.get(url)
    assert page.status_code == 200

    data = {
        "title": "After",
        "source_reliability": "B",
        "information_credibility": "2",
        "description": "",
        "source": "",
        "credit": "",
        "licence": "",
        "url": "",
        "archived_url": "",
        "obtained_from": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("statement", "image", "near_duplicates", "custody_events")
            for key, value in (
                ("TOTAL_FORMS", "0"),
                ("INITIAL_FORMS", "0"),
                ("MIN_NUM_FORMS", "0"),
                ("MAX_NUM_FORMS", "1000"),
            )
        },
    }
    response = admin_client.post(url, data)

    item.refresh_from_db()
    assert response.status_code == 302
    assert (item.title, item.grade) == ("After", "B2")
    assert item.custody_events.filter(action=CustodyEvent.Action.EDITED).exists()


def test_admin_cannot_add_or_delete_evidence(admin_client):
    response = admin_client.get(reverse("admin:evidence_evidenceitem_add"))

    assert response.status_code == 403
