from django.contrib.auth.models import Permission
from django.urls import reverse

from provenance.claims import services
from provenance.claims.models import ConfidenceAssessment
from tests.factories import ClaimFactory, EvidenceItemFactory


def _staff_editor(editor):
    editor.is_staff = True
    editor.save()
    editor.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["provenance", "evidence"],
            codename__regex=r"^(view|change|add|delete)_",
        )
    )
    return editor


def test_admin_refuses_to_add_change_or_delete_an_assessment(
    team, editor, reporter, login_as
):
    claim = ClaimFactory(team=team, author=reporter)
    assessment = services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="Original"
    )
    client = login_as(_staff_editor(editor))
    change = reverse(
        "admin:provenance_confidenceassessment_change", args=[assessment.pk]
    )
    delete = reverse(
        "admin:provenance_confidenceassessment_delete", args=[assessment.pk]
    )
    add = reverse("admin:provenance_confidenceassessment_add")
    assert client.get(change).status_code == 200  # view only
    assert (
        client.post(change, {"level": "unlikely", "rationale": "Edited"}).status_code
        == 403
    )
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(add).status_code == 403
    assessment.refresh_from_db()
    assert (assessment.level, assessment.rationale) == ("likely", "Original")
    assert ConfidenceAssessment.objects.count() == 1


def test_staff_see_only_their_teams_evidence_in_the_admin(
    team, other_team, editor, login_as
):
    mine = EvidenceItemFactory(team=team, title="Our evidence")
    EvidenceItemFactory(team=other_team, title="Their evidence")
    client = login_as(_staff_editor(editor))
    page = client.get(reverse("admin:evidence_evidenceitem_changelist"))
    assert page.status_code == 200
    assert b"Our evidence" in page.content
    assert b"Their evidence" not in page.content
    other = EvidenceItemFactory(team=other_team)
    url = reverse("admin:evidence_evidenceitem_change", args=[other.pk])
    assert client.get(url).status_code == 302  # not found: sent back to the index
    assert mine.pk != other.pk
